"""Run by test_ddp.py (not a test itself): train through Lightning's DDP on CPU processes (gloo) as
`asr train` does, and have every rank write, per step, the utterances of its batch and a checksum
of its weights after the step.

    python tests/training/ddp_probe.py OUT_DIR TRAIN.jsonl DEV.jsonl
"""

import json
import sys
from pathlib import Path

import lightning as L

from asr.training.acoustic import build_setup, make_datamodule, make_task
from asr.training.config import load_config
from asr.training.driver import fit


class Probe(L.Callback):
    def __init__(self, out: Path):
        self.out, self.steps = out, []

    def on_train_batch_end(self, trainer, task, outputs, batch, batch_idx) -> None:
        checksum = sum(float(p.double().sum()) for p in task.model.parameters())
        self.steps.append({"step": trainer.global_step, "ids": batch.ids, "weights": checksum})

    def on_train_end(self, trainer, task) -> None:
        (self.out / f"rank{trainer.global_rank}.json").write_text(json.dumps(self.steps))


if __name__ == "__main__":
    out, train, dev = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    cfg = load_config(None, ["--data.train", train, "--data.dev", dev, "--tokenizer.kind", "word",
                             "--model.hidden", "16", "--model.layers", "1", "--data.max_batch_size", "4",
                             "--train.max_epochs", "1", "--train.accelerator", "cpu", "--train.devices", "2",
                             "--train.threads", "1"])
    setup = build_setup(cfg)
    fit(make_task(cfg, setup), make_datamodule(cfg, setup), cfg.train, out, "val_cer", callbacks=[Probe(out)])
