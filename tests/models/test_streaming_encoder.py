"""Latency-controlled and unidirectional encoders: whole-utterance output equals the stream's, and the
look-ahead is what the config says."""

import pytest
import torch

from asr.models.rnn_encoder import EncoderConfig, RNNEncoder
from asr.models.streaming import EncoderStream


def encode_stream(encoder: RNNEncoder, feats: torch.Tensor, pieces: list[int]) -> torch.Tensor:
    """feats (T, F) pushed in pieces of the given sizes, the rest at the end -> all frames (T', E)."""
    stream, out, start = EncoderStream(encoder), [], 0
    for size in pieces:
        out.append(stream.push(feats[start:start + size]))
        start += size
    out.append(stream.push(feats[start:]))
    out.append(stream.finish())
    return torch.cat(out)


def encoder(cell: str = "lstm", **settings) -> RNNEncoder:
    torch.manual_seed(0)
    cfg = dict(input_dim=5, cell=cell, hidden=6, layers=3, stack=2, dropout=0.0,
               chunk_frames=8, right_context_frames=4) | settings
    return RNNEncoder(EncoderConfig(**cfg)).eval()


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "jordan"])
@pytest.mark.parametrize("settings", [{}, {"right_context_frames": 0}, {"right_context": "summary"},
                                      {"bidirectional": False, "chunk_frames": 0, "right_context_frames": 0}])
def test_stream_equals_whole_utterance_in_a_padded_batch(cell, settings):
    enc = encoder(cell, **settings)
    lengths = torch.tensor([37, 21, 8, 3])
    feats = torch.randn(4, 37, 5) * (torch.arange(37) < lengths.unsqueeze(1)).unsqueeze(-1)
    with torch.no_grad():
        whole, out_lens = enc(feats, lengths)
    for b, length in enumerate(lengths.tolist()):
        generator = torch.Generator().manual_seed(b)
        pieces = torch.randint(0, 7, (6,), generator=generator).tolist()
        streamed = encode_stream(enc, feats[b, :length], pieces)
        assert streamed.shape == (out_lens[b], enc.cfg.output_dim)
        torch.testing.assert_close(streamed, whole[b, : out_lens[b]], atol=1e-5, rtol=1e-4)
    assert (whole[1, out_lens[1]:] == 0).all()


@pytest.mark.parametrize("settings", [{}, {"right_context_frames": 0}, {"right_context": "summary"},
                                      {"bidirectional": False, "chunk_frames": 0, "right_context_frames": 0}])
def test_output_does_not_look_further_ahead_than_the_config_says(settings):
    enc = encoder(**settings)
    ahead = enc.cfg.lookahead_frames
    feats = torch.randn(1, 40, 5)
    with torch.no_grad():
        before, _ = enc(feats, torch.tensor([40]))
        for frame in (3, 8, 17):  # an input frame; changing those after it + ahead must leave its output alone
            changed = feats.clone()
            changed[0, frame + ahead + 1:] = torch.randn(40 - frame - ahead - 1, 5)
            after, _ = enc(changed, torch.tensor([40]))
            out = frame // enc.cfg.stack
            torch.testing.assert_close(after[0, : out + 1], before[0, : out + 1])
            assert not torch.allclose(after[0, out + 2:], before[0, out + 2:])
    # and it does look that far: a change at frame + ahead reaches frame's output when it starts a chunk
    changed = feats.clone()
    changed[0, ahead] += 1
    with torch.no_grad():
        after, _ = enc(changed, torch.tensor([40]))
    assert not torch.allclose(after[0, 0], before[0, 0])


def test_full_bidirectional_encoder_cannot_stream_and_settings_are_checked():
    with pytest.raises(ValueError, match="whole utterances"):
        EncoderStream(encoder(chunk_frames=0, right_context_frames=0))
    with pytest.raises(ValueError, match="multiples of model.stack"):
        encoder(chunk_frames=9)
    with pytest.raises(ValueError, match="pyramid"):
        encoder(pyramid=1)
    with pytest.raises(ValueError, match="unidirectional"):
        encoder(bidirectional=False)
    with pytest.raises(ValueError, match="summarises the right context"):
        encoder(right_context="summary", right_context_frames=0)
    with pytest.raises(ValueError, match="rnn or summary"):
        encoder(right_context="mean")


def test_latency_controlled_encoder_trains():
    """Gradients reach every layer's both directions through the windows."""
    enc = encoder().train()
    out, _ = enc(torch.randn(2, 30, 5), torch.tensor([30, 17]))
    out.square().sum().backward()
    for p in enc.parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0
