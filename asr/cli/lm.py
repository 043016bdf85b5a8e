"""Train an LSTM language model on text, for beam-search fusion with a trained model.

  asr lm train data/manifests/train.jsonl more_text.txt --tokenizer exp/mini/model.pt --out exp/lm/lm.pt
  asr lm train corpus.txt --config recipes/mini/conf.yaml --lm.hidden 256 --lm.max_epochs 5 --out lm.pt

Text comes from plain text files (one sentence a line) and JSON-lines manifests (their "text").
The LM must predict the same tokens as the model it will serve: --tokenizer takes them from that
model's file (otherwise they are built from the text as the config's tokenizer section says).
Settings come from the config's lm section (embed_dim, hidden, layers, dropout, max_epochs,
max_minutes, lr, batch_size, dev_fraction), overridable as --lm.key VALUE; seed, warm-up,
clipping, precision and threads from its train section. Writes the one
self-contained LM file OUT, with logs, checkpoints and learning_curve.png in OUT_training/.
Use it with `asr evaluate/transcribe --decode beam --lm OUT --lm-weight 0.3`.
"""

from __future__ import annotations

import argparse

from asr.training.config import load_config

TAKES_OVERRIDES = True  # --section.key VALUE settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="train an LSTM language model on text",
                               description=__doc__.strip(), formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("texts", nargs="+", metavar="TEXT_OR_MANIFEST", help="text files and/or .jsonl manifests")
    train.add_argument("--out", required=True, help="language model file to write (e.g. exp/lm/lm.pt)")
    train.add_argument("--tokenizer", metavar="MODEL", help="take the tokens from this trained model file")
    train.add_argument("--config", action="append",
                       help="YAML config (its lm, tokenizer and train sections); repeat it to layer files")


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.overrides)
    from asr.training.lm import train_lm  # imported late: Lightning takes seconds to import

    trained = train_lm(cfg, args.texts, args.out, args.tokenizer)
    print(f"language model written to {trained.model_path}")
    return 1 if trained.left_out else 0  # lines that could not be read were named as they were met
