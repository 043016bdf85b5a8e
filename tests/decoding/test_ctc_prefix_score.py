import itertools
import math

import pytest
import torch

from asr.decoding.ctc_prefix_score import CTCPrefixScorer, _log_linear_scan

NEG_INF = float("-inf")


def _walk(scorer: CTCPrefixScorer, utt: int, labels: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(log psi of every next label (V,), log P(transcript = prefix)) after each prefix of `labels`."""
    state = scorer.initial_state(torch.tensor([utt]))
    out = []
    for label in labels + [None]:
        log_psi, log_end = scorer.score(state)
        out.append((log_psi[0], log_end[0]))
        if label is not None:
            state = scorer.extend(state, torch.tensor([0]), torch.tensor([label]))
    return out


def _ctc_log_prob(log_probs: torch.Tensor, length: int, labels: list[int], blank: int = 0) -> float:
    """log P(labels) of one utterance (T, V) by torch's CTC loss."""
    loss = torch.nn.functional.ctc_loss(log_probs[:length, None], torch.tensor([labels], dtype=torch.long),
                                        torch.tensor([length]), torch.tensor([len(labels)]), blank=blank,
                                        reduction="sum")
    return -loss.item()


def _collapse(path: tuple[int, ...], blank: int = 0) -> tuple[int, ...]:
    return tuple(label for i, label in enumerate(path) if label != blank and (i == 0 or path[i - 1] != label))


@pytest.mark.parametrize("seed", range(5))
def test_full_sequence_probability_equals_ctc_loss(seed):
    gen = torch.Generator().manual_seed(seed)
    batch, frames, vocab = 3, 15, 6
    log_probs = torch.randn(batch, frames, vocab, generator=gen, dtype=torch.float64).log_softmax(-1)
    lengths = torch.tensor([15, 9, 12])
    scorer = CTCPrefixScorer(log_probs, lengths)
    for b in range(batch):
        # random labels with a forced repeat (needs a blank between) when there is room
        labels = torch.randint(1, vocab, (4,), generator=gen).tolist()
        labels[2] = labels[1]
        log_end = _walk(scorer, b, labels)[-1][1]
        expected = _ctc_log_prob(log_probs[b], int(lengths[b]), labels)
        assert log_end.item() == pytest.approx(expected, abs=1e-9)


def test_prefix_probability_is_the_sum_over_all_paths_that_start_with_it():
    gen = torch.Generator().manual_seed(0)
    frames, vocab = 5, 3
    log_probs = torch.randn(1, frames, vocab, generator=gen, dtype=torch.float64).log_softmax(-1)
    scorer = CTCPrefixScorer(log_probs, torch.tensor([frames]))
    # brute force: every frame path, grouped by what it collapses to
    psi: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(vocab), repeat=frames):
        p = sum(log_probs[0, t, k].item() for t, k in enumerate(path))
        labels = _collapse(path)
        for n in range(len(labels) + 1):
            psi[labels[:n]] = math.log(math.exp(psi.get(labels[:n], NEG_INF)) + math.exp(p))
    for prefix in [(), (1,), (2,), (1, 1), (1, 2), (2, 1, 2), (1, 1, 1)]:
        steps = _walk(scorer, 0, list(prefix))
        for c in range(1, vocab):
            expected = psi.get(prefix + (c,), NEG_INF)
            assert steps[-1][0][c].item() == pytest.approx(expected, abs=1e-9), (prefix, c)
        assert steps[-1][0][0].item() == NEG_INF  # blank is never a label


def test_candidate_subset_gives_the_same_scores():
    gen = torch.Generator().manual_seed(1)
    log_probs = torch.randn(2, 10, 7, generator=gen).log_softmax(-1)
    scorer = CTCPrefixScorer(log_probs, torch.tensor([10, 8]))
    state = scorer.initial_state(torch.tensor([0, 1, 1]))
    state = scorer.extend(state, torch.tensor([0, 1, 2]), torch.tensor([3, 3, 5]))
    full, _ = scorer.score(state)
    candidates = torch.tensor([[3, 1], [6, 3], [5, 0]])
    subset, _ = scorer.score(state, candidates)
    assert torch.allclose(subset, full.gather(1, candidates))


def test_padded_rows_score_as_if_alone():
    gen = torch.Generator().manual_seed(2)
    log_probs = torch.randn(2, 12, 5, generator=gen, dtype=torch.float64).log_softmax(-1)
    lengths = torch.tensor([12, 6])
    together = CTCPrefixScorer(log_probs, lengths)
    alone = CTCPrefixScorer(log_probs[1:, :6], lengths[1:])
    for labels in ([1, 2, 2], [4], [3, 1, 4, 1]):
        for (psi_a, end_a), (psi_b, end_b) in zip(_walk(together, 1, labels), _walk(alone, 0, labels)):
            assert torch.allclose(psi_a, psi_b) and torch.allclose(end_a, end_b)


def test_repeated_label_needs_a_blank_between():
    # frames a a: "a" is certain, "a a" impossible; frames a _ a: "a a" is certain
    probs = torch.tensor([[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
                          [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]])
    log_probs = torch.cat([probs, torch.tensor([[[0.0, 1.0, 0.0]], [[0.0, 1.0, 0.0]]])], dim=1).log()
    scorer = CTCPrefixScorer(log_probs, torch.tensor([2, 3]))
    steps = _walk(scorer, 0, [1, 1])
    assert steps[1][1].item() == pytest.approx(0.0)  # P("a") = 1
    assert steps[1][0][1].item() == NEG_INF  # psi("a a") = 0
    steps = _walk(scorer, 1, [1, 1])
    assert steps[2][1].item() == pytest.approx(0.0)  # P("a a") = 1
    assert steps[1][1].item() == NEG_INF  # P("a") = 0


def test_never_emitted_ids_score_zero():
    log_probs = torch.randn(1, 6, 5).log_softmax(-1)
    scorer = CTCPrefixScorer(log_probs, torch.tensor([6]), never=(4,))
    log_psi, _ = scorer.score(scorer.initial_state(torch.tensor([0])))
    assert log_psi[0, 4].item() == NEG_INF
    assert (log_psi[0, 1:4] > NEG_INF).all()


def test_log_linear_scan_matches_the_sequential_recurrence():
    gen = torch.Generator().manual_seed(3)
    a = torch.randn(37, 4, generator=gen, dtype=torch.float64)
    b = torch.randn(37, 4, generator=gen, dtype=torch.float64)
    a[5, 0], b[:3, 1], a[10:, 2] = NEG_INF, NEG_INF, NEG_INF  # probability-0 steps stay exact
    expected, y = [], torch.full((4,), NEG_INF, dtype=torch.float64)
    for t in range(37):
        y = torch.logaddexp(y + a[t], b[t])
        expected.append(y)
    assert torch.allclose(_log_linear_scan(a, b), torch.stack(expected))
