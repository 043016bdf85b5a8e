"""Learn a tokenizer from training text and write it as a file, for `asr train` and `asr lm train`
to share (`--tokenizer.file FILE`): a recipe learns its tokens once, then trains its language model
and acoustic model over the same ids, in either order.

  asr tokenizer train data/manifests/train-clean-100.jsonl --config conf.yaml --out exp/tokenizer.json
  asr tokenizer train train.jsonl --tokenizer.kind bpe --tokenizer.vocab_size 300 --out tokens.json

Text comes from JSON-lines manifests (their "text") and plain text files (one sentence a line,
.gz allowed). The kind and size come from the config's tokenizer section, overridable as
--tokenizer.key VALUE: char, word, or SentencePiece bpe / unigram with vocab_size pieces.
"""

from __future__ import annotations

import argparse

from asr.data.text_corpus import read_texts, report_left_out
from asr.errors import UserError
from asr.text.tokenizer import build_tokenizer
from asr.text.tokenizer_file import save_tokenizer
from asr.training.config import load_config

TAKES_OVERRIDES = True  # --section.key VALUE settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="learn a tokenizer from text", description=__doc__.strip(),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("texts", nargs="+", metavar="TEXT_OR_MANIFEST", help="manifests (.jsonl) and/or text files")
    train.add_argument("--out", required=True, help="tokenizer file to write (e.g. exp/tokenizer.json)")
    train.add_argument("--config", action="append", help="YAML config (its tokenizer section); repeat it to layer files")


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.overrides).tokenizer
    problems: list[str] = []
    texts = read_texts(args.texts, problems=problems)
    report_left_out(problems, "text")
    try:
        tokenizer = build_tokenizer(cfg.kind, texts, vocab_size=cfg.vocab_size)
    except ValueError as err:
        raise UserError(str(err)) from None
    save_tokenizer(tokenizer, args.out)
    print(f"{len(tokenizer)} {cfg.kind} tokens written to {args.out}")
    return 1 if problems else 0
