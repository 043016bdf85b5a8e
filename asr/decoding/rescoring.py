"""Attention rescoring (WeNet's): a CTC prefix beam search proposes each utterance's hypotheses, the speller
scores every one of them in one teacher-forced batch, and the two scores are weighed as in the joint search."""

from __future__ import annotations

from collections.abc import Sequence

from asr.decoding.nbest import Scored, distinct_best


def rescored(proposals: Sequence[Sequence[Scored]], attention: Sequence[float], ctc_weight: float,
             nbest: int = 1) -> list[list[Scored]]:
    """Each utterance's `nbest` best proposals by ctc_weight * CTC score + (1 - ctc_weight) * attention score.

    proposals : per utterance, the CTC search's hypotheses with their scores
    attention : the speller's log-probability of every proposal, in the order of the proposals flattened
    """
    flat = iter(attention)
    return [distinct_best((Scored(h.ids, ctc_weight * h.score + (1 - ctc_weight) * next(flat)) for h in hyps), nbest)
            for hyps in proposals]
