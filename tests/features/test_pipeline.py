"""The feature path shared by training and transcription: frontend, then normalisation."""

import pytest
import torch

from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline


def _batch(clips: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lens = torch.tensor([len(c) for c in clips])
    return torch.nn.utils.rnn.pad_sequence(clips, batch_first=True), lens


@pytest.mark.parametrize("normalize", ["global", "utterance"])
def test_padding_stays_zero_and_rows_do_not_depend_on_each_other(normalize, librispeech_waves):
    clips = [torch.from_numpy(a) for a in librispeech_waves[:2]]
    pipeline = FeaturePipeline(FeatureConfig(normalize=normalize), torch.full((80,), -5.0), torch.full((80,), 3.0))
    feats, lens = pipeline(*_batch(clips))
    alone, alone_len = pipeline(*_batch(clips[1:]))
    short = int(lens.argmin())
    assert feats[short, lens[short]:].abs().max() == 0
    n = int(lens[1])
    torch.testing.assert_close(feats[1, :n], alone[0, :n], atol=1e-4, rtol=1e-4)


def test_utterance_normalisation_removes_each_recordings_level(librispeech_waves):
    """A recording played 20 dB quieter gives the same features: the level is a per-utterance constant."""
    clip = torch.from_numpy(librispeech_waves[0])
    pipeline = FeaturePipeline(FeatureConfig(normalize="utterance"))
    loud, lens = pipeline(*_batch([clip]))
    quiet, _ = pipeline(*_batch([clip * 0.1]))
    assert loud[0].mean(dim=0).abs().max() < 1e-3  # mean removed over the real frames
    # away from digital silence (the log floor) the features agree
    speech = loud[0].abs() < 3
    assert (loud[0] - quiet[0])[speech].abs().mean() < 0.05


def test_unknown_normalisation_is_rejected():
    with pytest.raises(ValueError, match="normalize"):
        FeaturePipeline(FeatureConfig(normalize="cepstral"))
