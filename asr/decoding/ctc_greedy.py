"""Greedy (best-path) CTC decoding over log-prob tensors."""

from __future__ import annotations

import torch


def ctc_greedy(log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> list[list[int]]:
    """Best path: argmax per frame, merge repeats, drop blanks.

    log_probs : Tensor, shape = (batch, frames, vocab)
    lengths   : Tensor, shape = (batch,), valid frames of each row
    returns   : one list of token ids per row

    >>> lp = torch.log(torch.tensor([[[.1, .9, 0], [.1, .9, 0], [.9, .1, 0], [.1, .9, 0]]]))
    >>> ctc_greedy(lp, torch.tensor([4]))
    [[1, 1]]
    """
    best = log_probs.argmax(dim=-1).cpu()  # (B, T)
    results = []
    for row, n in zip(best, lengths.tolist()):
        path = row[:n]
        if n == 0:
            results.append([])
            continue
        # keep a frame when it differs from the previous one (merge repeats), then drop blanks
        keep = torch.ones(n, dtype=torch.bool)
        keep[1:] = path[1:] != path[:-1]
        tokens = path[keep]
        results.append(tokens[tokens != blank].tolist())
    return results
