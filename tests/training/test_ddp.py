"""Data-parallel training: two CPU processes (gloo) through Lightning's DDP strategy, launched as
`asr train --train.devices 2` launches them. Each step, the ranks train on disjoint batches and hold
the same weights afterwards."""

import json
import subprocess
import sys
from pathlib import Path


def test_two_ranks_train_disjoint_batches_into_identical_weights(spoken_words: Path, tmp_path: Path) -> None:
    probe = Path(__file__).with_name("ddp_probe.py")
    subprocess.run([sys.executable, str(probe), str(tmp_path), str(spoken_words / "train.jsonl"),
                    str(spoken_words / "dev.jsonl")], check=True, capture_output=True, timeout=600)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 6  # 48 words in batches of 4: 12 batches, 6 a rank
    seen = []
    for zero, one in zip(*ranks):
        assert zero["step"] == one["step"]
        assert not set(zero["ids"]) & set(one["ids"])
        assert abs(zero["weights"] - one["weights"]) < 1e-9 * max(1.0, abs(zero["weights"]))
        seen += zero["ids"] + one["ids"]
    assert len(set(seen)) == len(seen) == 48  # between them the ranks read the epoch once
    assert ranks[0][0]["weights"] != ranks[0][-1]["weights"]  # and they did train


def test_the_cli_trains_on_two_processes_and_speaks_once(spoken_words: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "asr.cli.main", "train", "--out", str(out),
                           "--data.train", str(spoken_words / "train.jsonl"), "--data.dev", str(spoken_words / "dev.jsonl"),
                           "--tokenizer.kind", "word", "--model.hidden", "16", "--model.layers", "1",
                           "--data.max_batch_size", "4", "--train.max_epochs", "1", "--train.threads", "1",
                           "--train.devices", "2", "--train.accelerator", "cpu"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("model written to") == 1
    from asr.model_file import load_model_file

    assert load_model_file(out / "model.pt").info["steps"] == 6  # 48 words, batches of 4, 2 ranks
    import torch

    state = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    ranks = next(v for k, v in state.items() if k.endswith("DataModule"))["ranks"]
    assert len(ranks) == 2  # each rank resumes with its own generators
