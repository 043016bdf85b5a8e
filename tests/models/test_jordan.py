import math

import pytest
import torch
from torch import nn

from asr.models.jordan import JordanRNN
from asr.models.rnn_encoder import EncoderConfig, RNNEncoder


def step_by_step(layer: JordanRNN, x: torch.Tensor) -> torch.Tensor:
    """The docstring's equations one step at a time, through plain autograd: x (B, T, I) -> (B, T, H)."""
    y = x.new_zeros(x.size(0), layer.hidden_size)
    outputs = []
    for t in range(x.size(1)):
        h = torch.tanh(x[:, t] @ layer.weight_ih.T + layer.bias_ih + y @ layer.weight_yh.T)
        y = torch.tanh(h @ layer.weight_hy.T + layer.bias_hy)
        outputs.append(y)
    return torch.stack(outputs, dim=1)


@pytest.mark.parametrize("batch_first", [True, False])
def test_equals_step_by_step_reference_with_gradients(batch_first):
    torch.manual_seed(0)
    layer = JordanRNN(5, 7, batch_first=batch_first)
    x = torch.randn(3, 9, 5, requires_grad=True)
    out, last = layer(x if batch_first else x.transpose(0, 1))
    out = out if batch_first else out.transpose(0, 1)
    expected = step_by_step(layer, x)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(last, expected[:, -1].unsqueeze(0))
    # the handwritten backward against autograd through the reference, for every weight and the input
    weights = torch.randn_like(expected)
    ours = torch.autograd.grad((out * weights).sum(), [x, *layer.parameters()])
    theirs = torch.autograd.grad((expected * weights).sum(), [x, *layer.parameters()])
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


def test_backward_passes_gradcheck_in_double():
    torch.manual_seed(0)
    layer = JordanRNN(3, 4, batch_first=True).double()
    x = torch.randn(2, 5, 3, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, *p: layer(x)[0], (x, *layer.parameters()))


def test_carried_context_continues_the_run_with_gradients():
    """Two halves, the second started from the first's last output, are one run; y_0's gradient is right."""
    torch.manual_seed(0)
    layer = JordanRNN(3, 4, batch_first=True).double()
    x = torch.randn(2, 8, 3, dtype=torch.double)
    whole, _ = layer(x)
    first, last = layer(x[:, :5])
    second, _ = layer(x[:, 5:], last)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole)
    y_0 = torch.randn(1, 2, 4, dtype=torch.double, requires_grad=True)
    xs = x[:, :4].clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda x, y_0, *p: layer(x, y_0)[0], (xs, y_0, *layer.parameters()))


def test_gradient_reaches_first_step_input():
    """A loss on the last output alone still moves the first frame: the feedback path carries it back."""
    torch.manual_seed(0)
    layer = JordanRNN(4, 16, batch_first=True)
    x = torch.randn(2, 12, 4, requires_grad=True)
    layer(x)[0][:, -1].sum().backward()
    assert (x.grad[:, 0].abs().sum(-1) > 1e-9).all()
    assert x.grad[:, 1:].abs().sum() > 0


def test_bidirectional_jordan_encoder_is_padding_correct():
    """Each utterance of a padded batch gives what it gives alone, and the padding stays zero."""
    torch.manual_seed(0)
    enc = RNNEncoder(EncoderConfig(input_dim=6, cell="jordan", hidden=8, layers=2, stack=2, pyramid=1,
                                   dropout=0.0)).eval()
    assert isinstance(enc.backward_rnns[1], JordanRNN)
    lengths = [23, 9, 2]
    utterances = [torch.randn(1, n, 6) for n in lengths]
    batch = torch.zeros(3, max(lengths), 6)
    for i, u in enumerate(utterances):
        batch[i, : u.size(1)] = u[0]
    together, out_lens = enc(batch, torch.tensor(lengths))
    assert out_lens.tolist() == [6, 3, 1]  # ceil(ceil(n / 2) / 2)
    for i, u in enumerate(utterances):
        alone, alone_len = enc(u, torch.tensor([u.size(1)]))
        n = alone_len.item()
        torch.testing.assert_close(together[i, :n], alone[0], atol=1e-6, rtol=1e-5)
        assert together[i, n:].abs().sum() == 0


def test_initialisation_is_uniform_like_torch_rnns():
    torch.manual_seed(0)
    layer = JordanRNN(240, 192)
    bound = 1 / math.sqrt(192)
    for name, p in layer.named_parameters():
        assert p.abs().max() <= bound, name
        # uniform(-b, b) has standard deviation b / sqrt(3)
        assert abs(p.std().item() - bound / math.sqrt(3)) < 0.1 * bound, name
    # on unit-variance features the outputs are neither dead nor saturated
    out, _ = layer(torch.randn(300, 4, 240))
    assert 0.1 < out.abs().mean() < 0.7


def test_learns_a_delayed_copy_that_needs_its_feedback():
    """Output x_{t-2}: with no memory the best mean squared error is 1, the input's variance."""
    torch.manual_seed(0)
    layer, readout = JordanRNN(1, 16, batch_first=True), nn.Linear(16, 1)
    opt = torch.optim.Adam([*layer.parameters(), *readout.parameters()], lr=0.02)

    def delay_loss(x: torch.Tensor) -> torch.Tensor:  # x (B, T, 1)
        return nn.functional.mse_loss(readout(layer(x)[0])[:, 2:], x[:, :-2])

    for _ in range(200):  # about a second; seeds 0-9 end between 0.003 and 0.012
        loss = delay_loss(torch.randn(32, 20, 1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        assert delay_loss(torch.randn(256, 20, 1)).item() < 0.05
