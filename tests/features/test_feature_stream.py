"""A stream's frames equal the whole recording's, for every normalisation that can stream."""

import dataclasses

import numpy as np
import pytest
import torch

from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.features.streaming import FeatureStream


@pytest.fixture(scope="module")
def speech(librispeech_waves: list[np.ndarray]) -> torch.Tensor:
    """Real speech, 16 kHz."""
    return torch.from_numpy(librispeech_waves[0])


@pytest.mark.parametrize("normalize", ["global", "running"])
@pytest.mark.parametrize("dither", [0.0, 1e-3])
def test_stream_frames_equal_whole_recording(speech, normalize, dither):
    cfg = FeatureConfig(normalize=normalize, dither=dither, kind="mfcc" if dither else "fbank")
    torch.manual_seed(0)
    pipeline = FeaturePipeline(cfg, torch.randn(cfg.n_mfcc if dither else cfg.n_mels), torch.rand(40 if dither
                                                                                                   else 80) + 0.5)
    whole, lens = pipeline(speech.unsqueeze(0), torch.tensor([len(speech)]))
    stream, pieces, start = FeatureStream(pipeline), [], 0
    sizes = torch.randint(1, 3000, (400,), generator=torch.Generator().manual_seed(1)).tolist()
    for size in sizes:  # pieces of 1 sample to 0.19 s: frames that straddle them, pieces with none
        pieces.append(stream.push(speech[start:start + size]))
        start += size
        if start >= len(speech):
            break
    streamed = torch.cat(pieces)
    assert streamed.shape == whole[0].shape == (lens[0], pipeline.dim)
    torch.testing.assert_close(streamed, whole[0], atol=2e-4, rtol=1e-4)


def test_running_mean_follows_the_speaker_and_starts_from_the_prior(speech):
    """Louder input moves the whole-utterance level; running normalisation takes it out after its prior's weight."""
    cfg = FeatureConfig(normalize="running", running_prior_frames=100)
    pipeline = FeaturePipeline(cfg)
    quiet, _ = pipeline(speech.unsqueeze(0) * 0.1, None)
    loud, _ = pipeline(speech.unsqueeze(0), None)
    difference = (loud - quiet)[0].mean(dim=1)  # log power 2 ln 10 = 4.6 higher, taken out over time
    assert difference[0] > 4.5 * 100 / 101 and difference[-1] < 4.6 * 100 / (100 + len(difference)) + 0.05


def test_utterance_normalisation_cannot_stream():
    with pytest.raises(ValueError, match="whole recording"):
        FeatureStream(FeaturePipeline(dataclasses.replace(FeatureConfig(), normalize="utterance")))
