"""GPU (or CPU) training throughput of a CTC model: fp32 against bf16 or fp16 autocast, and our
padded per-direction BiLSTM against cuDNN's fused bidirectional LSTM over packed sequences.

  python scripts/bench_gpu.py [--config recipes/mini/conf.yaml] [--batch-seconds 30 240] [--steps 30]
                              [--precision fp32 bf16 fp16] [--cell gru] [--device cpu]

Needs no corpus: random waveforms, 2 to 8 s long, sorted into length buckets as `asr train`
does. One timed step is what a training step does: features (log-mel + CMVN) on the GPU,
encoder, CTC loss, backward, gradient clipping and an Adam update. Prints seconds of audio
per second of wall time for each combination. The fused cuDNN LSTM is a reference only: the
project's encoder runs each direction on its own so that padded input stays correct on the
CPU (where packing is about ten times slower); this script measures what that costs on a GPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
from contextlib import nullcontext

import torch
from torch import nn

from asr.features.pipeline import FeaturePipeline
from asr.models.ctc_model import CTCModel, CTCModelConfig, ctc_loss
from asr.models.rnn_encoder import CELLS, stack_frames
from asr.training.config import load_config

SAMPLE_RATE = 16000
VOCAB = 30  # characters + blank
CHARS_PER_SECOND = 14  # label length of espeak-ng speech at about 165 words per minute
AUTOCAST = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class FusedCudnnCTC(nn.Module):
    """The same model shape with torch's bidirectional RNN (nn.LSTM, ...) over packed sequences."""

    def __init__(self, cfg: CTCModelConfig):
        super().__init__()
        enc = cfg.encoder
        self.stack = enc.stack
        self.rnn = CELLS[enc.cell](enc.input_dim * enc.stack, enc.hidden, num_layers=enc.layers,
                                   dropout=enc.dropout, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * enc.hidden, cfg.vocab_size)

    def forward(self, feats: torch.Tensor, lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, lens = stack_frames(feats, lens, self.stack)
        packed = nn.utils.rnn.pack_padded_sequence(x, lens.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        return self.head(out).log_softmax(-1), lens


def make_batches(batch_seconds: float, n: int, seed: int = 0) -> list[list[float]]:
    """`n` batches of utterance durations in seconds, bucketed by length like asr train."""
    rng = random.Random(seed)
    durations = sorted(rng.uniform(2.0, 8.0) for _ in range(4000))
    batches, current = [], []
    for d in durations:
        if current and max(current + [d]) * (len(current) + 1) > batch_seconds:
            batches.append(current)
            current = []
        current.append(d)
    rng.shuffle(batches)
    return batches[:n]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_steps(model: nn.Module, features: FeaturePipeline, batches: list[list[float]], warmup: int,
               precision: str, device: torch.device) -> float:
    """Seconds of audio trained per wall-clock second over the batches after `warmup`."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    audio = 0.0
    start = None
    for i, durations in enumerate(batches):
        if i == warmup:
            _sync(device)
            start = time.perf_counter()
        lens = torch.tensor([int(d * SAMPLE_RATE) for d in durations])
        waves = (0.1 * torch.randn(len(lens), int(lens.max()), generator=gen)).to(device, non_blocking=True)
        target_lens = torch.tensor([int(d * CHARS_PER_SECOND) for d in durations])
        targets = torch.randint(1, VOCAB, (len(lens), int(target_lens.max())), generator=gen)
        with torch.no_grad():
            feats, feat_lens = features(waves, lens.to(device))
        dtype = AUTOCAST.get(precision)
        with torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext():
            log_probs, out_lens = model(feats, feat_lens)
        loss = ctc_loss(log_probs.float(), out_lens, targets.to(device), target_lens.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        if i >= warmup:
            audio += sum(durations)
    _sync(device)
    return audio / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="recipes/mini/conf.yaml", help="training config (model and features)")
    parser.add_argument("--batch-seconds", type=float, nargs="+", default=[30.0, 240.0],
                        help="padded audio per batch (30 is the mini recipe's CPU setting)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per combination")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--precision", nargs="+", choices=sorted(AUTOCAST), default=["fp32", "bf16"],
                        help="autocast dtypes to time (fp16 without a gradient scaler: a speed check only)")
    parser.add_argument("--cell", choices=sorted(CELLS), help="override the config's RNN cell")
    parser.add_argument("--device", default="cuda", help="cpu runs the same steps on the CPU")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("bench_gpu.py: no CUDA device (use --device cpu for a smoke test)")
    cfg = load_config(args.config)
    model = dataclasses.replace(cfg.model, cell=args.cell) if args.cell else cfg.model
    features = FeaturePipeline(cfg.features).to(device)
    encoder = model.model_config(features.dim, VOCAB, None).encoder
    model_cfg = CTCModelConfig(encoder=encoder, vocab_size=VOCAB)
    builds = [("ours (padded)", CTCModel)]
    if encoder.cell != "jordan":  # torch has no fused Jordan RNN to compare with
        builds.append(("cuDNN fused+packed", FusedCudnnCTC))
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"{name} | torch {torch.__version__} | cuDNN {torch.backends.cudnn.version()}")
    print(f"model: {encoder}")
    print(f"{'batch s':>8} {'encoder':>16} {'precision':>9} {'audio s/s':>10} {'utts/batch':>10}")
    for batch_seconds in args.batch_seconds:
        batches = make_batches(batch_seconds, args.warmup + args.steps)
        per_batch = sum(len(b) for b in batches) / len(batches)
        for name, build in builds:
            for precision in args.precision:
                torch.manual_seed(0)
                model = build(model_cfg).to(device).train()
                note = ""
                try:
                    rate = f"{time_steps(model, features, batches, args.warmup, precision, device):.0f}"
                except RuntimeError as err:  # e.g. oneDNN has no fp16 LSTM under CPU autocast
                    rate, note = "failed", str(err).splitlines()[0][:80]
                print(f"{batch_seconds:8.0f} {name:>16} {precision:>9} {rate:>10} {per_batch:10.1f}  {note}",
                      flush=True)
    if device.type == "cuda":
        print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
