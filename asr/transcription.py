"""Waveforms in, text out: batched inference with a loaded model."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from asr.decoding.ctc_greedy import ctc_greedy
from asr.model_file import LoadedModel


@torch.inference_mode()
def transcribe_waves(loaded: LoadedModel, waves: Sequence[torch.Tensor], max_batch_seconds: float = 200.0,
                     max_batch_size: int = 32) -> list[str]:
    """Greedy CTC transcripts for 1-D waveforms at the model's sample rate, in input order.

    Waves are batched in order of length so that padding stays small; the encoder ignores
    padding, so a transcript does not depend on which other files share its batch.
    """
    sample_rate = loaded.features.cfg.sample_rate
    device = next(loaded.model.parameters()).device
    order = sorted(range(len(waves)), key=lambda i: len(waves[i]))
    texts: list[str] = [""] * len(waves)
    start = 0
    while start < len(order):
        # grow the batch while the padded total (n x longest) stays within budget
        end = start + 1
        while (end < len(order) and end - start < max_batch_size
               and len(waves[order[end]]) * (end - start + 1) <= max_batch_seconds * sample_rate):
            end += 1
        batch = [waves[i] for i in order[start:end]]
        lens = torch.tensor([len(w) for w in batch], device=device)
        padded = torch.nn.utils.rnn.pad_sequence(list(batch), batch_first=True).to(device)
        feats, feat_lens = loaded.features(padded, lens)
        log_probs, out_lens = loaded.model(feats, feat_lens)
        for i, ids in zip(order[start:end], ctc_greedy(log_probs, out_lens, loaded.tokenizer.blank_id)):
            texts[i] = loaded.tokenizer.decode(ids)
        start = end
    return texts
