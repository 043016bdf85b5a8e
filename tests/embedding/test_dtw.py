"""Cosine DTW: parity with a plain loop over the full cost table, and what warping should and should not change."""

import numpy as np
import pytest

from asr.embedding import dtw
from asr.embedding.dtw import dtw_distance, dtw_distances


def reference_dtw(a: np.ndarray, b: np.ndarray) -> float:
    """Sakoe-Chiba symmetric DTW written out as in the textbook: a full (n+1) x (m+1) table, float64."""
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    n, m = len(a), len(b)
    table = np.full((n + 1, m + 1), np.inf)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d = 1.0 - float(a[i - 1] @ b[j - 1])
            if i == 1 and j == 1:
                table[i, j] = 2 * d
            else:
                table[i, j] = min(table[i - 1, j - 1] + 2 * d, table[i - 1, j] + d, table[i, j - 1] + d)
    return table[n, m] / (n + m)


def random_sequences(rng: np.random.Generator, count: int, dims: int, low: int = 1, high: int = 25) -> list:
    return [rng.standard_normal((int(rng.integers(low, high)), dims)).astype(np.float32) for _ in range(count)]


def test_parity_with_the_reference_on_sequences_of_different_lengths():
    rng = np.random.default_rng(0)
    queries, segments = random_sequences(rng, 7, 12), random_sequences(rng, 9, 12)
    expected = np.array([[reference_dtw(q, s) for s in segments] for q in queries])
    assert np.abs(dtw_distances(queries, segments) - expected).max() < 1e-5
    assert abs(dtw_distance(queries[0], segments[0]) - expected[0, 0]) < 1e-5


def test_within_a_set_is_symmetric_and_matches_across(monkeypatch):
    rng = np.random.default_rng(1)
    sequences = random_sequences(rng, 11, 6, low=3)
    across = dtw_distances(sequences, sequences)
    # a block budget of a few frames forces many blocks, so block edges are crossed
    monkeypatch.setattr(dtw, "BLOCK_VALUES", 40 * sum(len(s) for s in sequences))
    within = dtw_distances(sequences)
    assert np.allclose(within, within.T)
    assert np.all(np.diag(within) == 0)
    # float32 similarities from matrix products of other shapes: equal to rounding
    assert np.abs(within - across).max() < 1e-6
    assert np.abs(dtw_distances(sequences, sequences) - across).max() < 1e-6


def test_repeated_frames_and_louder_frames_cost_nothing():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((20, 8))
    slow = np.repeat(a, rng.integers(1, 4, size=20), axis=0)  # each frame held for 1-3 frames
    louder = a * rng.uniform(0.5, 3.0, size=(20, 1))  # cosine ignores each frame's scale
    assert dtw_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert dtw_distance(a, slow) == pytest.approx(0.0, abs=1e-6)
    assert dtw_distance(a, louder) == pytest.approx(0.0, abs=1e-6)


def smooth_sequence(rng: np.random.Generator, frames: int, dims: int) -> np.ndarray:
    """A random walk: neighbouring frames alike, as in speech features."""
    return np.cumsum(rng.standard_normal((frames, dims)), axis=0) + 5 * rng.standard_normal(dims)


def time_warp(x: np.ndarray, frames: int, power: float) -> np.ndarray:
    """x read at `frames` non-uniform times (t ** power), interpolated linearly between frames."""
    times = np.linspace(0, 1, frames) ** power * (len(x) - 1)
    return np.stack([np.interp(times, np.arange(len(x)), x[:, d]) for d in range(x.shape[1])], axis=1)


def test_time_warped_copies_are_closer_than_other_sequences():
    rng = np.random.default_rng(3)
    originals = [smooth_sequence(rng, 40, 16) for _ in range(6)]
    warped = [time_warp(x, int(rng.integers(30, 60)), rng.uniform(0.7, 1.4)) for x in originals]
    distances = dtw_distances(warped, originals)
    # every warped copy's nearest original is its own, by a margin
    assert list(distances.argmin(axis=1)) == list(range(6))
    others = distances + np.diag(np.full(6, np.inf))
    assert np.all(np.diag(distances) < 0.5 * others.min(axis=1))


def test_bad_sequences_are_refused():
    with pytest.raises(ValueError, match="non-empty"):
        dtw_distances([np.zeros((0, 3))], [np.ones((2, 3))])
    with pytest.raises(ValueError, match="dims"):
        dtw_distances([np.ones((2, 3))], [np.ones((2, 4))])
