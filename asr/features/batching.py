"""Waveforms of many lengths in, feature batches out: the batching every inference path shares.

Sorting by length keeps padding small; the frontend and encoders ignore padding, so what a
waveform becomes does not depend on which others share its batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import torch

from asr.features.pipeline import FeaturePipeline

T = TypeVar("T")


def length_batches(lengths: Sequence[float], max_total: float, max_size: int) -> list[list[int]]:
    """Indices in order of length, cut into batches of at most `max_size` whose padded total (n x longest)
    stays within max_total (a longer item alone is a batch of its own): the one length bucketing,
    for inference here and for training's batch sampler.

    >>> length_batches([5, 1, 3, 2, 9], max_total=8, max_size=3)
    [[1, 3], [2], [0], [4]]
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches, start = [], 0
    while start < len(order):
        end = start + 1
        while (end < len(order) and end - start < max_size
               and lengths[order[end]] * (end - start + 1) <= max_total):
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


def feature_batches(features: FeaturePipeline, waves: Sequence[torch.Tensor], max_batch_seconds: float,
                    max_batch_size: int, device: str | torch.device = "cpu"
                    ) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor]]:
    """1-D waveforms at the pipeline's rate -> (their indices, feats (B, T, F), feat_lens (B,)) per batch."""
    max_total = max_batch_seconds * features.cfg.sample_rate
    for batch in length_batches([len(w) for w in waves], max_total, max_batch_size):
        lens = torch.tensor([len(waves[i]) for i in batch], device=device)
        padded = torch.nn.utils.rnn.pad_sequence([waves[i] for i in batch], batch_first=True).to(device)
        yield (batch, *features(padded, lens))


def map_feature_batches(features: FeaturePipeline, waves: Sequence[torch.Tensor],
                        per_batch: Callable[[torch.Tensor, torch.Tensor], Sequence[T]], max_batch_seconds: float,
                        max_batch_size: int, device: str | torch.device = "cpu") -> list[T]:
    """`per_batch(feats (B, T, F), feat_lens (B,))` -> one result per row, over the waves' feature
    batches, put back in the waves' order: what transcription, alignment, embedding and DTW share."""
    results: list = [None] * len(waves)
    for batch, feats, feat_lens in feature_batches(features, waves, max_batch_seconds, max_batch_size, device):
        for i, result in zip(batch, per_batch(feats, feat_lens), strict=True):
            results[i] = result
    return results
