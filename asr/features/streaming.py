"""Features of a stream: samples go in as they arrive, normalised frames come out as they complete.

Every frame equals the one `FeaturePipeline` computes on the whole recording (a test): a frame is made
once all its window's samples are in, the dither sequence is placed by the sample's index in the
recording, and the running normalisation carries its sum. "global" and "running" normalisation can
stream; "utterance" needs the utterance's end and is refused.
"""

from __future__ import annotations

import torch

from asr.features.cmvn import CMVNStats, apply_cmvn, running_mean
from asr.features.pipeline import FeaturePipeline


class FeatureStream:
    """One recording's frontend state; `push(samples (S,))` -> new frames (T, D)."""

    def __init__(self, pipeline: FeaturePipeline):
        if pipeline.cfg.normalize == "utterance":
            raise ValueError("its features are normalised by each utterance's own mean (features.normalize: "
                             "utterance), which needs the whole recording: streaming models use 'running'")
        self.pipeline, self.cfg = pipeline, pipeline.cfg
        self.samples = torch.zeros(0)  # samples not yet consumed by a frame's hop, from index `start`
        self.start = 0
        self.total = torch.zeros(pipeline.dim, dtype=torch.float64)  # sum of the frames so far (running)
        self.count = 0

    def reset(self) -> None:
        """Start the running mean afresh from the training mean (a new speaker or room may follow)."""
        self.total.zero_()
        self.count = 0

    @torch.no_grad()
    def push(self, samples: torch.Tensor) -> torch.Tensor:
        """Samples (S,) in [-1, 1] at the model's rate -> the frames (T, D) they complete."""
        self.samples = torch.cat([self.samples, samples.float().reshape(-1)])
        frames = self.pipeline.num_frames(len(self.samples))
        if frames == 0:
            return torch.zeros(0, self.pipeline.dim)
        hop = self.cfg.hop_length
        used = (frames - 1) * hop + self.cfg.win_length
        feats, _ = self.pipeline.frontend(self.samples[:used].unsqueeze(0), start=self.start)
        feats = feats[0]
        self.samples = self.samples[frames * hop:]
        self.start += frames * hop
        stats = CMVNStats(self.pipeline.mean, self.pipeline.std)
        if self.cfg.normalize == "running":
            mean = running_mean(feats, self.pipeline.mean, self.cfg.running_prior_frames,
                                self.total.float(), self.count)
            self.total += feats.sum(dim=0).double()
            self.count += len(feats)
            feats = feats - mean
            stats = CMVNStats(torch.zeros_like(self.pipeline.mean), self.pipeline.std)
        return apply_cmvn(feats, stats)
