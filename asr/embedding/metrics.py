"""Retrieval metrics for spoken-word segments: query-by-example MAP and same-different average precision.

Both rank by a score where higher means closer (a cosine similarity; pass ``-distance`` for DTW),
and both take average precision from the precision-recall curve: over each distinct score
threshold t, AP = sum (R(t) - R(t_prev)) * P(t). Without ties this is the mean, over the
relevant items, of the precision at each one's rank; with ties, tied items count as one
threshold, so the result does not depend on how a sort happens to order them (vectors that
collapsed to one point get the fraction of relevant items, not a lucky or unlucky order).

  >>> average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True]))
  0.8333333333333333
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


def cosine_similarity(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Cosine similarity of every row of a (Na, D) with every row of b (Nb, D; None = a): (Na, Nb), float64.

    A zero row has similarity 0 with everything instead of a division by zero.

    >>> cosine_similarity(np.array([[3.0, 4.0], [0.0, 2.0], [0.0, 0.0]]))
    array([[1. , 0.8, 0. ],
           [0.8, 1. , 0. ],
           [0. , 0. , 0. ]])
    """
    a = _unit_rows(a)
    return a @ (a if b is None else _unit_rows(b)).T


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected vectors of shape (N, D), got {x.shape}")
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> float:
    """AP of ranking items by descending score (precision-recall definition, ties as one threshold).

    scores   : (N,) float, higher = ranked first.
    relevant : (N,) bool, with at least one True.
    """
    scores, relevant = np.asarray(scores, dtype=np.float64), np.asarray(relevant, dtype=bool)
    order = np.argsort(-scores, kind="stable")
    scores, relevant = scores[order], relevant[order]
    hits = np.cumsum(relevant)
    if hits[-1] == 0:
        raise ValueError("average precision needs at least one relevant item")
    # the last position of each run of equal scores is one threshold of the PR curve
    cut = np.append(np.flatnonzero(scores[1:] != scores[:-1]), len(scores) - 1)
    precision = hits[cut] / (cut + 1)
    recall_gain = np.diff(hits[cut], prepend=0) / hits[-1]
    return float(np.sum(recall_gain * precision))


@dataclass(frozen=True)
class QbeResult:
    """Query-by-example mean average precision and what it was computed over."""

    mean_ap: float  # mean of `average_precisions`; nan when no query could be scored
    queries: np.ndarray  # (Q,) int, the segments scored as queries
    average_precisions: np.ndarray  # (Q,) float, AP of each scored query
    skipped: np.ndarray  # int, queries whose word has no other segment (no relevant item to find)


def qbe_mean_average_precision(words: Sequence[str], *, similarity: np.ndarray | None = None,
                               vectors: np.ndarray | None = None,
                               queries: Sequence[int] | np.ndarray | None = None) -> QbeResult:
    """Each query ranks all *other* segments by similarity; relevant = same word; MAP over queries.

    words      : N word labels, one per segment.
    similarity : (N, N) over all segments, or (len(queries), N) with row k for segment queries[k];
                 higher = closer (pass -distance for DTW). Give this or `vectors`.
    vectors    : (N, D) segment vectors, compared by cosine similarity.
    queries    : indices of the query segments (e.g. one held-out speaker's); None = all N.
    """
    codes = _word_codes(words)
    count = len(codes)
    queries = np.arange(count) if queries is None else np.asarray(queries, dtype=np.int64)
    if vectors is not None and similarity is None:
        similarity = cosine_similarity(np.asarray(vectors)[queries], vectors)
    elif (similarity is None) == (vectors is None):
        raise ValueError("give either similarity or vectors")
    elif similarity.shape == (count, count):
        similarity = similarity[queries]
    if similarity.shape != (len(queries), count):
        raise ValueError(f"similarity of shape {similarity.shape} for {len(queries)} queries "
                         f"over {count} segments")
    others = np.bincount(codes, minlength=codes.max() + 1)[codes[queries]] - 1
    scored, skipped = queries[others > 0], queries[others == 0]
    precisions = []
    for row, query in zip(similarity[others > 0], scored):
        keep = np.arange(count) != query  # a query never retrieves itself
        precisions.append(average_precision(row[keep], codes[keep] == codes[query]))
    precisions = np.array(precisions, dtype=np.float64)
    mean = float(precisions.mean()) if len(precisions) else float("nan")
    return QbeResult(mean, scored, precisions, skipped)


class SameDifferent(NamedTuple):
    """Same-different average precision over all pairs of segments."""

    average_precision: float
    pairs: int  # N (N - 1) / 2
    same_pairs: int  # pairs of one word: the positives


def same_different_ap(words: Sequence[str], *, similarity: np.ndarray | None = None,
                      vectors: np.ndarray | None = None) -> SameDifferent:
    """Carlin et al. (2011): score every pair i < j by similarity; positive = same word; AP of that ranking.

    words      : N word labels.
    similarity : (N, N), higher = closer, only its upper triangle is read; or
    vectors    : (N, D), compared by cosine similarity.
    2000 segments are 2 M pairs: one boolean mask and one sort, no loop over pairs.
    """
    codes = _word_codes(words)
    count = len(codes)
    if vectors is not None and similarity is None:
        similarity = cosine_similarity(vectors)
    elif (similarity is None) == (vectors is None):
        raise ValueError("give either similarity or vectors")
    if similarity.shape != (count, count):
        raise ValueError(f"similarity of shape {similarity.shape} for {count} segments; expected ({count}, {count})")
    upper = np.triu(np.ones((count, count), dtype=bool), k=1)
    same = (codes[:, None] == codes[None, :])[upper]
    if not same.any():
        raise ValueError("no two segments share a word: same-different AP has no positive pair")
    return SameDifferent(average_precision(similarity[upper], same), int(upper.sum()), int(same.sum()))


def _word_codes(words: Sequence[str]) -> np.ndarray:
    """Words -> integer codes (N,), equal codes for equal words."""
    if len(words) == 0:
        raise ValueError("no segments")
    _, codes = np.unique(np.asarray(words, dtype=object).astype(str), return_inverse=True)
    return codes.reshape(-1)
