"""ONNX and int8 against PyTorch: file size, log-prob difference, transcripts and speed on a manifest.

    .venv/bin/python scripts/bench_export.py --model recipes/mini/exp/mini/model.pt \
        --manifest recipes/mini/data/manifests/test.jsonl [--files 100] [--threads 2]

Exports the model (fp32 and int8, `asr export`) into a temporary folder, then runs the encoder and CTC
head over the first `--files` recordings of the manifest, batched as `asr evaluate` batches them, with
PyTorch fp32, PyTorch's own dynamic int8 (torch.ao, for comparison), onnxruntime fp32 and onnxruntime
int8; 3 timed passes after one warm-up, median. Prints sizes, the largest log-prob difference from
PyTorch over 20 recordings, how many greedy transcripts equal PyTorch's, and seconds per pass.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asr.data.audio import load_audio  # noqa: E402
from asr.data.manifest import read_manifest  # noqa: E402
from asr.decoding.ctc_greedy import ctc_greedy  # noqa: E402
from asr.export.onnx_model import export_onnx, load_onnx_model  # noqa: E402
from asr.model_file import LoadedModel, load_model_file  # noqa: E402
from asr.transcription.decoder import decode_waves  # noqa: E402


def run(loaded: LoadedModel, waves: list[torch.Tensor]) -> list[torch.Tensor]:
    """Each recording's CTC log-probs, batched and greedy-decoded as transcription does it."""
    return [h.log_probs for h in decode_waves(loaded, waves, log_probs=True)]


def timed(loaded: LoadedModel, waves: list[torch.Tensor]) -> tuple[float, list[torch.Tensor]]:
    out = run(loaded, waves)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run(loaded, waves)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pytorch = load_model_file(args.model)
    rate = pytorch.features.cfg.sample_rate
    waves = [load_audio(u.audio, rate) for u in read_manifest(args.manifest)[: args.files]]
    audio = sum(len(w) for w in waves) / rate
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    fp32_file, int8_file = folder / "model.onnx", folder / "model.int8.onnx"
    export_onnx(pytorch, fp32_file)
    export_onnx(pytorch, int8_file, "int8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantized = torch.ao.quantization.quantize_dynamic(pytorch.model, {torch.nn.LSTM, torch.nn.Linear},
                                                           dtype=torch.qint8)
    quantized.register_parameter("anchor", torch.nn.Parameter(torch.zeros(0), requires_grad=False))  # its device
    runs = {"pytorch fp32": pytorch,
            "pytorch int8 (torch.ao dynamic)": LoadedModel(quantized, pytorch.features, pytorch.tokenizer, {}),
            "onnxruntime fp32": load_onnx_model(fp32_file, args.threads),
            "onnxruntime int8": load_onnx_model(int8_file, args.threads)}
    print(f"{len(waves)} recordings, {audio:.0f} s of audio, {args.threads} threads")
    print(f"sizes: model.pt {Path(args.model).stat().st_size / 2**20:.2f} MiB, onnx fp32 "
          f"{fp32_file.stat().st_size / 2**20:.2f} MiB, onnx int8 {int8_file.stat().st_size / 2**20:.2f} MiB "
          f"({fp32_file.stat().st_size / int8_file.stat().st_size:.2f}x smaller)")
    reference = None
    blank = pytorch.tokenizer.blank_id
    for name, loaded in runs.items():
        seconds, out = timed(loaded, waves)
        ids = ctc_greedy(torch.nn.utils.rnn.pad_sequence(out, batch_first=True),
                         torch.tensor([len(o) for o in out]), blank)
        if reference is None:
            reference = (out, ids)
        diff = max(float((a - b).abs().max()) for a, b in zip(out[:20], reference[0][:20], strict=True))
        same = sum(a == b for a, b in zip(ids, reference[1], strict=True))
        print(f"{name:34s} {seconds:6.2f} s a pass (RTF {seconds / audio:.4f}), max |log-prob - PyTorch's| "
              f"{diff:.2e} over 20, greedy transcripts as PyTorch's {same}/{len(ids)}")


if __name__ == "__main__":
    main()
