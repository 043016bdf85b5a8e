"""Train a model from JSON-lines manifests.

  asr train --config recipes/mini/conf.yaml --out exp/mini
  asr train --config conf.yaml --model.hidden 256 --train.max_epochs 10 --out exp/small
  asr train --config recipes/mini/conf.yaml --config recipes/mini/conf_joint.yaml --out exp/joint
  asr train --config recipes/mini/conf.yaml --init-from exp/mini/model.pt --data.train new.jsonl --out exp/tuned

Any setting of the config can be overridden as --section.key VALUE (sections: data, features,
specaugment, tokenizer, model, train). model.kind chooses the model: ctc (default), las
(Listen-Attend-Spell, decoded by its speller) or joint (CTC/attention, loss weighted by model.ctc_weight,
decoded by both) to transcribe; a las model with model.ctc_weight above 0 trains a CTC head beside its
speller, which speeds its learning, and is still decoded by the speller alone; sa, dsa or cae
(Audio Word2Vec autoencoders over spoken segments, for `asr embed`). Leaves
OUT/model.pt (the self-contained model file), OUT/learning_curve.png, CSV and TensorBoard logs in
OUT/logs and checkpoints in OUT/checkpoints. Running again with the same --out resumes from
the last checkpoint.

--init-from BASE.pt (the same as --model.init_from) fine-tunes a trained ctc, las or joint model:
the new model starts from its weights and keeps its features (the config's features section must
equal the base's) and its tokenizer; with a tokenizer.file of other symbols, or another model.kind,
only the encoder is taken and the rest starts new.
"""

from __future__ import annotations

import argparse
import sys

from asr.training.config import load_config

TAKES_OVERRIDES = True  # --section.key VALUE settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", action="append",
                        help="YAML file listing what differs from the defaults; "
                             "repeat it to layer a file over the one before")
    parser.add_argument("--init-from", metavar="BASE.pt",
                        help="start from a trained model file (fine-tuning); the same as --model.init_from")
    parser.add_argument("--out", required=True, help="experiment folder (created; resumed if it has checkpoints)")


def run(args: argparse.Namespace) -> int:
    overrides = list(args.overrides)
    if args.init_from:  # an alias of the override, which the config layers then read as any other
        overrides += ["--model.init_from", args.init_from]
    cfg = load_config(args.config, overrides)
    # imported late: Lightning takes seconds to import
    from asr.models.kinds import EMBEDDING_KINDS

    if cfg.model.kind in EMBEDDING_KINDS:
        from asr.training.embedder import train_embedder as train
    else:
        from asr.training.acoustic import train
    trained = train(cfg, args.out)
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    if rank_zero_only.rank != 0:  # the first of several data-parallel processes speaks for them all
        return 0
    print(f"model written to {trained.model_path}")
    if trained.left_out:
        print(f"asr: error: {trained.left_out} audio files could not be read and were left out of "
              "training (named above)", file=sys.stderr)
        return 1
    return 0
