"""Recurrent encoder: LSTM, GRU, Elman or Jordan RNN layers, uni- or bidirectional, with time reduction.

Bidirectional layers run each direction as its own unidirectional RNN over *padded* input. The
forward direction is unaffected by padding that comes after a sequence; the backward direction
reverses every sequence within its own length first, so it too starts on real frames. This keeps
results identical to packed sequences while avoiding packing, which on the CPU (torch 2.11) is
about ten times slower than padded input.

Latency-controlled bidirectional layers (`chunk_frames` > 0; Zhang et al. 2016, Xue et al. 2017) bound
how far ahead the encoder looks, so that it can run on a stream. Time is cut into chunks of C frames;
the forward direction runs on, carrying its state from chunk to chunk, while the backward direction
starts afresh at the end of each chunk's window: the chunk and the R frames after it (its right
context). Every layer computes the window's R right-context frames too (forward from the chunk's
last state, backward within the window) and hands them to the layer above, so the look-ahead stays
C + R input frames whatever the depth. Training runs the same computation, every window of a batch
at once, so a model trains with exactly the context it decodes with (`asr.models.streaming`).
With `right_context: summary` (after Xue et al. 2017) the recurrences skip the right context: a
feed-forward layer carries it up instead, and its mean over the window starts the backward direction,
so a training step costs about what a full bidirectional one's does (measured: recipes/mini/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from asr.models.jordan import JordanRNN

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN, "jordan": JordanRNN}


@dataclass(frozen=True)
class EncoderSettings:
    """What a recipe chooses of the encoder (the `model` section of a training config)."""

    cell: str = "lstm"  # "lstm", "gru", "rnn" (Elman, tanh) or "jordan" (feeds back its output; jordan.py)
    hidden: int = 320  # units per direction
    layers: int = 4
    bidirectional: bool = True
    dropout: float = 0.2  # between layers
    stack: int = 3  # frame stacking: concatenate this many input frames, stride the same (1 = off)
    pyramid: int = 0  # the first `pyramid` layers are each followed by a 2x time reduction (LAS pBLSTM)
    # Latency control of a bidirectional encoder, in input frames (10 ms each with the default
    # frontend), multiples of `stack`: the backward direction sees each chunk of `chunk_frames` and
    # `right_context_frames` after it, no more (0: the whole utterance; see the module's docstring)
    chunk_frames: int = 0
    right_context_frames: int = 0
    # How the right context reaches the backward direction: "rnn" runs both directions of every layer
    # over it (Zhang et al. 2016), "summary" starts the backward direction from the mean of a
    # feed-forward layer over it (after Xue et al. 2017), so the recurrences see each frame once
    right_context: str = "rnn"


@dataclass(frozen=True)
class EncoderConfig(EncoderSettings):
    """The settings and the input size, which the features decide."""

    input_dim: int = 80

    @property
    def reduction(self) -> int:
        """Input frames per output frame."""
        return self.stack * 2**self.pyramid

    @property
    def output_dim(self) -> int:
        return self.hidden * (2 if self.bidirectional else 1)

    @property
    def streaming(self) -> bool:
        """Whether the encoder's output for a frame depends on a bounded stretch of input after it."""
        return not self.bidirectional or self.chunk_frames > 0

    @property
    def lookahead_frames(self) -> int | None:
        """The most input frames after a frame that its output depends on (None: the whole utterance)."""
        if not self.bidirectional:
            return self.stack - 1  # the rest of its stacked group
        if self.chunk_frames > 0:
            return self.chunk_frames + self.right_context_frames - 1
        return None

    def check_chunks(self) -> None:
        """ValueError for latency control that cannot be built."""
        if self.right_context not in ("rnn", "summary"):
            raise ValueError(f"model.right_context must be rnn or summary, not {self.right_context!r}")
        if self.right_context == "summary" and (self.chunk_frames == 0 or self.right_context_frames == 0):
            raise ValueError("model.right_context: summary summarises the right context of a latency-controlled "
                             "encoder: set model.chunk_frames and model.right_context_frames above 0")
        if self.chunk_frames == 0 and self.right_context_frames == 0:
            return
        if not self.bidirectional:
            raise ValueError("model.chunk_frames and model.right_context_frames bound a bidirectional encoder's "
                             "look-ahead; a unidirectional one (bidirectional: false) has none to bound")
        if self.chunk_frames <= 0 or self.right_context_frames < 0:
            raise ValueError(f"model.chunk_frames must be above 0 and model.right_context_frames at least 0, not "
                             f"{self.chunk_frames} and {self.right_context_frames}")
        if self.chunk_frames % self.stack or self.right_context_frames % self.stack:
            raise ValueError(f"model.chunk_frames ({self.chunk_frames}) and model.right_context_frames "
                             f"({self.right_context_frames}) must be multiples of model.stack ({self.stack})")
        if self.pyramid:
            raise ValueError("latency control (model.chunk_frames) works on stacked frames only: set model.pyramid: 0")


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence within its own length; padding frames stay where they are.

    x : (B, T, H), lengths : (B,) -> (B, T, H)
    """
    steps = torch.arange(x.size(1), device=x.device).expand(x.size(0), -1)  # (B, T)
    flipped = lengths.to(x.device).unsqueeze(1) - 1 - steps
    index = torch.where(flipped >= 0, flipped, steps)
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(B,) lengths -> (B, max_len) bool, True on real frames."""
    return torch.arange(max_len, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def stack_frames(x: torch.Tensor, lengths: torch.Tensor, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate `factor` consecutive frames: (B, T, F) -> (B, ceil(T/factor), F*factor).

    The last group of a sequence is completed with the zeros that pad it.
    """
    if factor == 1:
        return x, lengths
    batch, frames, dim = x.shape
    pad = (-frames) % factor
    x = nn.functional.pad(x, (0, 0, 0, pad))
    x = x.reshape(batch, (frames + pad) // factor, dim * factor)
    return x, (lengths + factor - 1) // factor


class RNNEncoder(nn.Module):
    """forward(feats (B, T, F), lengths (B,)) -> (hidden (B, T', output_dim), lengths (B,))."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        if cfg.cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, not {cfg.cell!r}")
        cfg.check_chunks()
        if not 0 <= cfg.pyramid < cfg.layers:  # a reduction after the last layer would double its output size
            raise ValueError(f"model.pyramid must be at least 0 and below model.layers ({cfg.layers}): the pyramid's "
                             f"2x reductions come between layers, not {cfg.pyramid}")
        self.cfg = cfg
        rnn = CELLS[cfg.cell]
        self.forward_rnns = nn.ModuleList()
        self.backward_rnns = nn.ModuleList()
        self.summaries = nn.ModuleList()  # right_context: summary, one a layer
        in_dim = cfg.input_dim * cfg.stack
        for layer in range(cfg.layers):
            self.forward_rnns.append(rnn(in_dim, cfg.hidden, batch_first=True))
            if cfg.bidirectional:
                self.backward_rnns.append(rnn(in_dim, cfg.hidden, batch_first=True))
            if cfg.right_context == "summary":
                self.summaries.append(nn.Linear(in_dim, cfg.output_dim))
            in_dim = cfg.output_dim * (2 if layer < cfg.pyramid else 1)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, lengths = stack_frames(feats, lengths, self.cfg.stack)
        if self.cfg.chunk_frames:
            return self.chunked(x, lengths), lengths
        for layer, forward_rnn in enumerate(self.forward_rnns):
            if layer > 0:
                x = self.dropout(x)
            out, _ = forward_rnn(x)
            if self.cfg.bidirectional:
                back, _ = self.backward_rnns[layer](reverse_padded(x, lengths))
                out = torch.cat([out, reverse_padded(back, lengths)], dim=-1)
            # zero the padding so that frame stacking / the pyramid never mixes it into real frames
            x = out * padding_mask(lengths, out.size(1)).unsqueeze(-1)
            if layer < self.cfg.pyramid:
                x, lengths = stack_frames(x, lengths, 2)
        return x, lengths

    def chunked(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The latency-controlled layers over stacked frames x (B, T, D) -> (B, T, output_dim).

        Every window of the batch at once: the forward direction runs over the whole utterance in one
        call, the backward direction over (B * N) windows of C + R frames in another (see
        `latency_controlled_layer` for the right context).
        """
        batch, frames, _ = x.shape
        c, r = self.cfg.chunk_frames // self.cfg.stack, self.cfg.right_context_frames // self.cfg.stack
        n = -(-frames // c)
        padded = nn.functional.pad(x, (0, 0, 0, n * c + r - frames))  # zeros past the end
        main = padded[:, : n * c]  # (B, N*C, D)
        # the right context of window k: the R frames after chunk k
        right = padded[:, c:].unfold(1, r, c)[:, :n].transpose(2, 3).reshape(batch * n, r, -1) if r else None
        starts = torch.arange(n, device=x.device) * c
        window_lens = (lengths.to(x.device).unsqueeze(1) - starts).clamp(0, c + r).reshape(-1)  # (B*N,)
        last = len(self.forward_rnns) - 1
        for layer, forward_rnn in enumerate(self.forward_rnns):
            if layer > 0:
                main, right = self.dropout(main), None if right is None else self.dropout(right)
            if self.summaries:
                main, right = summarised_layer(forward_rnn, self.backward_rnns[layer], self.summaries[layer], main,
                                               right, c, window_lens)
                continue
            # The first layer's right context is the input that follows the chunk, so its forward
            # outputs there are the whole input's; the last layer's right context feeds nothing.
            right_from = "ahead" if layer == 0 else "none" if layer == last else "state"
            main, right = latency_controlled_layer(forward_rnn, self.backward_rnns[layer], main, right, c,
                                                   window_lens, right_from)
        return main[:, :frames] * padding_mask(lengths, frames).unsqueeze(-1)


def latency_controlled_layer(forward_rnn: nn.Module, backward_rnn: nn.Module, main: torch.Tensor,
                             right: torch.Tensor | None, chunk: int, window_lens: torch.Tensor,
                             right_from: str = "state") -> tuple[torch.Tensor, torch.Tensor | None]:
    """One latency-controlled bidirectional layer.

    main (B, N*C, D): the layer's input on every chunk; right (B*N, R, D) or None: its input on each
    window's right context, as the layer below computed it for that window; window_lens (B*N,):
    real frames in each window. -> the same two for the layer above, with 2 * hidden features.

    The forward outputs on window k's right context continue the forward direction from the state
    after chunk k over `right`. right_from says how: "state" runs them from that state (in general),
    "ahead" reads them off the whole input's forward run (when `right` is the input after each chunk,
    zeros past the end, as on the first layer), "none" skips them (nothing above reads them).
    """
    batch, total, _ = main.shape
    n = total // chunk
    windows = main.reshape(batch * n, chunk, -1)
    forward_right = None
    if right is not None and right_from == "ahead":
        ahead = torch.cat([main, main.new_zeros(batch, right.size(1), main.size(-1))], dim=1)
        forward_all, _ = forward_rnn(ahead)
        forward_main = forward_all[:, :total]
        forward_right = forward_all[:, chunk:].unfold(1, right.size(1), chunk)[:, :n].transpose(2, 3)
        forward_right = forward_right.reshape(batch * n, right.size(1), -1)
    else:
        forward_main, _ = forward_rnn(main)  # (B, N*C, H): the state carries over from chunk to chunk
        if right is not None and right_from == "state":
            forward_right, _ = forward_rnn(right, chunk_end_states(forward_rnn, main, forward_main, chunk))
    if right is not None:
        windows = torch.cat([windows, right], dim=1)  # (B*N, C+R, D)
    backward, _ = backward_rnn(reverse_padded(windows, window_lens))
    backward = reverse_padded(backward, window_lens) * padding_mask(window_lens, windows.size(1)).unsqueeze(-1)
    hidden = forward_main.size(-1)
    backward_main = backward[:, :chunk].reshape(batch, total, hidden)
    main_out = torch.cat([forward_main, backward_main], dim=-1)
    right_out = None if forward_right is None else torch.cat([forward_right, backward[:, chunk:]], dim=-1)
    return main_out, right_out


def summarised_layer(forward_rnn: nn.Module, backward_rnn: nn.Module, summary: nn.Linear, main: torch.Tensor,
                     right: torch.Tensor, chunk: int, window_lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One latency-controlled layer whose backward direction starts from a summary of the right context.

    Arguments and results as `latency_controlled_layer`'s. The right context passes up through a
    feed-forward layer, tanh(summary(right)), 2 * hidden features a frame, as a recurrent layer's
    output would; the mean over a window's real right-context frames is the backward direction's
    initial state (an LSTM's hidden state its first half, its cell the second; another cell's the
    second half), zero where the window has none (the utterance's last chunk). Both recurrences then
    run over the chunks alone, so a step costs about what a full bidirectional layer's does.
    """
    batch, total, _ = main.shape
    n = total // chunk
    forward_main, _ = forward_rnn(main)  # (B, N*C, H): the state carries over from chunk to chunk
    right_out = torch.tanh(summary(right))  # (B*N, R, 2H)
    right_lens = (window_lens - chunk).clamp(min=0)  # (B*N,)
    real = padding_mask(right_lens, right.size(1)).unsqueeze(-1)
    mean = (right_out * real).sum(1) / right_lens.clamp(min=1).unsqueeze(-1)  # (B*N, 2H)
    backward_start = initial_state(backward_rnn, mean)
    chunk_lens = window_lens.clamp(max=chunk)
    windows = reverse_padded(main.reshape(batch * n, chunk, -1), chunk_lens)
    backward, _ = backward_rnn(windows, backward_start)
    backward = reverse_padded(backward, chunk_lens) * padding_mask(chunk_lens, chunk).unsqueeze(-1)
    main_out = torch.cat([forward_main, backward.reshape(batch, total, -1)], dim=-1)
    return main_out, right_out


def initial_state(rnn: nn.Module, summary: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """A one-layer RNN's state (1, W, H), or an LSTM's pair, from summaries (W, 2H)."""
    hidden = summary.size(-1) // 2
    first, second = summary[:, :hidden].unsqueeze(0), summary[:, hidden:].unsqueeze(0)
    return (first.contiguous(), second.contiguous()) if isinstance(rnn, nn.LSTM) else second.contiguous()


def chunk_end_states(rnn: nn.Module, x: torch.Tensor, out: torch.Tensor, chunk: int
                     ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """A unidirectional one-layer RNN's state after each chunk of its run over x (B, N*C, D), given
    its outputs out (B, N*C, H), as one state for the (B*N) windows, window b*N + k holding
    utterance b's state after chunk k.

    An Elman, GRU or Jordan layer's state is its last output. An LSTM's cell state is not an output:
    it is rebuilt from the gates, which the outputs give at every step at once (step t's gates
    depend on x_t and h_{t-1}), so only the elementwise recurrence c_t = f_t c_{t-1} + i_t g_t is
    left, summed within every chunk at once and then carried over the N chunks.
    """
    batch, total, hidden = out.shape
    n = total // chunk
    h = out[:, chunk - 1::chunk].reshape(1, batch * n, hidden)
    if not isinstance(rnn, nn.LSTM):
        return h
    h_before = nn.functional.pad(out, (0, 0, 1, 0))[:, :total]
    gates = (nn.functional.linear(x, rnn.weight_ih_l0, rnn.bias_ih_l0)
             + nn.functional.linear(h_before, rnn.weight_hh_l0, rnn.bias_hh_l0))
    i, f, g, _ = gates.reshape(batch, n, chunk, 4, hidden).unbind(3)
    f, added = torch.sigmoid(f), torch.sigmoid(i) * torch.tanh(g)
    # kept[s]: how much of step s's addition survives to the chunk's end, the product of f after s
    kept = torch.cat([f[:, :, 1:].flip(2).cumprod(2).flip(2), torch.ones_like(f[:, :, :1])], dim=2)
    within = (kept * added).sum(2)  # (B, N, H): the chunk's end cell from a zero start
    carried = f.prod(2)  # (B, N, H): how much of the cell before the chunk survives it
    cells, cell = [], torch.zeros_like(within[:, 0])
    for k in range(n):
        cell = carried[:, k] * cell + within[:, k]
        cells.append(cell)
    return h, torch.stack(cells, dim=1).reshape(1, batch * n, hidden)
