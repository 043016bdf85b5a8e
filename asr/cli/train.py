"""Train a model from JSON-lines manifests.

  asr train --config recipes/mini/conf.yaml --out exp/mini
  asr train --config conf.yaml --model.hidden 256 --train.max_epochs 10 --out exp/small

Any setting of the config can be overridden as --section.key VALUE (sections: data, features,
specaugment, tokenizer, model, train). Leaves OUT/model.pt (the self-contained model that
`asr transcribe` and `asr evaluate` load), OUT/learning_curve.png, CSV and TensorBoard logs in
OUT/logs and checkpoints in OUT/checkpoints. Running again with the same --out resumes from
the last checkpoint.
"""

from __future__ import annotations

import argparse

from asr.training.config import load_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file listing what differs from the defaults")
    parser.add_argument("--out", required=True, help="experiment folder (created; resumed if it has checkpoints)")


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.overrides)
    from asr.training.fit import train  # imported late: Lightning takes seconds to import

    model_path = train(cfg, args.out)
    print(f"model written to {model_path}")
    return 0
