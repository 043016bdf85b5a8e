"""The ``asr`` command: one subcommand per module in this folder."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from asr.errors import Interrupted, UserError

# subcommand -> module in asr.cli; each module has add_arguments(parser) and run(args) -> int.
SUBCOMMANDS = {
    "synth": "Generate a synthetic spoken corpus (espeak-ng) in LibriSpeech layout.",
    "prepare": "Turn a corpus on disk into JSON-lines manifests.",
    "tokenizer": "Learn a tokenizer (characters, words, BPE) from text and write it as a file (asr tokenizer train ...).",
    "train": "Train a model from manifests and a YAML config.",
    "evaluate": "Score a trained model on a manifest (WER, CER).",
    "transcribe": "Transcribe audio files with a trained model.",
    "lm": "Train a language model on text, for beam search (asr lm train ...).",
    "qbe": "Query-by-example retrieval of word segments: vectors against a DTW baseline (MAP, same-different AP).",
    "align": "Cut a manifest's utterances into word segments (CTC forced alignment).",
    "embed": "Turn spoken segments into fixed-size vectors (Audio Word2Vec models).",
    "export": "Write a CTC or joint model as an ONNX file (optionally with int8 weights) for onnxruntime.",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `command`, only that subcommand's module is imported (the others' imports,
    Lightning, matplotlib and numba among them, cost seconds that `asr transcribe` should not pay)."""
    parser = argparse.ArgumentParser(
        prog="asr",
        description="Train, evaluate and run speech recognisers. Run 'asr COMMAND --help' for details.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in SUBCOMMANDS.items():
        if command is not None and name != command:
            sub.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(f"asr.cli.{name}")
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # the subcommand is the first word (asr has no options of its own before it); else build them all
    parser = build_parser(argv[0] if argv and argv[0] in SUBCOMMANDS else None)
    args, extra = parser.parse_known_args(argv)
    # Only commands that read a config (train, lm) take free-form `--section.key value` overrides.
    if extra and not getattr(args._module, "TAKES_OVERRIDES", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.overrides = extra
    try:
        return int(args._module.run(args) or 0)
    except UserError as err:
        print(f"asr: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # an output folder that cannot be written, a full disk, a file that vanished
        if os.environ.get("ASR_TRACEBACK"):
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"asr: error: {where}{err.strerror or err} (ASR_TRACEBACK=1 shows where)", file=sys.stderr)
        return 2
    except Interrupted as stop:  # a signal stopped training after checkpointing: say how to go on
        print(f"asr: {stop}", file=sys.stderr)
        return stop.exit_status
    except KeyboardInterrupt:
        print("asr: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
