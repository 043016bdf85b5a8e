"""A 2-D map of segment vectors coloured by word, as a PNG: do segments of one word gather?

PCA (numpy SVD) by default; t-SNE when scikit-learn happens to be installed (it is not a
dependency of asr). The most frequent words, at most 20 (one colour each of matplotlib's tab20),
are coloured and named in the legend; the rest are drawn in grey underneath.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np

from asr.errors import UserError

matplotlib.use("Agg")  # no display on training machines
import matplotlib.pyplot as plt  # noqa: E402

MAX_COLOURED_WORDS = 20  # tab20 has 20 colours that people can still tell apart
METHODS = ("pca", "tsne")


SPEAKER_MARKERS = ("o", "^", "s", "D", "v", "P")  # one per speaker, when a map has this few


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project vectors (N, D) on their first two principal axes.

    Returns (points (N, 2), explained (2,)): the coordinates, and the fraction of the variance
    along each axis. Each axis' sign is fixed so that its largest loading is positive, so the
    picture does not flip between LAPACK builds.
    """
    centred = np.asarray(vectors, dtype=np.float64)
    centred = centred - centred.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)  # axes: (min(N, D), D)
    axes = axes[:2]
    axes = axes * np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]
    points = np.zeros((len(centred), 2))
    points[:, :len(axes)] = centred @ axes.T  # fewer than two axes (N or D < 2): the rest stays 0
    variance = singular ** 2
    explained = np.zeros(2)
    explained[:len(axes)] = variance[:2] / max(variance.sum(), 1e-300)
    return points, explained


def tsne_2d(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """t-SNE of vectors (N, D) -> (N, 2), through scikit-learn, which must be installed separately."""
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise UserError("a t-SNE map needs scikit-learn (pip install scikit-learn); the PCA map does not") from None
    perplexity = min(30.0, max(1.0, (len(vectors) - 1) / 3))  # sklearn needs perplexity < N
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(
        np.asarray(vectors, dtype=np.float64))


def coloured_words(words: Sequence[str], limit: int = MAX_COLOURED_WORDS) -> list[str]:
    """The `limit` most frequent words, in legend order; equal counts alphabetically, so the colours
    do not depend on the order of the rows."""
    counts = Counter(str(w) for w in words)
    return sorted(counts, key=lambda w: (-counts[w], w))[:limit]


def plot_embedding_map(vectors: np.ndarray, words: Sequence[str], out_png: str | Path, method: str = "pca",
                       title: str | None = None, speakers: Sequence[str] | None = None) -> Path:
    """Scatter vectors (N, D) in 2-D, one colour per frequent word, and save the PNG. Returns its path.

    With `speakers` (N,) of at most len(SPEAKER_MARKERS) names, each speaker gets a marker of its own,
    so a word's cluster shows whether its speakers mix or sit apart as islands."""
    if method not in METHODS:
        raise UserError(f"unknown map method {method!r}; expected one of {', '.join(METHODS)}")
    vectors = np.asarray(vectors)
    if len(vectors) != len(words):
        raise ValueError(f"{len(vectors)} vectors but {len(words)} words")
    if method == "pca":
        points, explained = pca_2d(vectors)
        labels = [f"PC{k + 1} ({100 * e:.0f}% of variance)" for k, e in enumerate(explained)]
    else:
        points, labels = tsne_2d(vectors), ["t-SNE 1", "t-SNE 2"]
    words = np.asarray([str(w) for w in words])
    coloured = coloured_words(words)
    counts = Counter(words)

    fig, ax = plt.subplots(figsize=(9, 7))
    rest = ~np.isin(words, coloured)
    if rest.any():
        ax.scatter(*points[rest].T, s=8, c="0.75", label=f"other ({len(counts) - len(coloured)} words)")
    palette = plt.get_cmap("tab20").colors
    names = sorted(set(speakers)) if speakers is not None else []
    marked = 2 <= len(names) <= len(SPEAKER_MARKERS)
    for k, word in enumerate(coloured):
        mine = words == word
        if not marked:
            ax.scatter(*points[mine].T, s=12, color=palette[k % len(palette)], label=f"{word} ({mine.sum()})")
            continue
        for name, marker in zip(names, SPEAKER_MARKERS, strict=False):
            theirs = mine & (np.asarray(speakers) == name)
            ax.scatter(*points[theirs].T, s=14, color=palette[k % len(palette)], marker=marker, alpha=0.8,
                       label=f"{word} ({mine.sum()})" if name == names[0] else None)
    for name, marker in zip(names if marked else [], SPEAKER_MARKERS, strict=False):
        ax.scatter([], [], color="k", marker=marker, label=f"speaker {name}")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title or f"{len(words)} segments, {len(counts)} words ({method.upper()})")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, markerscale=1.5)
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png
