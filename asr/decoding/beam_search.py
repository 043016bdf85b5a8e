"""Batched label-synchronous beam search: attention decoder, CTC prefix scores and LM shallow fusion.

Every step grows each live hypothesis by one token. For N = utterances x beam rows at once:

    score(g + c) = score(g) + (1 - ctc_weight) * log p_att(c | g)
                            + ctc_weight * (log psi(g + c) - log psi(g))     (CTC prefix score delta)
                            + lm_weight * log p_lm(c | g)
                            + length_bonus                                   (not for eos)
                            + coverage * (frames newly covered)              (attention search)

where a frame is covered once the attention weights the speller has put on it, summed over the steps so
far, pass COVERED (Chorowski and Jaitly 2017): a speller that loops over words it has already read
gains nothing for the extra steps, one that moves on through the utterance gains a frame at a time.

and each utterance keeps its `beam` best (hypothesis, token) pairs. A pair whose token is eos is
moved to the utterance's finished list (its CTC delta is log P(transcript = g) - log psi(g)), the
others stay live. With only CTC the summed deltas telescope to the CTC probability of the prefix,
so this is the CTC prefix beam search, label by label. Comparing prefixes of equal length rather
than at equal frames makes that weaker than a frame-synchronous CTC search on noisy CTC outputs
(tests/decoding/test_beam_parity.py has the figures); CTC alone is better decoded frame by frame.

The search holds no Python loop over utterances for the network calls: the step functions see all
N rows, and an utterance that is done drops out of the batch (its rows are removed with
`select_state`), so short utterances stop costing compute.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from asr.decoding.ctc_prefix_score import CTCPrefixScorer, CTCPrefixState
from asr.decoding.nbest import Scored, distinct_best

NEG_INF = float("-inf")

State = Any  # None, a tensor, or nested tuple/list of tensors; every tensor has the hypotheses (N) as dim 0
StepFn = Callable[[torch.Tensor, State], tuple[torch.Tensor, State]]

# Joint search: CTC scores only this many x beam candidates per hypothesis (at least beam + 1), the
# best by attention (+ LM), as ESPnet does by default: a step's CTC cost then grows with the beam,
# not with the vocabulary. A pure CTC search (no decoder) always scores the whole vocabulary.
PRE_BEAM_RATIO = 1.5
# Summed attention weight at which a frame counts as read (Chorowski and Jaitly's coverage threshold)
COVERED = 0.5


def select_state(state: State, index: torch.Tensor) -> State:
    """Pick/duplicate rows of every tensor in a state along dim 0 (None passes through).

    state : None, a tensor (N, ...), or a (named) tuple / list / dict of states
    index : Tensor, shape = (M,), int64 rows to take
    returns the same structure with every tensor of shape (M, ...)
    """
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.index_select(0, index.to(state.device))
    if isinstance(state, dict):
        return {key: select_state(value, index) for key, value in state.items()}
    if isinstance(state, tuple) and hasattr(state, "_fields"):  # NamedTuple: fields are positional
        return type(state)(*(select_state(s, index) for s in state))
    if isinstance(state, (tuple, list)):
        return type(state)(select_state(s, index) for s in state)
    raise TypeError(f"cannot select rows of a decoder state of type {type(state).__name__}")


def put_state(state: State, index: torch.Tensor, values: State) -> State:
    """`state` with rows `index` replaced by `values` (the same structure, len(index) rows)."""
    if state is None:
        return None
    if isinstance(state, torch.Tensor):
        return state.index_copy(0, index.to(state.device), values)
    if isinstance(state, dict):
        return {key: put_state(state[key], index, values[key]) for key in state}
    if isinstance(state, tuple) and hasattr(state, "_fields"):
        return type(state)(*(put_state(s, index, v) for s, v in zip(state, values, strict=True)))
    return type(state)(put_state(s, index, v) for s, v in zip(state, values, strict=True))


class _Scorers:
    """The fixed parts of one search: step functions, weights and the CTC scorer.

    With CTC, the CTC columns of sos and eos are ignored, blank is never proposed as a token, and
    in a joint search CTC scores only the PRE_BEAM_RATIO * beam best tokens by attention + LM
    (and eos); sos is never proposed unless it is also eos.
    """

    def __init__(self, *, vocab: int, sos: int, eos: int, beam: int, decoder: StepFn | None,
                 ctc_log_probs: torch.Tensor | None, ctc_lens: torch.Tensor | None, ctc_weight: float,
                 blank: int, lm: StepFn | None, lm_weight: float, length_bonus: float, coverage: float = 0.0,
                 attention_of: Callable[[State], torch.Tensor] | None = None) -> None:
        if decoder is None and ctc_log_probs is None:
            raise ValueError("beam search needs a decoder, CTC log-probs, or both")
        if decoder is None:
            ctc_weight = 1.0  # pure CTC prefix beam search
        elif ctc_log_probs is None:
            ctc_weight = 0.0  # pure attention search
        if coverage and (ctc_weight == 1.0 or attention_of is None):
            raise ValueError("a coverage score needs a decoder in the search and its attention (attention_of)")
        self.vocab, self.sos, self.eos, self.blank = vocab, sos, eos, blank
        self.coverage, self.attention_of = coverage, attention_of if coverage else None
        self.decoder = decoder if ctc_weight < 1.0 else None  # weight 0: never called
        self.att_weight, self.ctc_weight = 1.0 - ctc_weight, ctc_weight
        self.lm = lm if lm is not None and lm_weight != 0.0 else None
        self.lm_weight, self.length_bonus = lm_weight, length_bonus
        self.ctc: CTCPrefixScorer | None = None
        if ctc_weight > 0.0:
            if blank in (sos, eos):
                raise ValueError("the CTC blank must differ from sos and eos")
            if ctc_lens is None:
                ctc_lens = torch.full((ctc_log_probs.shape[0],), ctc_log_probs.shape[1])
            self.ctc = CTCPrefixScorer(ctc_log_probs, ctc_lens, blank=blank, never=(sos, eos))
        # how many labels CTC scores per hypothesis: all of them unless another score can pre-select
        pre_beam = max(int(PRE_BEAM_RATIO * beam), beam + 1)
        self.pre_beam = pre_beam if self.decoder is not None and pre_beam < vocab else None

    def step(self, tokens: torch.Tensor, dec_state: State, lm_state: State,
             ctc_state: CTCPrefixState | None) -> tuple[torch.Tensor, State, State]:
        """Scores of every next token for N hypotheses whose last token is `tokens` (N,).

        returns: scores (N, V) and the new decoder and LM states (the CTC state follows in `extend`)
        """
        n, v = tokens.shape[0], self.vocab
        scores = torch.zeros(n, v, device=tokens.device)
        if self.attention_of is not None:  # the state carries each row's attention summed over its steps
            dec_state, attended = dec_state
        if self.decoder is not None:
            att, dec_state = self.decoder(tokens, dec_state)  # (N, V)
            scores = scores + self.att_weight * att.float()
        if self.attention_of is not None:
            now = attended + self.attention_of(dec_state).float()
            gain = (now > COVERED).sum(dim=1) - (attended > COVERED).sum(dim=1)
            scores = scores + self.coverage * gain[:, None]
            dec_state = (dec_state, now)
        if self.lm is not None:
            lm_lp, lm_state = self.lm(tokens, lm_state)  # (N, V)
            scores = scores + self.lm_weight * lm_lp.float()
        not_eos = torch.arange(v, device=tokens.device) != self.eos
        scores = scores + self.length_bonus * not_eos  # the bonus is per output token; eos is none
        if self.sos != self.eos:
            scores[:, self.sos] = NEG_INF  # sos only starts a hypothesis
        if self.decoder is not None:
            scores[:, self.blank] = NEG_INF  # the CTC blank is not a token a decoder may spell
        if self.ctc is None:
            return scores, dec_state, lm_state
        # CTC: prefix score deltas of the candidate labels (all, or the pre-beam), and of eos
        candidates = None
        if self.pre_beam is not None:
            candidates = scores.masked_fill(~not_eos, NEG_INF).topk(self.pre_beam, dim=1).indices  # (N, S)
        log_psi, log_end = self.ctc.score(ctc_state, candidates)  # (N, S), (N,)
        prev = ctc_state.log_psi[:, None]  # (N, 1); -inf only for dead rows, whose deltas stay -inf
        live = prev > NEG_INF
        delta = torch.where(live, log_psi - prev, NEG_INF)
        if candidates is not None:  # scatter the pre-beam's deltas into (N, V) rows of -inf
            delta = torch.full((n, v), NEG_INF, dtype=delta.dtype, device=delta.device).scatter(
                1, candidates, delta)
        delta[:, self.eos] = torch.where(live[:, 0], log_end - prev[:, 0], NEG_INF)
        return scores + self.ctc_weight * delta.float(), dec_state, lm_state

    def start_state(self, decoder_state: State) -> State:
        """The search's decoder state of rows whose decoder state is `decoder_state`: with a coverage score,
        paired with the attention each row has summed (none yet)."""
        if self.attention_of is None:
            return decoder_state
        return decoder_state, torch.zeros_like(self.attention_of(decoder_state), dtype=torch.float)

    def most_gain(self, dec_state: State) -> torch.Tensor | float:
        """The most a row's score can still gain (N,): the coverage of the frames it has not covered."""
        if self.attention_of is None:
            return 0.0
        return self.coverage * (dec_state[1] <= COVERED).sum(dim=1)


def beam_search(**search: Any) -> list[list[int]]:
    """The best hypothesis per utterance, token ids without sos/eos ([] where none finished):
    `beam_search_nbest`'s first, with its arguments but nbest."""
    return [hyps[0].ids if hyps else [] for hyps in beam_search_nbest(nbest=1, **search)]


def beam_search_nbest(*, batch: int, vocab: int, sos: int, eos: int, max_lens: torch.Tensor, beam: int,
                      nbest: int = 1, decoder: StepFn | None = None, decoder_state: State = None,
                      ctc_log_probs: torch.Tensor | None = None, ctc_lens: torch.Tensor | None = None,
                      ctc_weight: float = 0.0, blank: int = 0, lm: StepFn | None = None, lm_weight: float = 0.0,
                      length_bonus: float = 0.0, length_norm: bool = True, coverage: float = 0.0,
                      attention_of: Callable[[State], torch.Tensor] | None = None) -> list[list[Scored]]:
    """The `nbest` (at most `beam`) best finished hypotheses per utterance, best first: token ids without
    sos/eos and the score they are ranked by (per token, eos counted, with length_norm).
    coverage: weight of the coverage score (module docstring), which needs `attention_of`, a function from
    a decoder state to each row's attention weights over the frames at that step (N, T).

    batch utterances; decoder_state holds `batch` rows (the search expands it to batch*beam itself
    with select_state); ctc_log_probs (batch, T, V), ctc_lens (batch,); max_lens (batch,) = most
    output tokens allowed per utterance. A token's score is the module docstring's.
    With decoder None it is a pure CTC prefix beam search (ctc_weight taken as 1); with
    ctc_log_probs None it is a pure attention search. beam=1 is greedy.
    Each step keeps an utterance's `beam` best extensions of its live hypotheses by raw score;
    those ending in eos are finished (so a beam can shrink, and beam=1 stops at the first eos).
    Finished hypotheses are ranked by score / (tokens + 1) with length_norm (the +1 is eos), else
    by score; an utterance stops as `_done` says. A hypothesis with max_len tokens may only end, so
    every utterance ends by max_len + 1 steps. What CTC scores: see `_Scorers`.
    """
    if not 1 <= nbest <= beam:
        raise ValueError(f"nbest must be between 1 and the beam ({beam}), not {nbest}")
    scorers = _Scorers(vocab=vocab, sos=sos, eos=eos, beam=beam, decoder=decoder, ctc_log_probs=ctc_log_probs,
                       ctc_lens=ctc_lens, ctc_weight=ctc_weight, blank=blank, lm=lm, lm_weight=lm_weight,
                       length_bonus=length_bonus, coverage=coverage, attention_of=attention_of)
    device = ctc_log_probs.device if ctc_log_probs is not None else _device_of(decoder_state, max_lens.device)
    utts, rows, scores, tokens, seqs, dec_state, ctc_state = _start(batch, beam, sos, device, scorers, decoder_state)
    dec_state = scorers.start_state(dec_state)
    lm_state, max_lens = None, max_lens.to(device)
    finished = _Finished(batch, beam, length_norm, device)

    for step in range(int(max_lens.max()) + 1 if batch else 0):
        # 1. scores of every next token for every row: (N, V)
        token_scores, dec_state, lm_state = scorers.step(tokens, dec_state, lm_state, ctc_state)
        total = scores[:, None] + token_scores
        at_limit = step >= max_lens[rows]  # (N,): a hypothesis at its utterance's most tokens may only end
        total[at_limit] = _only_eos(total[at_limit], eos)
        # 2. the beam best (row, token) pairs of each utterance, over all its rows' extensions
        scores, src, tokens = _top_per_utterance(total, beam)
        # 3. reorder every state to follow its hypothesis' parent row
        seqs = torch.cat([seqs[src], tokens[:, None]], dim=1)
        dec_state, lm_state = select_state(dec_state, src), select_state(lm_state, src)
        if ctc_state is not None:
            ctc_state = scorers.ctc.extend(ctc_state, src, tokens)
        # 4. hypotheses that chose eos are finished; they leave the beam
        ended = (tokens == eos) & (scores > NEG_INF)
        finished.add(rows[ended], seqs[ended, :-1], scores[ended])
        scores = scores.masked_fill(tokens == eos, NEG_INF)
        # 5. drop utterances that are done from the batch
        done = _done(scores + scorers.most_gain(dec_state), finished.kth[utts], step + 1, max_lens[utts], beam,
                     length_bonus, length_norm)
        if done.all():
            break
        if done.any():
            utts, rows, scores, tokens, seqs, dec_state, lm_state, ctc_state = _without(
                done, beam, utts, rows, scores, tokens, seqs, dec_state, lm_state, ctc_state)
    return finished.top(nbest)


def _start(batch: int, beam: int, sos: int, device: torch.device, scorers: _Scorers, decoder_state: State) -> tuple:
    """The search's first step: (utts (B,), the original index of each utterance still searched; rows (N,)
    = (B * beam,), the utterance of each hypothesis row; scores (N,); tokens (N,), each row's last token;
    seqs (N, 0), the tokens so far; the decoder's and the CTC scorer's states of each row). Only each
    utterance's first row starts live (score 0, the others -inf), so the beam does not fill with copies of sos."""
    utts = torch.arange(batch, device=device)
    rows = utts.repeat_interleave(beam)
    scores = torch.full((batch * beam,), NEG_INF, device=device)
    scores[::beam] = 0.0
    tokens = torch.full((batch * beam,), sos, dtype=torch.long, device=device)
    seqs = torch.empty((batch * beam, 0), dtype=torch.long, device=device)
    ctc_state = scorers.ctc.initial_state(rows) if scorers.ctc is not None else None
    return utts, rows, scores, tokens, seqs, select_state(decoder_state, rows), ctc_state


def _without(done: torch.Tensor, beam: int, utts: torch.Tensor, *states: State) -> tuple:
    """The search's utterances and row states less the utterances that are `done` (B',): (utts, *states),
    the last state the CTC prefix state (or None)."""
    keep = (~done).nonzero()[:, 0]  # utterances still searched, in the order of `utts`
    keep_rows = (keep[:, None] * beam + torch.arange(beam, device=keep.device)).reshape(-1)
    *rows, ctc_state = states
    ctc_state = CTCPrefixScorer.select(ctc_state, keep_rows) if ctc_state is not None else None
    return utts[keep], *select_state(tuple(rows), keep_rows), ctc_state


def _only_eos(total: torch.Tensor, eos: int) -> torch.Tensor:
    """Rows (M, V) of candidate scores with every token but eos removed.

    If eos is impossible there (probability 0), a very low finite score still ends the hypothesis,
    so that an utterance with nothing finished by max_len returns its best live hypothesis.
    """
    out = torch.full_like(total, NEG_INF)
    live = total.max(dim=1).values > NEG_INF
    out[:, eos] = torch.where(live, total[:, eos].clamp(min=torch.finfo(total.dtype).min), NEG_INF)
    return out


def _top_per_utterance(total: torch.Tensor, beam: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The beam best extensions of each utterance.

    total   : Tensor, shape = (N, V), N = utterances * beam; score of each row extended by each token
    returns : scores (N,), the source row of each (N,) and its new token (N,); row u*beam+j of the
              result is utterance u's j-th best (scores -inf where there are fewer live ones)
    """
    n, v = total.shape
    best, flat = total.view(n // beam, beam * v).topk(beam, dim=1)  # (B', beam) over all rows x tokens
    offset = torch.arange(0, n, beam, device=total.device)[:, None]  # first row of each utterance
    src = (offset + flat // v).reshape(-1)
    return best.reshape(-1), src, (flat % v).reshape(-1)


def _done(scores: torch.Tensor, kth: torch.Tensor, length: int, max_lens: torch.Tensor, beam: int,
          length_bonus: float, length_norm: bool) -> torch.Tensor:
    """Which utterances (B',) can stop: no live row, or none that can beat the beam-th finished.

    Every term of a score but length_bonus and coverage is a log-probability (<= 0), so a live score s
    after L tokens (the caller adds the coverage each row may still gain) can end no better than
    s + max(bonus, 0) * (max_len - L), divided by the best length in
    [L, max_len] + 1 with length_norm (which rarely prunes: the search then runs until the beam
    empties or max_len).

    scores : Tensor, shape = (B' * beam,), live scores (-inf = not live), all after `length` tokens
    kth    : Tensor, shape = (B',), ranking score of the beam-th best finished (-inf if fewer)
    """
    s = scores.view(-1, beam)  # (B', beam)
    room = (max_lens[:, None] - length).clamp(min=0)  # tokens that may still be added
    best_end = s + max(length_bonus, 0.0) * room  # the best final score, with as many bonuses as fit
    if length_norm:  # (s + b t) / (L + t + 1) is monotonic in t: the best is at t = 0 or t = room
        best_end = torch.maximum(s / (length + 1), best_end / (length + room + 1))
    live = s > NEG_INF
    bound = best_end.masked_fill(~live, NEG_INF).max(dim=1).values
    return ~live.any(dim=1) | (bound <= kth)


class _Finished:
    """Each utterance's finished hypotheses and the ranking score of its beam-th best."""

    def __init__(self, batch: int, beam: int, length_norm: bool, device: torch.device) -> None:
        self.beam, self.length_norm = beam, length_norm
        self.hyps: list[list[tuple[float, list[int]]]] = [[] for _ in range(batch)]
        self.kth = torch.full((batch,), NEG_INF, device=device)

    def add(self, utts: torch.Tensor, seqs: torch.Tensor, scores: torch.Tensor) -> None:
        """Finished hypotheses: utterance (M,), tokens without eos (M, L), score (M,)."""
        if utts.numel() == 0:
            return
        length = seqs.shape[1]
        ranks = scores / (length + 1) if self.length_norm else scores
        for u, seq, rank in zip(utts.tolist(), seqs.tolist(), ranks.tolist()):
            self.hyps[u].append((rank, seq))
        for u in set(utts.tolist()):
            if len(self.hyps[u]) >= self.beam:
                self.kth[u] = sorted((r for r, _ in self.hyps[u]), reverse=True)[self.beam - 1]

    def top(self, n: int) -> list[list[Scored]]:
        """The `n` best-ranked hypotheses of each utterance, best first (the earliest found on a tie)."""
        return [distinct_best((Scored(seq, rank) for rank, seq in hyps), n) for hyps in self.hyps]


def _device_of(state: State, default: torch.device) -> torch.device:
    """The device of the first tensor in a (nested) state, else `default`."""
    if isinstance(state, torch.Tensor):
        return state.device
    values = state.values() if isinstance(state, dict) else state if isinstance(state, (tuple, list)) else ()
    for s in values:
        device = _device_of(s, None)
        if device is not None:
            return device
    return default
