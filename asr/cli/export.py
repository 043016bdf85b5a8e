"""Write a trained CTC or joint model as an ONNX file that onnxruntime runs, optionally with int8 weights.

  asr export --model exp/mini/model.pt --format onnx --out exp/mini/model.onnx
  asr export --model exp/mini/model.pt --format onnx --quantize int8 --out exp/mini/model.int8.onnx
  asr transcribe --model exp/mini/model.int8.onnx a.wav

The graph holds the encoder and the CTC head (a joint model's speller stays behind: the file decodes with
CTC); the feature step runs in asr from the settings stored in the file's metadata, so `asr transcribe` and
`asr evaluate` take the .onnx file as they take the .pt one. Needs onnxruntime and onnx (pip install 'asr[onnx]').
"""

from __future__ import annotations

import argparse

from asr.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model file written by asr train (model.pt)")
    parser.add_argument("--format", default="onnx", choices=["onnx"], help="what to write (default: onnx)")
    parser.add_argument("--out", required=True, help="the file to write, e.g. model.onnx")
    parser.add_argument("--quantize", choices=["int8"],
                        help="int8 weights for the LSTM and linear layers (dynamic quantisation by onnxruntime)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from asr.export.onnx_model import export_onnx
    from asr.model_file import load_model_file
    from asr.models.kinds import ACOUSTIC_KINDS

    if Path(args.model).suffix == ".onnx":
        raise UserError(f"{args.model} is exported already; export the .pt model file it came from")
    loaded = load_model_file(args.model).require(ACOUSTIC_KINDS, args.model, "be exported for transcription")
    export_onnx(loaded, args.out, args.quantize)
    size = Path(args.out).stat().st_size / 2**20
    print(f"wrote {args.out} ({size:.1f} MiB{', int8 weights' if args.quantize else ''}): encoder and CTC head of "
          f"the {loaded.kind} model; asr transcribe --model {args.out} decodes it with onnxruntime")
    return 0
