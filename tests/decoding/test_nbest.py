"""N-best lists against brute force: every labelling of small random CTC matrices, and every token
sequence of a small random bigram decoder, scored exhaustively."""

import itertools
import math

import pytest
import torch

from asr.decoding.beam_search import beam_search, beam_search_nbest
from asr.decoding.ctc_beam import CTCBeamSearch
from asr.decoding.ctc_prefix_beam import CTCPrefixBeamSearch

SYMBOLS = ["<blank>", "a", "b", "c"]


def _labelling_log_probs(log_probs: torch.Tensor) -> dict[tuple[int, ...], float]:
    """log P(labelling) of every labelling of a (T, V) matrix: the sum over every path that collapses to it."""
    frames, vocab = log_probs.shape
    totals: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(vocab), repeat=frames):
        labels = tuple(p for i, p in enumerate(path) if p != 0 and (i == 0 or p != path[i - 1]))
        score = float(sum(log_probs[t, p] for t, p in enumerate(path)))
        totals[labels] = float(torch.logaddexp(torch.tensor(totals.get(labels, -math.inf)), torch.tensor(score)))
    return totals


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_ctc_nbest_are_the_most_probable_labellings_with_their_probabilities(seed, batched):
    torch.manual_seed(seed)
    log_probs = torch.randn(1, 4, len(SYMBOLS)).mul(2).log_softmax(-1)
    truth = sorted(_labelling_log_probs(log_probs[0]).items(), key=lambda kv: -kv[1])[:5]
    # wider than every prefix: nothing pruned
    search = CTCPrefixBeamSearch(beam=500, nbest=5) if batched else CTCBeamSearch(SYMBOLS, beam=500, nbest=5)
    (found,) = search.nbest_lists(log_probs, torch.tensor([4]))
    assert [tuple(h.ids) for h in found] == [labels for labels, _ in truth]
    assert [h.score for h in found] == pytest.approx([score for _, score in truth], abs=1e-4)
    assert search(log_probs, torch.tensor([4])) == [found[0].ids]


def _bigram_step(table: torch.Tensor):
    """A decoder whose next-token log-probs depend on the previous token alone: table (V, V)."""
    def step(tokens: torch.Tensor, state):
        return table[tokens], state
    return step


def _sequences(table: torch.Tensor, eos: int, max_len: int, length_norm: bool) -> list[tuple[tuple[int, ...], float]]:
    """Every finished sequence of at most max_len tokens (1 to eos - 1) with its ranking score, best first."""
    scored = []
    for length in range(max_len + 1):
        for seq in itertools.product(range(1, eos), repeat=length):  # 0 is the CTC blank, never spelled
            path = (eos, *seq, eos)  # sos = eos
            score = float(sum(table[a, b] for a, b in zip(path, path[1:])))
            scored.append((seq, score / (length + 1) if length_norm else score))
    return sorted(scored, key=lambda kv: -kv[1])


@pytest.mark.parametrize("length_norm", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_attention_nbest_are_the_best_sequences_of_an_exhaustive_search(seed, length_norm):
    torch.manual_seed(seed)
    vocab, max_len = 5, 3  # blank 0, tokens 1-3, eos 4: 40 finished sequences, at most 36 candidates a step
    table = torch.randn(vocab, vocab).mul(1.5).log_softmax(-1)
    truth = _sequences(table, vocab - 1, max_len, length_norm)[:6]
    search = dict(batch=1, vocab=vocab, sos=vocab - 1, eos=vocab - 1, max_lens=torch.tensor([max_len]), beam=40,
                  decoder=_bigram_step(table), decoder_state=torch.zeros(1, 1), length_norm=length_norm)
    (found,) = beam_search_nbest(nbest=6, **search)
    assert [tuple(h.ids) for h in found] == [seq for seq, _ in truth]
    assert [h.score for h in found] == pytest.approx([score for _, score in truth], abs=1e-5)
    assert beam_search(**search) == [found[0].ids]


def test_more_hypotheses_than_the_beam_keeps_are_refused():
    with pytest.raises(ValueError, match="nbest must be between 1 and the beam"):
        CTCBeamSearch(SYMBOLS, beam=4, nbest=5)
    with pytest.raises(ValueError, match="nbest must be between 1 and the beam"):
        beam_search_nbest(batch=1, vocab=4, sos=3, eos=3, max_lens=torch.tensor([2]), beam=2, nbest=3,
                          decoder=_bigram_step(torch.zeros(4, 4)), decoder_state=torch.zeros(1, 1))
