"""Waveforms in, vectors out: what an Audio Word2Vec model (sa, dsa, cae) makes of spoken segments."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from asr.features.batching import map_feature_batches
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
    model = loaded.model

    def vectors(feats: torch.Tensor, feat_lens: torch.Tensor) -> list[torch.Tensor]:
        return list(model.embed(feats, feat_lens).float().cpu())

    rows = map_feature_batches(loaded.features, waves, vectors, max_batch_seconds, max_batch_size,
                               next(model.parameters()).device)
    return torch.stack(rows) if rows else torch.zeros(0, model.cfg.vector_dim)
