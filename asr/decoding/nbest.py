"""N-best lists: a search's best hypotheses of an utterance, with the scores it ranked them by."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple


class Scored(NamedTuple):
    """One hypothesis: its token ids and the score the search ranked it by (higher is better)."""

    ids: list[int]
    score: float


def distinct_best(hyps: Iterable[Scored], n: int) -> list[Scored]:
    """The `n` best of `hyps`, best first (the earliest given on a tie), one per token sequence: a
    CTC search can end one labelling on several paths (after a blank or on its last token)."""
    seen: set[tuple[int, ...]] = set()
    best: list[Scored] = []
    for hyp in sorted(hyps, key=lambda h: -h.score):  # sorted is stable: ties keep their order
        key = tuple(hyp.ids)
        if key not in seen:
            seen.add(key)
            best.append(hyp)
            if len(best) == n:
                break
    return best


def summed_by_labelling(hyps: Iterable[Scored]) -> list[Scored]:
    """One hypothesis per token sequence, its score the log of the summed probabilities of those given
    (in the order each sequence first came): a CTC search's final beam holds a labelling once for each way
    its paths end (on a blank, on the last token), each with part of its probability."""
    summed: dict[tuple[int, ...], float] = {}
    for hyp in hyps:
        key = tuple(hyp.ids)
        previous = summed.get(key, -math.inf)
        high, low = max(previous, hyp.score), min(previous, hyp.score)
        summed[key] = high if low == -math.inf else high + math.log1p(math.exp(low - high))
    return [Scored(list(key), score) for key, score in summed.items()]
