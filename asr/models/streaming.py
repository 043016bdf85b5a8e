"""An encoder run on a stream: features go in as they arrive, encoder frames come out once final.

A unidirectional encoder's frame is final as soon as its stacked group of input frames is complete;
a latency-controlled one's (`EncoderConfig.chunk_frames`) once its chunk and the right context after
it have arrived. Either way the frames equal the whole-utterance `RNNEncoder.forward` (a test), so a
model decodes a stream exactly as it was trained. Memory stays flat: what is kept between calls is
each layer's forward state and less than one window of input.

    stream = EncoderStream(model.encoder)
    for feats in chunks:                # (T, F) normalised features, any T
        frames = stream.push(feats)     # (T', E), possibly empty
    frames = stream.finish()            # the rest, the last group and chunk completed with zeros
"""

from __future__ import annotations

import torch

from asr.models.rnn_encoder import RNNEncoder, initial_state, stack_frames


class EncoderStream:
    """One utterance's encoder state between calls; `push` features, `finish` at the end."""

    def __init__(self, encoder: RNNEncoder):
        cfg = encoder.cfg
        if not cfg.streaming:
            raise ValueError("its encoder reads whole utterances (bidirectional, no model.chunk_frames): train a "
                             "streaming model (model.bidirectional: false or model.chunk_frames; recipes/mini/run.sh "
                             "--model stream or uni)")
        self.encoder, self.cfg = encoder, cfg
        self.chunk = cfg.chunk_frames // cfg.stack if cfg.bidirectional else 0
        self.right = cfg.right_context_frames // cfg.stack
        self.states: list = [None] * cfg.layers  # each layer's forward state
        self.unstacked = torch.zeros(0, cfg.input_dim)  # input frames short of a stacked group
        self.stacked = torch.zeros(0, cfg.input_dim * cfg.stack)  # stacked frames not yet encoded
        self.finished = False

    def reset(self) -> None:
        """Start the recurrent state afresh, as at an utterance's start; input not yet encoded is kept."""
        self.states = [None] * self.cfg.layers

    @property
    def output_dim(self) -> int:
        return self.cfg.output_dim

    @torch.no_grad()
    def push(self, feats: torch.Tensor) -> torch.Tensor:
        """feats (T, F) -> the encoder frames (T', E) that this input made final."""
        if self.finished:
            raise RuntimeError("push after finish: start a new EncoderStream for a new utterance")
        self.unstacked = torch.cat([self.unstacked, feats.to(self.unstacked)])
        groups = len(self.unstacked) // self.cfg.stack
        whole = self.unstacked[: groups * self.cfg.stack]
        self.unstacked = self.unstacked[groups * self.cfg.stack:]
        self.stacked = torch.cat([self.stacked, whole.reshape(groups, self.stacked.size(1))])
        return self._encode(final=False)

    @torch.no_grad()
    def finish(self) -> torch.Tensor:
        """The frames still held: a last incomplete group is completed with zeros, as in training."""
        if len(self.unstacked):
            group, _ = stack_frames(self.unstacked.unsqueeze(0), torch.tensor([len(self.unstacked)]), self.cfg.stack)
            self.stacked = torch.cat([self.stacked, group[0]])
            self.unstacked = self.unstacked[:0]
        frames = self._encode(final=True)
        self.finished = True
        return frames

    def _encode(self, final: bool) -> torch.Tensor:
        if not self.cfg.bidirectional:
            x, self.stacked = self.stacked, self.stacked[:0]
            return self._unidirectional(x)
        done = []
        while len(self.stacked) >= self.chunk + self.right or (final and len(self.stacked)):
            main, right = self.stacked[: self.chunk], self.stacked[self.chunk: self.chunk + self.right]
            done.append(self._window(main, right))
            self.stacked = self.stacked[len(main):]
        return torch.cat(done) if done else self.stacked.new_zeros(0, self.output_dim)

    def _unidirectional(self, x: torch.Tensor) -> torch.Tensor:
        if not len(x):
            return x.new_zeros(0, self.output_dim)
        x = x.unsqueeze(0)
        for layer, rnn in enumerate(self.encoder.forward_rnns):
            x, self.states[layer] = rnn(x, self.states[layer])
        return x[0]

    def _window(self, main: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """One chunk (C', D) and its right context (R', D), C' <= C and R' <= R at the end -> (C', E)."""
        main, right = main.unsqueeze(0), right.unsqueeze(0)
        for layer, (forward_rnn, backward_rnn) in enumerate(zip(self.encoder.forward_rnns,
                                                                self.encoder.backward_rnns, strict=True)):
            forward_main, self.states[layer] = forward_rnn(main, self.states[layer])
            if self.encoder.summaries:  # the backward direction starts from the right context's summary
                right = torch.tanh(self.encoder.summaries[layer](right))
                mean = right.mean(1) if right.size(1) else right.new_zeros(1, right.size(-1))
                backward = backward_rnn(main.flip(1), initial_state(backward_rnn, mean))[0].flip(1)
                main = torch.cat([forward_main, backward], dim=-1)
                continue
            window = torch.cat([main, right], dim=1)
            backward = backward_rnn(window.flip(1))[0].flip(1)
            forward_right = forward_rnn(right, self.states[layer])[0] if right.size(1) else forward_main[:, :0]
            main = torch.cat([forward_main, backward[:, : main.size(1)]], dim=-1)
            right = torch.cat([forward_right, backward[:, main.size(1):]], dim=-1)
        return main[0]

