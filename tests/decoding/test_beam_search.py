import itertools
from typing import NamedTuple

import pytest
import torch

from asr.decoding import beam_search as beam_search_module
from asr.decoding.beam_search import NEG_INF, beam_search, select_state
from asr.decoding.ctc_greedy import ctc_greedy

# Vocabulary of the hand-built cases: 0 blank (CTC only), 1 a, 2 b, 3 c, 4 eos, 5 sos
A, B, C, EOS, SOS, V = 1, 2, 3, 4, 5, 6


def _ctc(frames: list[dict[int, float]], vocab: int = V) -> torch.Tensor:
    """(1, T, vocab) CTC log-probs from per-frame {id: probability}; the rest of each frame's mass
    is spread evenly over the other ids but eos and sos (the last two), which CTC never emits."""
    probs = torch.zeros(len(frames), vocab)
    for t, frame in enumerate(frames):
        rest = [k for k in range(vocab - 2) if k not in frame]
        for k in rest:
            probs[t, k] = (1.0 - sum(frame.values())) / len(rest)
        for k, p in frame.items():
            probs[t, k] = p
    return probs.log()[None]


def _ctc_search(log_probs: torch.Tensor, beam: int, lengths: torch.Tensor | None = None,
                **kwargs) -> list[list[int]]:
    batch, frames, vocab = log_probs.shape
    lengths = torch.full((batch,), frames) if lengths is None else lengths
    kwargs.setdefault("length_norm", False)
    return beam_search(batch=batch, vocab=vocab, sos=kwargs.pop("sos", SOS), eos=kwargs.pop("eos", EOS),
                       max_lens=kwargs.pop("max_lens", lengths), beam=beam, ctc_log_probs=log_probs,
                       ctc_lens=lengths, **kwargs)


def table_decoder(tables: torch.Tensor, calls: list | None = None):
    """A toy attention decoder: next-token probabilities looked up by the previous token.

    tables : (vocab, vocab), or (batch, vocab, vocab) with one table per utterance; the decoder
             state is then the utterance index of each row, which the search must carry along.
    """
    tables = tables if tables.dim() == 3 else tables[None]

    def step(prev: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if calls is not None:
            calls.append(prev.clone())
        return tables[state, prev].log(), state

    return step


def _table(rows: dict[int, dict[int, float]], vocab: int = V) -> torch.Tensor:
    """(vocab, vocab) next-token probabilities: rows[prev] = {next: p}, other entries 1e-6."""
    table = torch.full((vocab, vocab), 1e-6)
    for prev, nexts in rows.items():
        for k, p in nexts.items():
            table[prev, k] = p
    return table


def _attention_search(table: torch.Tensor, beam: int, max_len: int = 10, **kwargs) -> list[int]:
    return beam_search(batch=1, vocab=table.shape[-1], sos=SOS, eos=EOS, max_lens=torch.tensor([max_len]),
                       beam=beam, decoder=table_decoder(table), decoder_state=torch.tensor([0]), **kwargs)[0]


# "" : 0.4;  "a b" : 0.6 * 0.5 * 0.9 = 0.27;  "a c" : 0.6 * 0.4 * 0.9 = 0.216;  "a" : 0.06
SHORT_OR_LONG = _table({SOS: {EOS: 0.4, A: 0.6}, A: {B: 0.5, C: 0.4, EOS: 0.1}, B: {EOS: 0.9}, C: {EOS: 0.9}})


class _Pair(NamedTuple):
    h: torch.Tensor
    c: torch.Tensor


def test_select_state_walks_nested_states():
    state = (torch.arange(3), [_Pair(torch.arange(3) * 10, torch.ones(3, 2)), None], {"k": torch.arange(3)})
    out = select_state(state, torch.tensor([2, 2, 0]))
    assert out[0].tolist() == [2, 2, 0]
    pair = out[1][0]
    assert isinstance(pair, _Pair) and pair.h.tolist() == [20, 20, 0] and pair.c.shape == (3, 2)
    assert out[1][1] is None and out[2]["k"].tolist() == [2, 2, 0]
    assert select_state(None, torch.tensor([0])) is None


def test_ctc_repeat_needs_a_blank_between():
    assert _ctc_search(_ctc([{A: 0.9}, {A: 0.9}]), beam=3) == [[A]]
    assert _ctc_search(_ctc([{A: 0.9}, {0: 0.9}, {A: 0.9}]), beam=3) == [[A, A]]
    # repeated frames collapse: a a a b b -> a b
    assert _ctc_search(_ctc([{A: 0.9}] * 3 + [{B: 0.9}] * 2), beam=3) == [[A, B]]


def test_ctc_beam_beats_greedy_by_summing_paths():
    # each frame: blank 0.6, a 0.4. Best path "_ _" gives "" (0.36), but "a" has three paths:
    # a a, a _, _ a = 0.16 + 0.24 + 0.24 = 0.64
    log_probs = torch.tensor([[[0.6, 0.4, 0.0, 0.0, 0.0, 0.0]] * 2]).log()
    assert ctc_greedy(log_probs, torch.tensor([2])) == [[]]
    assert _ctc_search(log_probs, beam=2) == [[A]]


@pytest.mark.parametrize("seed", range(4))
def test_ctc_wide_beam_finds_the_most_probable_transcript(seed):
    # every transcript of 0-5 labels over {a, b} by brute force, scored by torch's CTC loss
    gen = torch.Generator().manual_seed(seed)
    log_probs = (torch.randn(1, 5, 4, generator=gen) * 2).log_softmax(-1)
    log_probs[..., 3] = float("-inf")  # eos = 3, never emitted

    def log_p(labels: tuple[int, ...]) -> float:
        target = torch.tensor([labels], dtype=torch.long)
        return -torch.nn.functional.ctc_loss(log_probs[0, :, None], target, torch.tensor([5]),
                                             torch.tensor([len(labels)]), reduction="sum").item()

    transcripts = [t for n in range(6) for t in itertools.product([1, 2], repeat=n)]
    best = max(transcripts, key=log_p)
    assert _ctc_search(log_probs, beam=64, sos=3, eos=3) == [list(best)]


def test_max_len_ends_live_hypotheses():
    # the c frame could be blank (0.38), so the most probable transcript of at most 2 labels is "a b"
    log_probs = _ctc([{A: 0.9}, {0: 0.9}, {B: 0.9}, {0: 0.9}, {C: 0.6, 0: 0.38}])
    assert _ctc_search(log_probs, beam=3) == [[A, B, C]]
    assert _ctc_search(log_probs, beam=3, max_lens=torch.tensor([2])) == [[A, B]]
    assert _ctc_search(log_probs, beam=3, max_lens=torch.tensor([0])) == [[]]
    # attention: eos is unlikely, so nothing ends before max_len; the best live hypothesis is ended there
    table = _table({SOS: {A: 0.99, EOS: 0.01}, A: {B: 0.99, EOS: 0.01}, B: {A: 0.99, EOS: 0.01}})
    assert _attention_search(table, beam=2, max_len=3) == [A, B, A]
    assert _attention_search(table, beam=1, max_len=1) == [A]


def test_eos_ends_a_hypothesis_and_greedy_is_beam_one():
    calls = []
    out = beam_search(batch=1, vocab=V, sos=SOS, eos=EOS, max_lens=torch.tensor([10]), beam=1,
                      decoder=table_decoder(SHORT_OR_LONG, calls), decoder_state=torch.tensor([0]))
    assert out == [[A, B]]  # greedy: a (0.6 > 0.4), b, eos
    assert [c.tolist() for c in calls] == [[SOS], [A], [B]]  # one row, stops at eos


def test_search_stops_when_no_live_hypothesis_can_beat_the_finished():
    # beam 3. Step 1 finishes "a" (0.42) and "b" (0.27), keeps "a c" (0.18). Step 2 finishes
    # "a c" (0.09) and keeps "a c c" (0.09): log-probs only fall, so it can at best tie -> stop.
    table = _table({SOS: {A: 0.6, B: 0.3, C: 0.1}, A: {EOS: 0.7, C: 0.3}, B: {EOS: 0.9}, C: {EOS: 0.5, C: 0.5}})
    calls = []
    out = beam_search(batch=1, vocab=V, sos=SOS, eos=EOS, max_lens=torch.tensor([10]), beam=3,
                      decoder=table_decoder(table, calls), decoder_state=torch.tensor([0]), length_norm=False)
    assert out == [[A]] and len(calls) == 3
    # per token, a longer "a c c ..." could still win (its score is divided by more): no early stop
    calls.clear()
    beam_search(batch=1, vocab=V, sos=SOS, eos=EOS, max_lens=torch.tensor([10]), beam=3,
                decoder=table_decoder(table, calls), decoder_state=torch.tensor([0]), length_norm=True)
    assert len(calls) > 3


def test_greedy_equals_the_argmax_chain():
    gen = torch.Generator().manual_seed(5)
    table = torch.rand(V, V, generator=gen) ** 4
    table[:, SOS] = 0.0  # the decoder never predicts sos
    table = table / table.sum(-1, keepdim=True)
    expected, prev = [], SOS
    while len(expected) < 8:
        prev = int(table[prev].argmax())
        if prev == EOS:
            break
        expected.append(prev)
    assert _attention_search(table, beam=1, max_len=8) == expected


def test_length_normalisation_changes_the_winner():
    # by score "" (log 0.4 = -0.92) wins; per token (+1 for eos) "a b" (-1.31 / 3 = -0.44) wins
    assert _attention_search(SHORT_OR_LONG, beam=2, length_norm=False) == []
    assert _attention_search(SHORT_OR_LONG, beam=2, length_norm=True) == [A, B]
    # a length bonus of 0.5 per token also makes "a b" win: -1.31 + 1.0 > -0.92
    assert _attention_search(SHORT_OR_LONG, beam=2, length_norm=False, length_bonus=0.5) == [A, B]


def bigram_lm(table: torch.Tensor, calls: list):
    """A toy LM: bigram probabilities; its state counts tokens seen, to check the search carries it."""

    def step(prev: torch.Tensor, state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        calls.append((prev.clone(), None if state is None else state.clone()))
        count = torch.zeros_like(prev) if state is None else state + 1
        return table[prev].log(), count

    return step


def test_lm_fusion_changes_the_answer():
    # attention: a 0.55 > b 0.45; LM: b 0.9 >> a 0.1. Fused: log .45 + log .9 > log .55 + log .1
    attention = _table({SOS: {A: 0.55, B: 0.45}, A: {EOS: 0.99}, B: {EOS: 0.99}})
    lm_table = _table({SOS: {A: 0.1, B: 0.9}, A: {EOS: 0.9}, B: {EOS: 0.9}})
    assert _attention_search(attention, beam=2) == [A]
    calls = []
    assert _attention_search(attention, beam=2, lm=bigram_lm(lm_table, calls), lm_weight=1.0) == [B]
    assert calls[0][0].tolist() == [SOS, SOS] and calls[0][1] is None  # first call: sos, no state
    assert calls[1][1].tolist() == [0, 0]  # then the state it returned, rows following their hypotheses
    # a weak LM does not overturn the decoder: 0.05 * (log .9 - log .1) = 0.11 < log .55 - log .45 = 0.2
    assert _attention_search(attention, beam=2, lm=bigram_lm(lm_table, []), lm_weight=0.05) == [A]


def test_joint_ctc_attention():
    # attention slightly prefers "a b" (0.27) to "a c" (0.216); CTC clearly hears "a c"
    log_probs = _ctc([{A: 0.9}, {0: 0.9}, {C: 0.9}, {0: 0.9}])

    def joint(ctc_weight: float, decoder=True) -> list[int]:
        return beam_search(batch=1, vocab=V, sos=SOS, eos=EOS, max_lens=torch.tensor([4]), beam=2,
                           decoder=table_decoder(SHORT_OR_LONG) if decoder else None,
                           decoder_state=torch.tensor([0]), ctc_log_probs=log_probs,
                           ctc_lens=torch.tensor([4]), ctc_weight=ctc_weight, length_norm=True)[0]

    assert joint(0.0) == [A, B]
    assert joint(0.3) == [A, C]
    assert joint(0.3, decoder=False) == [A, C]  # pure CTC


def test_full_ctc_weight_never_calls_the_decoder():
    def decoder(prev, state):
        raise AssertionError("attention weight is 0")

    log_probs = _ctc([{A: 0.9}, {B: 0.9}])
    out = beam_search(batch=1, vocab=V, sos=SOS, eos=EOS, max_lens=torch.tensor([2]), beam=2, decoder=decoder,
                      ctc_log_probs=log_probs, ctc_lens=torch.tensor([2]), ctc_weight=1.0)
    assert out == [[A, B]]


def test_batched_ctc_equals_one_at_a_time():
    gen = torch.Generator().manual_seed(7)
    lengths = torch.tensor([9, 4, 12, 1, 7])
    log_probs = (torch.randn(5, 12, V, generator=gen) * 2).log_softmax(-1)
    together = _ctc_search(log_probs, beam=4, lengths=lengths)
    alone = [_ctc_search(log_probs[b:b + 1, :n], beam=4)[0] for b, n in enumerate(lengths.tolist())]
    assert together == alone


def test_batched_joint_search_with_lm_equals_one_at_a_time():
    gen = torch.Generator().manual_seed(8)
    batch = 4
    tables = torch.rand(batch, V, V, generator=gen) ** 3
    tables[..., SOS] = 0.0
    tables = tables / tables.sum(-1, keepdim=True)
    lm_table = torch.rand(V, V, generator=gen).softmax(-1)
    lengths = torch.tensor([6, 10, 3, 8])
    log_probs = (torch.randn(batch, 10, V, generator=gen) * 2).log_softmax(-1)

    def search(rows: slice, frames: int) -> list[list[int]]:
        n = len(range(batch)[rows])
        return beam_search(batch=n, vocab=V, sos=SOS, eos=EOS, max_lens=lengths[rows], beam=3,
                           decoder=table_decoder(tables[rows]), decoder_state=torch.arange(n),
                           ctc_log_probs=log_probs[rows, :frames], ctc_lens=lengths[rows], ctc_weight=0.4,
                           lm=bigram_lm(lm_table, []), lm_weight=0.3, length_bonus=0.1)

    together = search(slice(None), 10)
    alone = [search(slice(b, b + 1), n)[0] for b, n in enumerate(lengths.tolist())]
    assert together == alone


def pointer_decoder(table: torch.Tensor, frames: int):
    """A toy speller whose attention is a pointer over `frames` encoder frames: after token a it reads the
    next frame, after any other the same one again. Next-token probabilities: `table[prev]` (see `_table`).
    Returns the step function and the attention weights of a state (one-hot at the pointer)."""

    def step(prev: torch.Tensor, pointer: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pointer = torch.where(prev == A, (pointer + 1).clamp(max=frames - 1), pointer)
        return table[prev].log(), pointer

    return step, lambda pointer: torch.nn.functional.one_hot(pointer, frames).float()


def _pointer_search(table: torch.Tensor, frames: int, beam: int, max_len: int, **kwargs) -> list[int]:
    step, attention_of = pointer_decoder(table, frames)
    return beam_search(batch=1, vocab=V, sos=SOS, eos=EOS, max_lens=torch.tensor([max_len]), beam=beam,
                       decoder=step, decoder_state=torch.tensor([0]), attention_of=attention_of, **kwargs)[0]


def test_coverage_turns_a_loop_over_one_frame_into_a_walk_over_all():
    # the speller prefers b, which reads the same frame again, to a, which moves on: per token the loop
    # "b b b ..." (log 0.6) beats "a a a" (log 0.3), so without coverage the search spells b to max_len
    table = _table({prev: {B: 0.6, A: 0.3, EOS: 0.1} for prev in (SOS, A, B)})
    assert _pointer_search(table, frames=4, beam=4, max_len=10) == [B] * 10
    # a covered frame worth 2: "a a a" reads all 4 frames, (3 log 0.3 + log 0.1 + 2 * 4) / 4 = 0.52 a token
    assert _pointer_search(table, frames=4, beam=4, max_len=10, coverage=2.0) == [A, A, A]


def _random_tables(count: int) -> list[torch.Tensor]:
    """Next-token tables (V, V) with a few likely tokens per row; blank and sos are never spelt."""
    gen = torch.Generator().manual_seed(0)
    tables = []
    for _ in range(count):
        table = torch.rand(V, V, generator=gen) ** 3 + 1e-3
        table[:, [0, SOS]] = 1e-9
        tables.append(table / table.sum(-1, keepdim=True))
    return tables


@pytest.mark.parametrize("length_norm", [False, True])
def test_coverage_the_search_may_still_gain_keeps_it_from_stopping_early(length_norm: bool, monkeypatch):
    """The early stop (`_done`) must count the coverage a live hypothesis may still gain: with it the
    search ends as one that runs every hypothesis to eos or max_len does."""
    tables = _random_tables(20)
    search = dict(frames=8, beam=3, max_len=12, coverage=1.5, length_norm=length_norm)
    early = [_pointer_search(table, **search) for table in tables]
    monkeypatch.setattr(beam_search_module, "_done", lambda scores, *rest: ~(scores.view(-1, 3) > NEG_INF).any(1))
    assert [_pointer_search(table, **search) for table in tables] == early
