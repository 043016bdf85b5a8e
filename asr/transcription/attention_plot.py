"""Where an attention model looked while it spelled a transcript, as a heat map a person can read."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on the machines that decode
import matplotlib.pyplot as plt  # noqa: E402


def plot_attention(weights, tokens: list[str], title: str, out_png: Path) -> Path:
    """One attention alignment as a heat map: output tokens (rows, top to bottom) against encoder frames.

    weights : array or tensor, shape = (len(tokens), frames); a good alignment is a band running
              from the top left to the bottom right (monotonic: each token looks at or after the last).
    """
    weights = getattr(weights, "numpy", lambda: weights)()
    height = min(12.0, 1.5 + 0.16 * len(tokens))
    fig, ax = plt.subplots(figsize=(min(14.0, 3 + 0.04 * weights.shape[1]), height))
    ax.imshow(weights, aspect="auto", origin="upper", cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(len(tokens)))
    ax.set_yticklabels(tokens, fontsize=7)
    ax.set_xlabel("encoder frame")
    ax.set_ylabel("output token")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png
