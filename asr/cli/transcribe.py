"""Transcribe audio files with a trained model.

  asr transcribe --model exp/mini/model.pt a.wav b.flac c.ogg
  asr transcribe --model exp/joint/model.pt --decode beam --beam 10 --lm exp/lm/lm.pt --lm-weight 0.3 a.wav

Prints "path<TAB>transcript" per file (or JSON lines with --json). Any sample rate and channel
count is accepted: audio is downmixed and resampled to the model's rate. A file that cannot be
read gets one line on stderr; the others are still transcribed and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import sys

from asr.cli.decode_options import add_decode_arguments, decoder_from_args
from asr.data.audio import load_audio
from asr.errors import UserError
from asr.model_file import load_model_file
from asr.models.kinds import ACOUSTIC_KINDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model file written by asr train (model.pt)")
    parser.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ogg, ...)")
    parser.add_argument("--json", action="store_true", help='print {"path", "text"} JSON lines')
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")
    add_decode_arguments(parser)


def run(args: argparse.Namespace) -> int:
    loaded = load_model_file(args.model, args.device).require(ACOUSTIC_KINDS, args.model, "transcribe audio")
    decoder = decoder_from_args(loaded, args)
    sample_rate = loaded.features.cfg.sample_rate
    good, waves, failed = [], [], 0
    for path in args.files:
        try:
            waves.append(load_audio(path, sample_rate))
            good.append(path)
        except UserError as err:
            print(f"asr: error: {err}", file=sys.stderr)
            failed += 1
    from asr.transcription import transcribe_waves

    for path, text in zip(good, transcribe_waves(loaded, waves, decoder)):
        print(json.dumps({"path": path, "text": text}) if args.json else f"{path}\t{text}", flush=True)
    return 1 if failed else 0
