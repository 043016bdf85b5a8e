"""QbE MAP and same-different AP on hand-built rankings whose values are worked out in the comments."""

import numpy as np
import pytest

from asr.embedding.metrics import average_precision, cosine_similarity, qbe_mean_average_precision, same_different_ap


def test_average_precision_of_known_rankings():
    assert average_precision(np.array([3.0, 2.0, 1.0]), np.array([True, True, False])) == 1.0
    # relevant at ranks 1 and 3: (1/1 + 2/3) / 2
    assert average_precision(np.array([0.9, 0.8, 0.7]), np.array([True, False, True])) == pytest.approx(5 / 6)
    # relevant at ranks 2 and 4: (1/2 + 2/4) / 2; the input order does not matter, only the scores
    assert average_precision(np.array([0.1, 0.7, 0.2, 0.9]), np.array([True, True, False, False])) == 0.5


def test_tied_scores_are_one_threshold_whatever_their_order():
    # all tied: one threshold with precision 2/4 and the whole recall
    assert average_precision(np.zeros(4), np.array([True, False, False, True])) == 0.5
    # 0.9 alone (P 1, half the recall), then the tied pair (P 2/3, the other half): 1/2 + 1/3
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    for relevant in ([True, True, False, False], [True, False, True, False]):
        assert average_precision(scores, np.array(relevant)) == pytest.approx(5 / 6)


def test_average_precision_needs_a_relevant_item():
    with pytest.raises(ValueError, match="relevant"):
        average_precision(np.array([1.0, 2.0]), np.array([False, False]))


WORDS = ["a", "a", "b", "b", "c"]
# Row q scores every segment for query q. The diagonal is the highest score of each row, so a
# query that found itself would get a different AP.
SIMILARITY = np.array([
    [5.0, 0.9, 0.8, 0.1, 0.2],  # a: its other a (1) is first                  -> AP 1
    [0.5, 5.0, 0.9, 0.8, 0.1],  # a: its other a (0) is third, after 2 and 3   -> AP 1/3
    [0.2, 0.9, 5.0, 0.7, 0.1],  # b: its other b (3) is second, after 1        -> AP 1/2
    [0.0, 0.1, 0.9, 5.0, 0.3],  # b: its other b (2) is first                  -> AP 1
    [0.9, 0.8, 0.7, 0.6, 5.0],  # c: no other c, skipped
])


def test_qbe_map_of_a_known_mixed_ranking():
    result = qbe_mean_average_precision(WORDS, similarity=SIMILARITY)
    assert result.mean_ap == pytest.approx((1 + 1 / 3 + 1 / 2 + 1) / 4)
    assert list(result.queries) == [0, 1, 2, 3]
    assert np.allclose(result.average_precisions, [1, 1 / 3, 1 / 2, 1])
    assert list(result.skipped) == [4]


def test_qbe_map_of_a_query_subset_searched_over_all_segments():
    expected = (1 / 3 + 1 / 2) / 2
    from_full = qbe_mean_average_precision(WORDS, similarity=SIMILARITY, queries=[1, 2])
    from_rows = qbe_mean_average_precision(WORDS, similarity=SIMILARITY[[1, 2]], queries=[1, 2])
    assert from_full.mean_ap == pytest.approx(expected) and from_rows.mean_ap == pytest.approx(expected)
    only_c = qbe_mean_average_precision(WORDS, similarity=SIMILARITY, queries=[4])
    assert np.isnan(only_c.mean_ap) and list(only_c.skipped) == [4] and len(only_c.queries) == 0


def test_qbe_map_from_vectors():
    # two tight clusters and a loner: every query finds its other instance first
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [-1.0, -1.0]])
    assert qbe_mean_average_precision(WORDS, vectors=vectors).mean_ap == 1.0
    # relabel 1 and 2: query 0 (a) ranks 1 (b, cos 0.99), 3 (b, cos 0.11), then its a (2, cos 0): AP 1/3
    swapped = ["a", "b", "a", "b", "c"]
    result = qbe_mean_average_precision(swapped, vectors=vectors)
    assert result.average_precisions[0] == pytest.approx(1 / 3)


def test_qbe_map_refuses_ambiguous_input():
    with pytest.raises(ValueError, match="either"):
        qbe_mean_average_precision(WORDS)
    with pytest.raises(ValueError, match="shape"):
        qbe_mean_average_precision(WORDS, similarity=SIMILARITY[:3], queries=[0, 1])


def test_same_different_ap_of_a_known_ranking():
    words = ["a", "a", "b", "b"]
    # upper triangle: (0,1) .9 same, (0,2) .8, (2,3) .5 same, (0,3) .3, (1,2) .2, (1,3) .1
    # positives at ranks 1 and 3: (1 + 2/3) / 2. The lower triangle is never read.
    similarity = np.array([
        [9.0, 0.9, 0.8, 0.3],
        [9.0, 9.0, 0.2, 0.1],
        [9.0, 9.0, 9.0, 0.5],
        [9.0, 9.0, 9.0, 9.0],
    ])
    result = same_different_ap(words, similarity=similarity)
    assert result.average_precision == pytest.approx(5 / 6)
    assert (result.pairs, result.same_pairs) == (6, 2)


def test_same_different_ap_matches_a_loop_over_pairs():
    rng = np.random.default_rng(0)
    words = list(rng.choice(list("abcdefghij"), size=120))
    vectors = rng.standard_normal((120, 8))
    similarity = cosine_similarity(vectors)
    pairs = [(similarity[i, j], words[i] == words[j]) for i in range(120) for j in range(i + 1, 120)]
    pairs.sort(key=lambda pair: -pair[0])  # random floats: no ties
    hits, precisions = 0, []
    for rank, (_, same) in enumerate(pairs, start=1):
        if same:
            hits += 1
            precisions.append(hits / rank)
    result = same_different_ap(words, vectors=vectors)
    assert result.average_precision == pytest.approx(np.mean(precisions), abs=1e-12)
    assert result.pairs == 120 * 119 // 2


def test_same_different_ap_over_two_thousand_segments():
    rng = np.random.default_rng(1)
    words = [str(w) for w in rng.integers(0, 10, size=2000)]
    # word centres plus noise: far better than chance (about 1/10 of pairs are same-word)
    vectors = np.eye(10)[[int(w) for w in words]] + 0.3 * rng.standard_normal((2000, 10))
    result = same_different_ap(words, vectors=vectors)
    assert result.pairs == 1999000
    assert 0.5 < result.average_precision <= 1.0


def test_same_different_ap_needs_a_same_word_pair():
    with pytest.raises(ValueError, match="share a word"):
        same_different_ap(["a", "b", "c"], vectors=np.eye(3))


def test_cosine_similarity_ignores_length_and_survives_zero_rows():
    sim = cosine_similarity(np.array([[2.0, 0.0], [0.0, 0.0]]), np.array([[3.0, 3.0], [0.0, 5.0]]))
    assert np.allclose(sim, [[1 / np.sqrt(2), 0.0], [0.0, 0.0]])
