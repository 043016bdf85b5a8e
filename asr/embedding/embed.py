"""Waveforms in, vectors out: what an Audio Word2Vec model (sa, dsa, cae) makes of spoken segments."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from asr.features.batching import feature_batches
from asr.model_file import LoadedModel
from asr.models.kinds import EMBEDDING_KINDS


@torch.inference_mode()
def embed_waves(loaded: LoadedModel, waves: Sequence[torch.Tensor], max_batch_seconds: float = 100.0,
                max_batch_size: int = 256) -> torch.Tensor:
    """1-D waveforms at the model's sample rate -> vectors (N, vector_dim), in input order.

    Segments are batched in order of length; the encoder ignores padding, so a segment's vector does
    not depend on which others share its batch.
    """
    if loaded.kind not in EMBEDDING_KINDS:
        raise ValueError(f"a {loaded.kind} model makes no vectors (that needs {', '.join(EMBEDDING_KINDS)})")
    device = next(loaded.model.parameters()).device
    vectors = torch.zeros(len(waves), loaded.model.cfg.vector_dim)
    for batch, feats, feat_lens in feature_batches(loaded.features, waves, max_batch_seconds, max_batch_size, device):
        vectors[batch] = loaded.model.embed(feats, feat_lens).float().cpu()
    return vectors
