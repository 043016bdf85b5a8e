"""The decoding options `asr evaluate` and `asr transcribe` share (not a subcommand)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from asr.decoding.options import METHODS
from asr.errors import UserError
from asr.model_file import LoadedModel

if TYPE_CHECKING:
    from asr.transcription.decoder import TokenDecoder


def add_decode_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("decoding (defaults follow the model kind: CTC greedy; LAS and joint "
                                      "beam 10, the joint search weighing CTC as the model was trained)")
    group.add_argument("--decode", choices=METHODS, help="greedy, or beam search")
    group.add_argument("--beam", type=int, help="hypotheses kept per utterance (default 10)")
    group.add_argument("--ctc-weight", type=float,
                       help="joint models: weight of CTC prefix scores against attention, 0-1 (1 = CTC alone)")
    group.add_argument("--lm", metavar="PATH", help="language model: an `asr lm train` file, or KenLM .arpa/.bin "
                                                    "(CTC beam search only)")
    group.add_argument("--lm-weight", type=float, help="shallow-fusion weight of the LM (default 0.3)")
    group.add_argument("--length-bonus", type=float, help="score added per output token (e.g. 0.5 with an LM)")
    group.add_argument("--max-len-ratio", type=float, help="attention search: most tokens per encoder frame (1)")
    group.add_argument("--lexicon", metavar="PATH", help="CTC beam search: lexicon file (a word, then its tokens)")
    group.add_argument("--max-chunk", type=float, default=30.0, metavar="S",
                       help="cut longer recordings at pauses into pieces of at most S seconds, decoded in turn "
                            "(default 30: an RNN trained on sentences loses its way over minutes; 0: decode whole)")


def check_max_chunk(args: argparse.Namespace) -> None:
    """--max-chunk is 0 (never cut) or at least the recogniser's shortest piece; say so before any work."""
    from asr.transcription.recognizer import MIN_CHUNK  # imported here: it loads torch, and --help should not wait for it

    if args.max_chunk < 0 or 0 < args.max_chunk < MIN_CHUNK:
        raise UserError(f"--max-chunk must be 0 (never cut) or at least {MIN_CHUNK:g} s, not {args.max_chunk:g}")


def decoder_from_args(loaded: LoadedModel, args: argparse.Namespace) -> TokenDecoder:
    """The TokenDecoder the arguments ask for, on the model's kind's defaults."""
    from asr.transcription.decoder import TokenDecoder, options_for  # imported late: torch and the decoders take seconds

    options = options_for(loaded.model, method=args.decode, beam=args.beam, ctc_weight=args.ctc_weight,
                          lm=args.lm, lm_weight=args.lm_weight, length_bonus=args.length_bonus,
                          max_len_ratio=args.max_len_ratio, lexicon=args.lexicon)
    return TokenDecoder(loaded.model, loaded.tokenizer, options)
