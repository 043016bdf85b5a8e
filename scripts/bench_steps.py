"""Training-step cost of each model kind against CTC: the same encoder, the same batches, the same step.

  .venv/bin/python scripts/bench_steps.py                       # the mini recipe's models, on its corpus
  .venv/bin/python scripts/bench_steps.py --batches 40 --threads 2 --variants ctc,joint-feeding,joint

Each variant is the mini recipe's config with its model config over it (conf_las.yaml, conf_joint.yaml)
and the overrides named below. Every variant trains on the same utterances in the same batches (the
training loader's first `--batches`, same seed) from the same initial encoder weights: features and
SpecAugment, the model's loss, backward, gradient clipping and Adam, as `asr train` steps. The batches
run twice in a fresh process: the first pass pays for every new batch shape (oneDNN preparing its LSTM
kernels), the second is the step's cost. Prints audio seconds a second of each pass and the second
pass's cost against CTC's. Figures go in the recipe README and the closing notes, never in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

from asr.training.acoustic import build_setup, make_datamodule, make_task
from asr.training.config import load_config

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "recipes" / "mini"
FEEDING = ["--model.input_feeding", "true", "--model.attention", "location"]  # the speller one step at a time
VARIANTS = {  # name -> (model config over conf.yaml, overrides)
    "ctc": (None, []),
    "las-feeding": ("conf_las.yaml", FEEDING),
    "joint-feeding": ("conf_joint.yaml", FEEDING),
    "las": ("conf_las.yaml", []),  # the recipe's: no input feeding, dot attention
    "joint": ("conf_joint.yaml", []),
    "joint-additive": ("conf_joint.yaml", ["--model.attention", "additive"]),
    "ctc-running": (None, ["--features.normalize", "running"]),  # the full BiLSTM a streaming model is held to
    "stream": ("conf_stream.yaml", []),  # latency-controlled BiLSTM, 0.3 s chunks + 0.18 s right context
    "stream-42-6": ("conf_stream.yaml", ["--model.chunk_frames", "42", "--model.right_context_frames", "6"]),
    "stream-48-0": ("conf_stream.yaml", ["--model.chunk_frames", "48", "--model.right_context_frames", "0"]),
    "stream-summary": ("conf_stream.yaml", ["--model.right_context", "summary"]),
    "uni": ("conf_uni.yaml", []),
}


def step_times(name: str, manifest: Path, batches: int) -> tuple[list[float], list[float], float, list]:
    """Seconds of each step over two passes of the same batches, the audio seconds of a pass, the ids."""
    model_config, overrides = VARIANTS[name]
    configs = [MINI / "conf.yaml"] + ([MINI / model_config] if model_config else [])
    dev = manifest.with_name("dev.jsonl") if manifest.with_name("dev.jsonl").is_file() else manifest
    cfg = load_config(configs, ["--data.train", str(manifest), "--data.dev", str(dev), *overrides])
    setup = build_setup(cfg)
    task = make_task(cfg, setup)
    loader = make_datamodule(cfg, setup).train_dataloader()
    chosen = []
    for batch in loader:
        chosen.append(batch)
        if len(chosen) == batches:
            break
    model = setup.model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.train.lr, fused=True)  # as ModelTask
    passes = []
    for _ in range(2):
        seconds = []
        for batch in chosen:
            start = time.perf_counter()
            loss, _ = model.loss(*task.loss_inputs(batch, train=True))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.train.grad_clip)
            optimizer.step()
            seconds.append(time.perf_counter() - start)
        passes.append(seconds)
    audio = sum(b.wave_lens.sum().item() for b in chosen) / cfg.features.sample_rate
    return passes[0], passes[1], audio, [list(b.ids) for b in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=MINI / "data" / "manifests" / "train.jsonl",
                        help="training utterances (default: the mini recipe's, made by run.sh --stop-stage 2)")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    if not args.manifest.is_file():
        sys.exit(f"bench_steps.py: no manifest {args.manifest} (run recipes/mini/run.sh --stop-stage 2)")
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"bench_steps.py: unknown variant {', '.join(unknown)} (known: {', '.join(VARIANTS)})")
    torch.set_num_threads(args.threads)
    print(f"== training steps: {args.batches} batches of {args.manifest.name}, {args.threads} threads, two passes")
    reference, reference_ids = None, None
    for name in names:
        first, second, audio, ids = step_times(name, args.manifest, args.batches)
        if reference_ids is None:
            reference_ids = ids
        elif ids != reference_ids:
            sys.exit(f"bench_steps.py: {name} drew other batches than {names[0]}: not comparable")
        cost = statistics.median(second)
        if reference is None:
            reference = cost
        print(f"{name:24} first pass {audio / sum(first):7.1f} audio s/s, second {audio / sum(second):7.1f} "
              f"(first / second {sum(first) / sum(second):5.2f}); median step {cost:.3f} s, "
              f"{cost / reference:.2f} x {names[0]}")


if __name__ == "__main__":
    main()
