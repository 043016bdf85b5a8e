"""The LibriSpeech recipe's benchmarks on this machine: training speed against a plain PyTorch loop,
padding with and without length buckets, data loading against what training consumes, and the
transcription real-time factor and peak memory of each decoder.

  .venv/bin/python scripts/bench.py                          # everything, on ../shared's Mini LibriSpeech
  .venv/bin/python scripts/bench.py --only padding,transcribe --manifest data/manifests/dev-clean.jsonl

Figures go in the recipe README and the closing notes, never in tests. On a shared or busy machine
the training rates are the best of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from bench_train import bench_lightning, bench_plain  # noqa: E402  the same two loops, timed the same way

from asr.data.manifest import read_manifest  # noqa: E402
from asr.model_file import save_model_file  # noqa: E402
from asr.training.acoustic import build_setup, make_datamodule  # noqa: E402
from asr.training.config import load_config  # noqa: E402
from asr.training.data import LengthBucketSampler  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TRAIN_CLEAN_100_UTTERANCES = 28539
CONFIGS = ROOT / "recipes" / "librispeech" / "conf"


def padding(durations: list[float]) -> None:
    """Padding share of train-clean-100-sized epochs drawn from these durations, at two configs' budgets."""
    rng = random.Random(0)
    epoch = [rng.choice(durations) for _ in range(TRAIN_CLEAN_100_UTTERANCES)]
    print(f"\n== padding: {len(epoch)} utterances drawn from {len(durations)} real durations "
          f"(mean {sum(epoch) / len(epoch):.1f} s, longest {max(epoch):.1f} s)")
    for name in ("tiny", "ctc_100h"):
        data = load_config(CONFIGS / f"{name}.yaml").data
        bucketed = LengthBucketSampler(epoch, data.max_batch_seconds, data.max_batch_size, shuffle=True)
        shuffled = list(range(len(epoch)))
        rng.shuffle(shuffled)
        batches, current, longest = [], [], 0.0  # the same budget, filled in random order
        for i in shuffled:
            if current and (len(current) == data.max_batch_size
                            or max(longest, epoch[i]) * (len(current) + 1) > data.max_batch_seconds):
                batches.append(current)
                current, longest = [], 0.0
            current.append(i)
            longest = max(longest, epoch[i])
        batches.append(current)
        unbucketed = LengthBucketSampler._padding_share(epoch, batches)
        print(f"{name:9} ({data.max_batch_seconds:.0f} s, {data.max_batch_size} a batch): "
              f"{100 * bucketed.padding_share:.2f}% padding in length buckets, "
              f"{100 * unbucketed:.1f}% in random batches")


def training(cfg, setup, steps: int, warmup: int, repeats: int) -> float:
    """asr train's Lightning loop against a plain loop; returns asr's rate (audio s/s)."""
    initial = copy.deepcopy(setup.model.state_dict())
    plain, ours = [], []
    for _ in range(repeats):
        setup.model.load_state_dict(initial)
        plain.append(bench_plain(cfg, setup, steps, warmup))
        setup.model.load_state_dict(initial)
        ours.append(bench_lightning(cfg, setup, steps, warmup))
    print(f"\n== training, {steps - warmup} timed steps, {torch.get_num_threads()} threads, best of {repeats}")
    print(f"plain PyTorch loop {max(plain):7.1f} audio s/s  (runs: {', '.join(f'{r:.1f}' for r in plain)})")
    print(f"asr train          {max(ours):7.1f} audio s/s  (runs: {', '.join(f'{r:.1f}' for r in ours)})")
    print(f"plain / asr        {max(plain) / max(ours):.3f}  (target at most 1.10)")
    return max(ours)


def loading(cfg, setup, batches: int, training_rate: float) -> None:
    """Audio seconds a second the training loader delivers (reading, speed perturbation, noise, padding)."""
    loader = make_datamodule(cfg, setup).train_dataloader()
    audio, start, n = 0.0, time.perf_counter(), 0
    while n < batches:
        for batch in loader:
            audio += batch.wave_lens.sum().item() / cfg.features.sample_rate
            n += 1
            if n == batches:
                break
    rate = audio / (time.perf_counter() - start)
    print(f"\n== data loading: {rate:.0f} audio s/s over {batches} batches, {rate / training_rate:.1f} times what "
          f"training consumes ({training_rate:.1f}); target at least 5")


def transcription(models: dict[str, Path], manifest: Path, decoders: dict[str, list[str]]) -> None:
    """Real-time factor (decoding over audio time, features included) and peak resident memory of
    `asr evaluate`, each run in a fresh process."""
    print(f"\n== transcription of {manifest.name} ({len(read_manifest(manifest))} utterances), "
          f"{torch.get_num_threads()} threads")
    for model_name, model in models.items():
        for name, flags in decoders.items():
            probe = ("import resource, sys; from asr.cli.main import main; code = main(sys.argv[1:]); "
                     "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
                     "sys.exit(code)")
            with tempfile.TemporaryDirectory() as tmp:
                done = subprocess.run([sys.executable, "-c", probe, "evaluate", "--model", str(model), str(manifest),
                                       "--out", f"{tmp}/hyps.jsonl", *flags], capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{model_name} {name}: failed: {done.stderr.strip().splitlines()[-1]}")
                continue
            rtf = re.search(r"RTF ([0-9.]+)", done.stdout).group(1)
            wer = re.search(r"WER ([0-9.]+%)", done.stdout).group(1)
            peak = int(re.search(r"peak (\d+)", done.stderr).group(1)) / 1024
            print(f"{model_name:28} {name:8} RTF {rtf}  peak memory {peak:.0f} MiB  (WER {wer})")


def untrained_model_file(config: Path, manifest: Path, out: Path) -> Path:
    """A model of `config`'s size with its own tokenizer, untrained: its decoding cost is the trained one's."""
    cfg = load_config(config, ["--data.train", str(manifest), "--data.dev", str(manifest)])
    setup = build_setup(cfg)
    save_model_file(out, setup.model, setup.features, setup.tokenizer)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=ROOT / "recipes/librispeech/data/manifests/dev-clean-2.jsonl",
                        help="real utterances (default: ../shared's Mini LibriSpeech, made by the recipe's stage 2)")
    parser.add_argument("--config", type=Path, default=CONFIGS / "tiny.yaml", help="config trained in the training benchmark")
    parser.add_argument("--model", type=Path, default=ROOT / "recipes/librispeech/exp/tiny/model.pt",
                        help="a trained model for the transcription benchmark")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", default="padding,train,loading,transcribe")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if not args.manifest.is_file():
        sys.exit(f"bench.py: no manifest {args.manifest} (run recipes/librispeech/run.sh --config tiny --stop-stage 2)")
    if "padding" in parts:
        padding([u.duration for u in read_manifest(args.manifest)])
    training_rate = None
    if parts & {"train", "loading"}:
        cfg = load_config(args.config, ["--data.train", str(args.manifest), "--data.dev", str(args.manifest)])
        if cfg.train.threads > 0:
            torch.set_num_threads(cfg.train.threads)
        setup = build_setup(cfg)
        training_rate = training(cfg, setup, args.steps, args.warmup, args.repeats)
        if "loading" in parts:
            loading(cfg, setup, 30, training_rate)
    if "transcribe" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            models = {f"{args.model.parent.name} (trained)": args.model,
                      "ctc_100h size (untrained)": untrained_model_file(CONFIGS / "ctc_100h.yaml", args.manifest,
                                                                        Path(tmp) / "ctc_100h.pt")}
            transcription(models, args.manifest, {"greedy": ["--decode", "greedy"],
                                                  "beam 10": ["--decode", "beam", "--beam", "10"]})


if __name__ == "__main__":
    main()
