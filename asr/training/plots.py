"""Learning curves from Lightning's CSV log, as a PNG a person can glance at."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on training machines
import matplotlib.pyplot as plt  # noqa: E402


def _series(rows: list[dict], key: str) -> tuple[list[int], list[float]]:
    points = [(int(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
    points = [(s, v) for s, v in points if math.isfinite(v)]  # skipped batches (NaN, inf) are no point
    return [s for s, _ in points], [v for _, v in points]


def plot_learning_curves(metrics_csv: Path, out_png: Path) -> Path | None:
    """Loss (train and dev) and dev CER/WER against the training step. Returns the PNG path, or None without a log."""
    if not Path(metrics_csv).is_file():
        return None
    with open(metrics_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    fig, (ax_loss, ax_err) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in [("train_loss", "train loss"), ("val_loss", "dev loss")]:
        steps, values = _series(rows, key)
        if steps:
            ax_loss.plot(steps, values, label=label, marker="o" if key == "val_loss" else None)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss per token")
    ax_loss.legend()
    for key, label in [("val_cer", "dev CER"), ("val_wer", "dev WER")]:
        steps, values = _series(rows, key)
        if steps:
            ax_err.plot(steps, [100 * v for v in values], label=label, marker="o")
    ax_err.set_xlabel("step")
    ax_err.set_ylabel("error rate (%)")
    ax_err.set_yscale("log")
    ax_err.grid(True, which="both", alpha=0.3)
    if ax_err.lines:  # a language model has no error rates, only losses
        ax_err.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png
