"""The Audio Word2Vec autoencoder: vectors independent of padding, a reconstruction loss that ignores
it, and a model that learns to tell real spoken digits apart from its own reconstructions' error."""

from __future__ import annotations

import pytest
import torch

from asr.models.rnn_encoder import EncoderConfig
from asr.models.seq_autoencoder import SeqAutoencoder, SeqAutoencoderConfig, masked_mse


def _model(bidirectional: bool = True, **kw) -> SeqAutoencoder:
    torch.manual_seed(0)
    enc = EncoderConfig(input_dim=13, hidden=24, layers=2, bidirectional=bidirectional, dropout=0.0, stack=1)
    return SeqAutoencoder(SeqAutoencoderConfig(encoder=enc, vector_dim=16, decoder_hidden=32, **kw)).eval()


@pytest.mark.parametrize("bidirectional", [True, False])
def test_a_vector_does_not_depend_on_the_padding_of_its_batch(bidirectional: bool) -> None:
    model = _model(bidirectional)
    short, long = torch.randn(1, 7, 13), torch.randn(1, 12, 13)
    batch = torch.zeros(2, 12, 13)
    batch[0, :7], batch[1] = short[0], long[0]
    together = model.embed(batch, torch.tensor([7, 12]))
    alone = torch.cat([model.embed(short, torch.tensor([7])), model.embed(long, torch.tensor([12]))])
    assert together.shape == (2, 16)
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-5)


def test_the_vector_reads_both_ends_of_the_segment() -> None:
    """Changing the first or the last frame changes the vector (the backward and forward final states)."""
    model = _model()
    x = torch.randn(1, 9, 13)
    base = model.embed(x, torch.tensor([9]))
    for frame in (0, 8):
        y = x.clone()
        y[0, frame] += 3.0
        assert (model.embed(y, torch.tensor([9])) - base).abs().max() > 1e-3


def test_masked_mse_ignores_padding() -> None:
    target = torch.zeros(2, 4, 3)
    output = torch.zeros(2, 4, 3)
    output[0, 3] = 100.0  # padding of a 3-frame sequence
    output[1, 0] = 2.0  # a real frame: error 4 on each of 3 dims
    loss = masked_mse(output, target, torch.tensor([3, 4]))
    assert loss.item() == pytest.approx(4 * 3 / (7 * 3))


def test_reconstruction_has_the_target_length_and_training_lowers_the_loss() -> None:
    model = _model().train()
    torch.manual_seed(1)
    feats = torch.randn(4, 10, 13)
    lens = torch.tensor([10, 8, 6, 9])
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        loss, parts = model.loss(feats, lens, feats, lens)
        first = first if first is not None else loss.item()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert set(parts) == {"mse"}
    assert model.reconstruct(torch.zeros(3, 16), 5).shape == (3, 5, 13)
    assert loss.item() < 0.6 * first


def test_bad_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="variant"):
        _model(variant="vae")
