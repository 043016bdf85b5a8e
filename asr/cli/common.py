"""What several subcommands share (not a subcommand): the decoding options of `asr evaluate` and
`asr transcribe`, and reading a manifest's audio a chunk of utterances at a time."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from tqdm import tqdm

from asr.data.audio import load_audio, too_short
from asr.data.manifest import Utterance
from asr.decoding.options import METHODS
from asr.errors import UserError
from asr.utils.progress import progress

if TYPE_CHECKING:
    import torch

    from asr.transcription.decoder import TokenDecoder
    from asr.transcription.recognizer import Recognizer


def add_decode_arguments(parser: argparse.ArgumentParser) -> None:
    """--decode, --beam, ... (the names of `asr.transcription.decoder.OPTION_NAMES`) and --max-chunk."""
    group = parser.add_argument_group("decoding (defaults follow the model kind: CTC greedy; LAS and joint "
                                      "beam 10, the joint search weighing CTC as the model was trained)")
    group.add_argument("--decode", choices=METHODS, help="greedy, beam search, or rescore (joint models: the CTC "
                                                        "beam's hypotheses rescored by the speller in one batch)")
    group.add_argument("--beam", type=int, help="hypotheses kept per utterance (default 10)")
    group.add_argument("--ctc-weight", type=float,
                       help="joint models: weight of CTC prefix scores against attention, 0-1 (1 = CTC alone)")
    group.add_argument("--lm", metavar="PATH", help="language model: an `asr lm train` file, or KenLM .arpa/.bin "
                                                    "(CTC beam search only)")
    group.add_argument("--lm-weight", type=float, help="shallow-fusion weight of the LM (default 0.3)")
    group.add_argument("--length-bonus", type=float, help="score added per output token (e.g. 0.5 with an LM)")
    group.add_argument("--max-len-ratio", type=float, help="attention search: most tokens per encoder frame (1)")
    group.add_argument("--coverage", type=float,
                       help="attention search: score per encoder frame the speller has attended, against loops "
                            "over words already read (default 0: none)")
    group.add_argument("--lexicon", metavar="PATH", help="CTC beam search: lexicon file (a word, then its tokens)")
    group.add_argument("--max-chunk", type=float, default=30.0, metavar="S",
                       help="cut longer recordings at pauses into pieces of at most S seconds, decoded in turn "
                            "(default 30: an RNN trained on sentences loses its way over minutes; 0: decode whole)")


def check_decode_arguments(args: argparse.Namespace) -> None:
    """--max-chunk and the decoding options' values, checked before any work (the model's defaults
    are settled later, once it is loaded)."""
    from asr.transcription.chunking import check_max_chunk  # imported here: it loads torch
    from asr.transcription.decoder import OPTION_NAMES, checked_options

    check_max_chunk(args.max_chunk, "--max-chunk")
    checked_options(**{name: getattr(args, name, None) for name in OPTION_NAMES})


def decoder_from_args(recognizer: Recognizer, args: argparse.Namespace) -> TokenDecoder:
    """The recogniser's decoder for the options the arguments give (each option's dest is its API name; a
    command without one, as `asr evaluate` without --nbest, leaves it to the default)."""
    return recognizer.decoder(**decode_options_from_args(args))


def decode_options_from_args(args: argparse.Namespace) -> dict:
    """The decoding options the arguments name, by their API names (None: the default)."""
    from asr.transcription.decoder import OPTION_NAMES

    return {name: getattr(args, name, None) for name in OPTION_NAMES}


def readable_chunks(utterances: Sequence[Utterance], sample_rate: int, size: int, desc: str, bar_from: int = 1,
                    min_samples: int = 1) -> Iterator[tuple[list[Utterance], list[torch.Tensor], int]]:
    """(the utterances whose audio could be read, their waveforms at `sample_rate`, how many could not)
    for each `size` utterances in turn; one line on stderr per unreadable file (or one shorter than
    `min_samples`, a model's analysis frame), and a progress bar when there are at least `bar_from` utterances."""
    if size < 1:
        raise UserError(f"--read-size must be at least 1, not {size}")
    with progress(total=len(utterances), desc=desc, unit="utt", enabled=len(utterances) >= bar_from) as bar:
        for start in range(0, len(utterances), size):
            chunk, waves, unreadable = [], [], 0
            for utt in utterances[start:start + size]:
                try:
                    wave = load_audio(utt.audio, sample_rate, utt.start, utt.end)
                    if len(wave) < min_samples:
                        raise too_short(utt.audio, len(wave), sample_rate, min_samples / sample_rate)
                    waves.append(wave)
                    chunk.append(utt)
                except UserError as err:
                    tqdm.write(f"asr: error: {err}", file=sys.stderr)
                    unreadable += 1
            yield chunk, waves, unreadable
            bar.update(len(utterances[start:start + size]))


def add_read_size_argument(parser: argparse.ArgumentParser, default: int) -> None:
    """--read-size: utterances read (and their audio held) at a time; --chunk is its older name."""
    parser.add_argument("--read-size", "--chunk", dest="read_size", type=int, default=default, metavar="N",
                        help=f"utterances read and processed at a time (default {default}; older name --chunk)")
