"""Query-by-example with one method: search (timed), then MAP and same-different AP.

Two methods: segment vectors compared by cosine similarity, and frame-level DTW over feature
frames. Search time is the query x all-segments score matrix plus the ranking of each query's
row (an argsort), which is what a search engine would do; scoring the rankings is not timed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from asr.embedding.dtw import dtw_distances
from asr.embedding.metrics import (
    QbeResult,
    SameDifferent,
    cosine_similarity,
    qbe_mean_average_precision,
    same_different_ap,
)


@dataclass(frozen=True)
class MethodResult:
    """One method's scores and timing."""

    name: str
    qbe: QbeResult
    same_different: SameDifferent
    search_seconds: float  # query x all scores and their ranking
    extra_seconds: dict[str, float]  # other timed steps, e.g. DTW's features and its remaining pairs


def evaluate_vectors(vectors: np.ndarray, words: Sequence[str], queries: np.ndarray) -> MethodResult:
    """vectors (N, D), words (N,), queries (Q,) indices into them.

    The search time is the best of 3 runs: one run takes tens of milliseconds, as much as the
    first call's set-up costs it, where DTW's seconds are timed once."""
    search = math.inf
    for _ in range(3):
        began = time.perf_counter()
        similarity = cosine_similarity(vectors[queries], vectors)  # (Q, N)
        np.argsort(-similarity, axis=1)
        search = min(search, time.perf_counter() - began)
    qbe = qbe_mean_average_precision(words, similarity=similarity, queries=queries)
    return MethodResult("vectors", qbe, same_different_ap(words, vectors=vectors), search, {})


def evaluate_dtw(features: Sequence[np.ndarray], words: Sequence[str], queries: np.ndarray,
                 threads: int | None = None) -> MethodResult:
    """features: N sequences of frames (T_i, D); words (N,); queries (Q,) indices into them.

    Same-different AP needs every pair, so the pairs that no query searched (segments outside the
    query set among themselves) are computed after the timed search, each pair once.
    """
    dtw_distances(features[:1], features[:1])  # compile (or load) the numba kernel before the clock starts
    began = time.perf_counter()
    distances = dtw_distances([features[q] for q in queries], features, threads=threads)  # (Q, N)
    np.argsort(distances, axis=1)
    search = time.perf_counter() - began
    qbe = qbe_mean_average_precision(words, similarity=-distances, queries=queries)

    began = time.perf_counter()
    count = len(features)
    full = np.empty((count, count))
    full[queries, :] = distances
    full[:, queries] = distances.T
    rest = np.setdiff1d(np.arange(count), queries)
    if len(rest) > 1:
        full[np.ix_(rest, rest)] = dtw_distances([features[i] for i in rest], threads=threads)
    same_different = same_different_ap(words, similarity=-full)
    return MethodResult("DTW", qbe, same_different, search, {"other_pairs_seconds": time.perf_counter() - began})
