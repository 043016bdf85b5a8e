"""`asr train` writing to a log file (not a terminal) prints plain lines: one per validation, no bar redraws."""

import subprocess
import sys
from pathlib import Path


def test_training_into_a_log_prints_lines_not_a_bar(spoken_words: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "asr.cli.main", "train", "--out", str(tmp_path / "run"),
                           "--data.train", str(spoken_words / "train.jsonl"), "--data.dev", str(spoken_words / "dev.jsonl"),
                           "--tokenizer.kind", "word", "--model.hidden", "16", "--model.layers", "1",
                           "--train.max_epochs", "3", "--train.threads", "1"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stdout + done.stderr
    assert "\r" not in log and "it/s" not in log
    validations = [line for line in done.stdout.splitlines() if "  validation  " in line]
    assert [line.split()[1] for line in validations] == ["0", "1", "2"]
    assert all("val_loss" in line and "val_cer" in line for line in validations)
