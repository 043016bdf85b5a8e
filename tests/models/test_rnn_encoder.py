import pytest
import torch
from torch import nn

from asr.models.ctc_model import CTCModel, CTCModelConfig, ctc_loss
from asr.models.jordan import JordanRNN
from asr.models.rnn_encoder import EncoderConfig, RNNEncoder, chunk_end_states, reverse_padded


def test_reverse_padded_keeps_padding_in_place():
    x = torch.arange(5.0).view(1, 5, 1).repeat(2, 1, 1)
    out = reverse_padded(x, torch.tensor([5, 3]))
    assert out[0, :, 0].tolist() == [4, 3, 2, 1, 0]
    assert out[1, :, 0].tolist() == [2, 1, 0, 3, 4]


@pytest.mark.parametrize("rnn_class", [nn.LSTM, nn.GRU, nn.RNN, JordanRNN])
def test_chunk_end_states_equal_a_run_chunk_by_chunk(rnn_class):
    """The states after each chunk, read off one run over the whole input (an LSTM's cells rebuilt
    from its gates), are the states of a run that stops after every chunk, gradients included."""
    torch.manual_seed(0)
    rnn, chunk = rnn_class(5, 7, batch_first=True), 4
    x = torch.randn(3, 5 * chunk, 5, requires_grad=True)
    out, _ = rnn(x)
    states = chunk_end_states(rnn, x, out, chunk)
    expected, state = [], None
    for k in range(5):
        _, state = rnn(x[:, k * chunk:(k + 1) * chunk], state)
        expected.append(state)
    pairs = zip(states, zip(*expected, strict=True), strict=True) if rnn_class is nn.LSTM else [(states, expected)]
    weights = torch.randn(3 * 5 * 7)
    for got, want in pairs:  # (1, B*N, H), utterance b's chunk k at b*N + k
        want = torch.stack(want, dim=2).reshape(1, 15, 7)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
        grad_got = torch.autograd.grad(got.flatten() @ weights, x, retain_graph=True)[0]
        grad_want = torch.autograd.grad(want.flatten() @ weights, x, retain_graph=True)[0]
        torch.testing.assert_close(grad_got, grad_want, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_bidirectional_padded_equals_packed_reference(cell):
    """Our padded bidirectional layers give exactly what torch's packed bidirectional RNN gives."""
    torch.manual_seed(0)
    enc = RNNEncoder(EncoderConfig(input_dim=6, cell=cell, hidden=8, layers=2, stack=1, dropout=0.0)).eval()
    ref = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](6, 8, num_layers=2, bidirectional=True,
                                                               batch_first=True)
    for layer in range(2):
        for name in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
            getattr(ref, f"{name}_l{layer}").data.copy_(getattr(enc.forward_rnns[layer], f"{name}_l0"))
            getattr(ref, f"{name}_l{layer}_reverse").data.copy_(getattr(enc.backward_rnns[layer], f"{name}_l0"))
    x, lens = torch.randn(3, 11, 6), torch.tensor([11, 7, 2])
    out, out_lens = enc(x, lens)
    packed = nn.utils.rnn.pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
    expected, _ = nn.utils.rnn.pad_packed_sequence(ref(packed)[0], batch_first=True)
    assert out_lens.tolist() == [11, 7, 2]
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_output_does_not_depend_on_batch_companions():
    """A short utterance padded next to a long one gives the same output as alone."""
    torch.manual_seed(0)
    enc = RNNEncoder(EncoderConfig(input_dim=4, hidden=8, layers=3, stack=3, pyramid=1, dropout=0.0)).eval()
    short, long = torch.randn(1, 13, 4), torch.randn(1, 40, 4)
    alone, alone_len = enc(short, torch.tensor([13]))
    batch = torch.zeros(2, 40, 4)
    batch[0, :13], batch[1] = short[0], long[0]
    together, lens = enc(batch, torch.tensor([13, 40]))
    assert lens.tolist() == [alone_len.item(), 7]  # ceil(ceil(40 / 3) / 2)
    torch.testing.assert_close(together[0, : alone_len.item()], alone[0], atol=1e-5, rtol=1e-5)


def test_ctc_model_shapes_lengths_and_gradients():
    cfg = CTCModelConfig(EncoderConfig(input_dim=10, hidden=16, layers=2, stack=2, pyramid=1,
                                       bidirectional=False), vocab_size=7)
    model = CTCModel(cfg)
    feats, lens = torch.randn(2, 30, 10), torch.tensor([30, 17])
    log_probs, out_lens = model(feats, lens)
    assert log_probs.shape == (2, 8, 7)
    assert out_lens.tolist() == model.output_lengths(lens).tolist() == [8, 5]
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 8))
    loss = ctc_loss(log_probs, out_lens, torch.tensor([[1, 2, 3], [4, 0, 0]]), torch.tensor([3, 1]))
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters())
    assert CTCModelConfig.from_dict(cfg.to_dict()) == cfg


def test_unknown_cell_is_rejected():
    with pytest.raises(ValueError):
        RNNEncoder(EncoderConfig(cell="transformer"))


def test_a_pyramid_step_after_the_last_layer_is_refused() -> None:
    """It would double the encoder's output size behind the heads' backs: training ended in a shape error."""
    import pytest

    with pytest.raises(ValueError, match="model.pyramid must be at least 0 and below model.layers"):
        RNNEncoder(EncoderConfig(input_dim=4, hidden=8, layers=1, pyramid=1))
