"""One method's QbE evaluation: DTW's query rows and its other pairs make the same figures as one full matrix."""

import numpy as np
import pytest

from asr.embedding.dtw import dtw_distances
from asr.embedding.metrics import qbe_mean_average_precision, same_different_ap
from asr.embedding.qbe import evaluate_dtw, evaluate_vectors


def _words_and_sequences(rng):
    """Three words, each a smooth template, spoken five times with noise and a random length."""
    templates = [np.cumsum(rng.standard_normal((30, 6)), axis=0) for _ in range(3)]
    words, sequences = [], []
    for k in range(15):
        template = templates[k % 3]
        frames = np.linspace(0, 29, int(rng.integers(20, 40))).round().astype(int)
        sequences.append(template[frames] + 0.8 * rng.standard_normal((len(frames), 6)))
        words.append("abc"[k % 3])
    return words, sequences


def test_dtw_with_a_query_subset_equals_the_full_matrix():
    words, sequences = _words_and_sequences(np.random.default_rng(0))
    queries = np.array([1, 4, 5, 11])
    result = evaluate_dtw(sequences, words, queries)
    full = dtw_distances(sequences)
    assert result.qbe.mean_ap == pytest.approx(
        qbe_mean_average_precision(words, similarity=-full, queries=queries).mean_ap)
    assert result.same_different.average_precision == pytest.approx(
        same_different_ap(words, similarity=-full).average_precision, abs=1e-9)
    assert result.search_seconds > 0 and list(result.qbe.queries) == list(queries)
    assert result.qbe.mean_ap > 0.9  # templates far apart: DTW tells the words apart


def test_vectors_search_only_the_queries_rows():
    rng = np.random.default_rng(1)
    words = list("aabbc")
    vectors = rng.standard_normal((5, 4))
    result = evaluate_vectors(vectors, words, np.array([0, 4]))
    assert list(result.qbe.queries) == [0] and list(result.qbe.skipped) == [4]
    assert result.same_different.pairs == 10
