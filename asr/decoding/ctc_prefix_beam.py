"""Frame-synchronous CTC prefix beam search over a whole batch, with our token LM scored in batches.

The search is flashlight's lexicon-free CTC search (torchaudio's `ctc_decoder`, log_add=True), kept
hypothesis for hypothesis: a hypothesis is a labelling and whether its path ends in blank; at each
frame every hypothesis proposes a blank (same labelling, ends in blank), its last token again (same
labelling, only from a path that does not end in blank) and every other token (one token longer,
scored by the LM); candidates further than `threshold` below the frame's best are dropped, those of
one labelling and ending log-add, and the `beam` best stay. At the end the LM scores the sentence end
and a labelling's two endings log-add.

What differs from flashlight is where the work goes: all utterances and all their hypotheses are
rows of tensors, a frame is a few tensor operations, and the LM is called once a frame for every
hypothesis that grew, as one batch (flashlight calls a Python LM once per hypothesis: 30 times the
plain beam's time). The language model is a step function as `beam_search` takes: step(tokens (N,),
state) -> (log-probs (N, V), state), its first call step(eos...) with state None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from asr.decoding.beam_search import StepFn, put_state, select_state
from asr.decoding.nbest import Scored, distinct_best, summed_by_labelling

NEG_INF = float("-inf")
HASH_START, HASH_FACTOR = 0x2545F4914F6CDD1D, 0x100000001B3  # a labelling's identity: FNV-style, wrapping int64
BLANK, REPEAT, GROW = 0, 1, 2  # what a candidate does to its hypothesis


@dataclass
class Beams:
    """The live hypotheses of a batch between frames, (B, k) rows; `CTCPrefixBeamSearch.start` makes them."""

    score: torch.Tensor
    ends_blank: torch.Tensor
    last: torch.Tensor
    identity: torch.Tensor
    parent: torch.Tensor
    size: torch.Tensor
    tokens: torch.Tensor  # (B, k, room)
    lm_state: Any = None
    lm_next: torch.Tensor | None = None

    def stable_prefix(self, b: int = 0) -> list[int]:
        """The tokens every live hypothesis of utterance b starts with: no later frame can change them."""
        rows = (self.score[b] > NEG_INF).nonzero().flatten().tolist()
        if not rows:
            return []
        common = int(self.size[b, rows].min())
        first = self.tokens[b, rows[0], :common]
        for j in rows[1:]:
            same = (self.tokens[b, j, :common] == first).long()
            common = int(same.cumprod(0).sum())
        return first[:common].tolist()


class CTCPrefixBeamSearch:
    """CTC prefix beam search, lexicon-free, with an optional token LM, over a batch at once.

    blank        : the CTC blank's id
    beam         : hypotheses kept per utterance after each frame
    lm, eos      : a token LM's step function and the id that starts and ends its sentences
    lm_weight    : weight of the LM's natural-log probabilities; length_bonus: added per output token
    nbest        : labellings `nbest_lists` returns per utterance (at most `beam`)
    threshold    : candidates this far below the frame's best are dropped (torchaudio's beam_threshold)
    """

    def __init__(self, *, blank: int = 0, beam: int = 10, lm: StepFn | None = None, eos: int | None = None,
                 lm_weight: float = 0.0, length_bonus: float = 0.0, nbest: int = 1, threshold: float = 50.0):
        if beam < 1:
            raise ValueError(f"beam must be at least 1, not {beam}")
        if not 1 <= nbest <= beam:
            raise ValueError(f"nbest must be between 1 and the beam ({beam}), not {nbest}")
        if lm is not None and lm_weight != 0 and eos is None:
            raise ValueError("a step-function LM needs the eos id to start and end sentences")
        self.blank, self.beam, self.nbest, self.threshold = blank, beam, nbest, threshold
        self.lm = lm if lm is not None and lm_weight != 0 else None
        self.eos, self.lm_weight, self.length_bonus = eos, lm_weight, length_bonus

    def __call__(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        """log_probs (B, T, V), lengths (B,) -> best token ids per utterance (no blanks)."""
        return [hyps[0].ids if hyps else [] for hyps in self.nbest_lists(log_probs, lengths)]

    @torch.inference_mode()
    def nbest_lists(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[Scored]]:
        """log_probs (B, T, V), lengths (B,) -> per utterance its `nbest` best labellings, best first, with
        their scores (acoustic, LM and bonus); a labelling's two endings are summed."""
        beams = self.start(log_probs.shape[0], log_probs.shape[2], log_probs.shape[1])
        self.advance(beams, log_probs, lengths)
        return self.finish(beams)

    @torch.inference_mode()
    def start(self, batch: int, vocab: int, frames: int = 1) -> Beams:
        """The empty hypotheses of `batch` utterances, room for `frames` tokens (it grows as needed)."""
        k = self.beam
        # Hypothesis j of utterance b is row (b, j); a row not (yet) in use scores -inf.
        beams = Beams(
            score=torch.full((batch, k), NEG_INF, dtype=torch.float64),
            ends_blank=torch.ones(batch, k, dtype=torch.bool),  # the start proposes any token, as after a blank
            last=torch.full((batch, k), -1, dtype=torch.long),  # the labelling's last token
            identity=torch.full((batch, k), HASH_START, dtype=torch.long),  # the labelling's hash
            parent=torch.zeros(batch, k, dtype=torch.long),  # the hash of the labelling less its last token
            size=torch.zeros(batch, k, dtype=torch.long),
            tokens=torch.zeros(batch, k, max(1, frames), dtype=torch.long),
        )
        beams.score[:, 0] = 0.0
        if self.lm is not None:
            lm_next, beams.lm_state = self.lm(torch.full((batch * k,), self.eos, dtype=torch.long), None)
            beams.lm_next = lm_next.detach().to("cpu", torch.float64).reshape(batch, k, vocab) * self.lm_weight
        return beams

    @torch.inference_mode()
    def advance(self, beams: Beams, log_probs: torch.Tensor, lengths: torch.Tensor) -> None:
        """Extend `beams` by the frames log_probs (B, T, V), of which lengths (B,) are real: a stream's
        next frames, or a whole utterance's."""
        emissions = log_probs.detach().to("cpu", torch.float64)
        lengths = lengths.detach().to("cpu", torch.int64)
        batch, frames, vocab = emissions.shape
        k = self.beam
        steps = int(lengths.max()) if batch else 0
        room = int(beams.size.max()) + steps - beams.tokens.shape[2] if batch else 0
        if room > 0:
            beams.tokens = torch.nn.functional.pad(beams.tokens, (0, room))
        for t in range(steps):
            active = (t < lengths)[:, None]  # (B, 1): utterances whose audio has ended keep their rows
            chosen, picked = self._frame(emissions[:, t], beams.score, beams.ends_blank, beams.last, beams.identity,
                                         beams.parent, beams.lm_next)
            picked = torch.where(active, picked, NEG_INF)
            kind = torch.where(chosen < k, BLANK, torch.where(chosen < 2 * k, REPEAT, GROW))
            src = torch.where(kind == GROW, (chosen - 2 * k) // vocab, chosen % k)
            src = torch.where(active, src, torch.arange(k))  # an ended utterance's rows stay where they are
            kind = torch.where(active, kind, -1)
            token = (chosen - 2 * k) % vocab
            grown = kind == GROW
            old_identity, old_valid = beams.identity, beams.score > NEG_INF
            beams.score = torch.where(active, picked, beams.score)
            beams.ends_blank = torch.where(active, kind == BLANK, beams.ends_blank.gather(1, src))
            beams.last = torch.where(grown, token, beams.last.gather(1, src))
            was = beams.identity.gather(1, src)
            beams.identity = torch.where(grown, was * HASH_FACTOR + token + 1, was)
            beams.parent = torch.where(grown, was, beams.parent.gather(1, src))
            size = beams.size.gather(1, src)
            tokens = beams.tokens.gather(1, src[..., None].expand_as(beams.tokens))
            b, j = grown.nonzero(as_tuple=True)
            tokens[b, j, size[b, j]] = token[b, j]
            beams.size, beams.tokens = size + grown, tokens
            if self.lm is not None:
                beams.lm_state, beams.lm_next = self._follow_lm(beams.lm_state, beams.lm_next, src, grown, token,
                                                                beams.identity, old_identity, old_valid)

    @torch.inference_mode()
    def finish(self, beams: Beams) -> list[list[Scored]]:
        """Per utterance its `nbest` best labellings, the LM's sentence end scored."""
        score = beams.score
        if self.lm is not None:
            score = score + beams.lm_next[..., self.eos]
        return self._results(score, beams.tokens, beams.size)

    def _follow_lm(self, lm_state, lm_next: torch.Tensor, src: torch.Tensor, grown: torch.Tensor,
                   token: torch.Tensor, identity: torch.Tensor, old_identity: torch.Tensor,
                   old_valid: torch.Tensor):
        """The LM state and next-token scores (B, k, V) of the rows after a frame. A row that kept its
        labelling takes its source's; a labelling that grew but was in the beam already (its other ending)
        takes that row's; one LM call serves every other row that grew, in every utterance."""
        batch, k, vocab = lm_next.shape
        rows = torch.arange(batch)[:, None] * k  # + j: a row's index in the LM's (B * k) rows
        held = (identity[:, :, None] == old_identity[:, None, :]) & old_valid[:, None, :] & grown[..., None]
        has_copy, copy = held.any(2), held.long().argmax(2)
        flat = (rows + torch.where(has_copy, copy, src)).reshape(-1)
        lm_state, lm_next = select_state(lm_state, flat), lm_next.reshape(batch * k, vocab)[flat]
        b, j = (grown & ~has_copy).nonzero(as_tuple=True)
        if len(b):
            grown_rows = rows[:, 0][b] + j
            step, state = self.lm(token[b, j], select_state(lm_state, grown_rows))
            lm_state = put_state(lm_state, grown_rows, state)
            lm_next[grown_rows] = step.detach().to("cpu", torch.float64) * self.lm_weight
        return lm_state, lm_next.reshape(batch, k, vocab)

    def _frame(self, frame: torch.Tensor, score: torch.Tensor, ends_blank: torch.Tensor, last: torch.Tensor,
               identity: torch.Tensor, parent: torch.Tensor, lm_next: torch.Tensor | None
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """One frame, frame (B, V) of log-probs: each utterance's candidates, those of one labelling and
        ending merged, and the `beam` best. Returns their indices (B, k) into [blank (k), repeat (k),
        grow (k x V)] and their scores (B, k)."""
        batch, k = score.shape
        vocab = frame.shape[1]
        valid = score > NEG_INF
        on_token = ~ends_blank & (last >= 0) & valid  # a path on its labelling's last token
        blank = score + frame[:, self.blank, None]  # (B, k)
        repeat = torch.where(on_token, score + frame.gather(1, last.clamp_min(0)), NEG_INF)
        grow = score[..., None] + frame[:, None, :] + self.length_bonus  # (B, k, V)
        if lm_next is not None:
            grow = grow + lm_next
        grow[..., self.blank] = NEG_INF
        b, j = on_token.nonzero(as_tuple=True)
        grow[b, j, last[b, j]] = NEG_INF  # a path on token c makes c again only after a blank
        # flashlight drops candidates this far below the frame's best before it merges
        best = torch.maximum(torch.maximum(blank.amax(1), repeat.amax(1)), grow.amax((1, 2)))
        floor = (best - self.threshold)[:, None]
        blank = blank.masked_fill(blank < floor, NEG_INF)
        repeat = repeat.masked_fill(repeat < floor, NEG_INF)
        grow = grow.masked_fill(grow < floor[..., None], NEG_INF)
        # a labelling held by two rows (its two endings): the later row's blank and grow candidates join
        # the earlier row's
        same = (identity[:, :, None] == identity[:, None, :]) & valid[:, :, None] & valid[:, None, :]
        later = same & torch.ones(k, k, dtype=torch.bool).triu(1)  # [b, i, j]: row j > i holds i's labelling
        has_twin, twin = later.any(2), later.long().argmax(2)
        second = (same & torch.ones(k, k, dtype=torch.bool).tril(-1)).any(2)
        blank = torch.where(has_twin, torch.logaddexp(blank, blank.gather(1, twin)), blank)
        twin_grow = grow.gather(1, twin[..., None].expand_as(grow))
        grow = torch.where(has_twin[..., None], torch.logaddexp(grow, twin_grow), grow)
        blank = blank.masked_fill(second, NEG_INF)
        grow = grow.masked_fill(second[..., None], NEG_INF)
        # a row on its last token c, whose labelling less c another row holds: that row growing by c
        # reaches the same labelling on c, so it joins the repeat
        child = (parent[:, :, None] == identity[:, None, :]) & on_token[:, :, None] & valid[:, None, :] \
            & ~second[:, None, :]  # [b, i, j]: row j holds row i's labelling less its last token
        has_parent, parent_row = child.any(2), child.long().argmax(2)
        b, i = has_parent.nonzero(as_tuple=True)
        p, c = parent_row[b, i], last[b, i]
        repeat[b, i] = torch.logaddexp(repeat[b, i], grow[b, p, c])
        grow[b, p, c] = NEG_INF
        candidates = torch.cat([blank, repeat, grow.reshape(batch, k * vocab)], dim=1)
        picked, chosen = candidates.topk(min(k, candidates.shape[1]), dim=1)
        return chosen, picked

    def _results(self, score: torch.Tensor, tokens: torch.Tensor, size: torch.Tensor) -> list[list[Scored]]:
        """Each utterance's final hypotheses, the two endings of a labelling summed (as flashlight's end
        merges them), best first."""
        results = []
        for b in range(score.shape[0]):
            found = [Scored(tokens[b, j, :size[b, j]].tolist(), float(score[b, j]))
                     for j in range(score.shape[1]) if score[b, j] > NEG_INF]
            results.append(distinct_best(summed_by_labelling(found), self.nbest))
        return results
