"""Checkpoint averaging: the element-wise mean of several checkpoints' weights, one model.

Averaging the weights of the best few checkpoints of a run (as ESPnet and icefall do) smooths out
the noise of the last updates at no cost in decoding.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def average_state_dicts(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The mean of each floating-point tensor over `states`; other tensors (counters) from the first.

    >>> a, b = {"w": torch.tensor([1.0, 3.0])}, {"w": torch.tensor([3.0, 5.0])}
    >>> average_state_dicts([a, b])["w"]
    tensor([2., 4.])
    """
    if not states:
        raise ValueError("no checkpoints to average")
    keys = states[0].keys()
    for state in states[1:]:
        if state.keys() != keys or any(state[k].shape != states[0][k].shape for k in keys):
            raise ValueError("checkpoints of different models cannot be averaged")
    averaged = {}
    for key, first in states[0].items():
        if first.is_floating_point():
            averaged[key] = sum(s[key].double() for s in states).div(len(states)).to(first.dtype)
        else:
            averaged[key] = first.clone()
    return averaged
