"""The learning-rate schedule: warm-up, cosine decay, and annealing by the wall-clock budget."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from asr.cli.main import main
from asr.training.task import warmup_cosine


def test_warmup_then_cosine_to_the_final_ratio() -> None:
    assert warmup_cosine(0, 10, 110, 0.1) == pytest.approx(0.1)
    assert warmup_cosine(9, 10, 110, 0.1) == pytest.approx(1.0)
    assert warmup_cosine(60, 10, 110, 0.1) == pytest.approx(0.55)
    assert warmup_cosine(110, 10, 110, 0.1) == warmup_cosine(10_000, 10, 110, 0.1) == pytest.approx(0.1)


def test_time_progress_takes_over_when_further_along() -> None:
    assert warmup_cosine(20, 10, 110, 0.1, time_progress=0.5) == pytest.approx(0.55)
    assert warmup_cosine(20, 10, 110, 0.1, time_progress=1.0) == pytest.approx(0.1)
    assert warmup_cosine(60, 10, 110, 0.1, time_progress=0.1) == pytest.approx(0.55)  # steps lead


def test_a_run_cut_by_its_time_budget_ends_annealed(digit_training_args: list[str], tmp_path: Path) -> None:
    """max_epochs far beyond reach, 6 s of budget: training stops on time with the rate decayed."""
    args = list(digit_training_args)
    args[args.index("--out") + 1] = str(tmp_path / "exp")
    args += ["--train.max_epochs", "1000", "--train.max_minutes", "0.1", "--train.warmup_steps", "5"]
    assert main(args) == 0
    with open(tmp_path / "exp" / "logs" / "metrics.csv") as f:
        rows = [r for r in csv.DictReader(f) if r.get("lr")]
    lrs = [float(r["lr"]) for r in rows]
    epochs = {int(r["epoch"]) for r in rows}
    assert max(epochs) < 100  # stopped by the clock, not by max_epochs
    assert max(lrs) > 0.5 * 0.003 and lrs[-1] < 0.25 * 0.003, lrs  # warmed up, then annealed by time
