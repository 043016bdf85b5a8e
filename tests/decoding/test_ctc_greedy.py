import torch

from asr.decoding.ctc_greedy import ctc_greedy


def _log_probs(paths: list[list[int]], vocab: int) -> torch.Tensor:
    """One-hot-ish log-probs whose best path is the given frame labels."""
    probs = torch.full((len(paths), max(map(len, paths)), vocab), 0.1 / (vocab - 1))
    for b, path in enumerate(paths):
        for t, label in enumerate(path):
            probs[b, t, label] = 0.9
    return probs.log()


def test_merges_repeats_and_drops_blanks():
    # a a _ a b b _ _ c -> a a b c (the blank separates the two a's)
    lp = _log_probs([[1, 1, 0, 1, 2, 2, 0, 0, 3]], vocab=4)
    assert ctc_greedy(lp, torch.tensor([9])) == [[1, 1, 2, 3]]


def test_respects_lengths_of_padded_rows():
    lp = _log_probs([[1, 2, 3, 3], [2, 0, 0, 0]], vocab=4)
    # row 1 is valid for 1 frame only; row 0 is cut at 2 frames
    assert ctc_greedy(lp, torch.tensor([2, 1])) == [[1, 2], [2]]
    assert ctc_greedy(lp, torch.tensor([0, 4])) == [[], [2]]


def test_other_blank_index():
    lp = _log_probs([[3, 3, 1, 3]], vocab=4)
    assert ctc_greedy(lp, torch.tensor([4]), blank=3) == [[1]]
