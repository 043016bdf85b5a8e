"""CTC prefix scores for a label-synchronous beam search (hybrid CTC/attention, Watanabe et al. 2017).

A beam search that grows hypotheses one label at a time needs, for a prefix g and a candidate
label c, the CTC probability that the transcript *starts with* g + c: the prefix probability
psi(g + c), summed over every frame alignment and every continuation. It comes from two forward
variables per frame t over the prefix g (all log-domain):

    r^n_t(g) : all of g emitted by frames 0..t, and frame t emits g's last label
    r^b_t(g) : all of g emitted by frames 0..t, and frame t is blank

The probability that the whole transcript is exactly g (g followed by end of sentence) is
r^n_{T-1}(g) + r^b_{T-1}(g) at the utterance's last frame T-1.

`CTCPrefixScorer.score` gives psi for N hypotheses x S candidate labels at once (one weighted sum
over frames, a matrix product); `extend` then computes the forward variables of only the
hypotheses that survive the beam, over time by a parallel prefix scan rather than a Python loop
over frames (`_log_linear_scan`), so a step costs O(N S T + N T log T) in a few dozen tensor ops.

Utterances of different lengths share one padded tensor: frames past an utterance's end are given
blank probability 1 and label probability 0, which carries r^b_{T_u-1} unchanged to the last
padded frame and adds nothing to psi, so every result equals that of the unpadded utterance.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

NEG_INF = float("-inf")


class CTCPrefixState(NamedTuple):
    """The CTC side of N hypotheses (one prefix g each).

    r       : Tensor, shape = (frames, 2, N), r[t, 0] = log r^n_t(g), r[t, 1] = log r^b_t(g)
    log_psi : Tensor, shape = (N,), log prefix probability of g (0 for the empty prefix)
    last    : Tensor, shape = (N,), g's last label, -1 for the empty prefix
    utt     : Tensor, shape = (N,), the utterance (row of the log-probs) each hypothesis reads
    length  : labels in g, the same for every hypothesis (the search adds one label per step)
    """

    r: torch.Tensor
    log_psi: torch.Tensor
    last: torch.Tensor
    utt: torch.Tensor
    length: int


class CTCPrefixScorer:
    """Prefix scores of a batch of CTC outputs for hypotheses that grow one label at a time.

    log_probs : Tensor, shape = (batch, frames, vocab), CTC log-probs (log-softmax output)
    lengths   : Tensor, shape = (batch,), valid frames of each row
    blank     : the blank id
    never     : ids the CTC head never emits (eos, sos): their columns are treated as probability 0
    """

    def __init__(self, log_probs: torch.Tensor, lengths: torch.Tensor, blank: int = 0,
                 never: tuple[int, ...] = ()) -> None:
        _, frames, _ = log_probs.shape
        self.blank, self.frames = blank, frames
        x = log_probs.detach().clone()
        x[:, :, list(never)] = NEG_INF
        # padding: after an utterance's end every frame is blank with probability 1 (see module doc)
        pad = torch.arange(frames, device=x.device)[None, :] >= lengths.to(x.device)[:, None]  # (B, T)
        x[pad] = NEG_INF
        x[..., blank][pad] = 0.0
        self.x = x.transpose(0, 1).contiguous()  # (B, T, V) -> (T, B, V): time first, like r
        self.p = self.x.double().exp()  # (T, B, V) probabilities, for `score`'s sums over frames

    def initial_state(self, utt: torch.Tensor) -> CTCPrefixState:
        """The empty prefix for each hypothesis; utt (N,) says which utterance each one reads."""
        n = utt.shape[0]
        r = torch.full((self.frames, 2, n), NEG_INF, dtype=self.x.dtype, device=self.x.device)
        # the empty prefix is only ever "emitted" by blanks: r^b_t = sum of blank log-probs up to t
        r[:, 1] = self.x[:, utt, self.blank].cumsum(dim=0)
        zeros = torch.zeros(n, dtype=self.x.dtype, device=self.x.device)
        return CTCPrefixState(r, zeros, torch.full_like(utt, -1), utt, 0)

    def score(self, state: CTCPrefixState, candidates: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prefix scores of g + c for every hypothesis g and each of its candidate labels c.

        candidates : Tensor, shape = (N, S), int64 label ids (e.g. a pre-beam); None = every id (S = V)
        returns    : log psi(g + c), shape = (N, S), -inf for blank and the ignored ids; and
                     log P(transcript = g), shape = (N,)

        Only psi is computed here, for all N x S candidates; the forward variables of the few
        that survive the beam are computed afterwards by `extend`.
        """
        start = max(state.length, 1)  # g + c has length + 1 labels: c cannot start before frame length
        utt = state.utt
        # phi_t: g has been emitted by frame t in a way that lets c start at frame t+1
        r_n, r_b = state.r[start - 1:-1, 0], state.r[start - 1:-1, 1]  # (T', N)
        phi = torch.logaddexp(r_n, r_b)
        # psi(g + c) = sum over the frame t where c is first emitted of phi_{t-1} * p_t(c): for all c
        # at once a product (T',) x (T', S) per hypothesis, in probabilities scaled by the row's
        # largest phi. In float64 only terms ~700 nats below that largest phi underflow, which can
        # matter only for a candidate whose psi is itself that far below psi(g).
        top = phi.amax(dim=0) if phi.shape[0] else torch.zeros_like(state.log_psi)  # (N,); no frames: 0
        top = top.clamp(min=torch.finfo(phi.dtype).min)  # finite: a row of -inf gives exp(-inf) = 0
        weight = (phi - top).double().exp()  # (T', N)
        if candidates is None:
            p_c = self.p[start:].index_select(1, utt)  # (T', N, V)
            candidates = torch.arange(p_c.shape[-1], device=p_c.device).expand(p_c.shape[1:])
        else:
            p_c = self.p[start:, utt[:, None], candidates]  # (T', N, S)
        log_psi = (torch.einsum("tn,tns->ns", weight, p_c).log() + top[:, None].double()).to(phi.dtype)
        # c repeating g's last label may only follow a blank (else the two would merge into one):
        # that one candidate per row sums r^b alone, in the log domain
        last = state.last.clamp(min=0)
        log_repeat = torch.logsumexp(r_b + self.x[start:, utt, last], dim=0)  # (N,)
        log_psi = torch.where(candidates == state.last[:, None], log_repeat[:, None], log_psi)
        if state.length == 0:  # the empty g is "emitted" before frame 0: c may start at frame 0
            log_psi = torch.logaddexp(log_psi, self.x[0, utt[:, None], candidates])
        log_psi = log_psi.masked_fill(candidates == self.blank, NEG_INF)  # blank is not a label
        # g itself is the whole transcript: it ends by the last frame (padding carries it there)
        log_end = torch.logaddexp(state.r[-1, 0], state.r[-1, 1])  # (N,)
        return log_psi, log_end

    @staticmethod
    def select(state: CTCPrefixState, rows: torch.Tensor) -> CTCPrefixState:
        """Keep (or duplicate) hypotheses `rows` (M,) of a state."""
        return CTCPrefixState(state.r[:, :, rows], state.log_psi[rows], state.last[rows], state.utt[rows],
                              state.length)

    def extend(self, state: CTCPrefixState, rows: torch.Tensor, labels: torch.Tensor) -> CTCPrefixState:
        """The state of the hypotheses g + c that survive a step.

        rows   : Tensor, shape = (M,), which hypothesis g of `state` each survivor extends
        labels : Tensor, shape = (M,), its new label c

        A label the CTC head cannot emit (eos, for a hypothesis that just ended) gives a state of
        probability 0, harmless in a row that is no longer searched.
        """
        blank, first = self.blank, max(state.length, 1) - 1  # r(g + c) is 0 before frame `first`
        utt = state.utt[rows]
        x_c, x_b = self.x[first:, utt, labels], self.x[first:, utt, blank]  # (T', M)
        r_n, r_b = state.r[first:, 0, rows], state.r[first:, 1, rows]  # (T', M)
        phi = torch.where(labels == state.last[rows], r_b, torch.logaddexp(r_n, r_b))  # as in `score`
        # emit[t]: c is first emitted at frame t, right after g (for the empty g: also at frame 0)
        emit = torch.full_like(x_c, NEG_INF)
        emit[1:] = phi[:-1] + x_c[1:]
        if state.length == 0:
            emit[0] = x_c[0]
        # r^n_t(g+c) = (r^n_{t-1}(g+c) + phi_{t-1}) * p_t(c): c goes on, or starts now
        new_n = _log_linear_scan(x_c, emit)
        # r^b_t(g+c) = (r^n_{t-1}(g+c) + r^b_{t-1}(g+c)) * p_t(blank)
        from_n = torch.full_like(new_n, NEG_INF)
        from_n[1:] = new_n[:-1] + x_b[1:]
        new_b = _log_linear_scan(x_b, from_n)
        r = torch.full((self.frames, 2, rows.shape[0]), NEG_INF, dtype=x_c.dtype, device=x_c.device)
        r[first:] = torch.stack([new_n, new_b], dim=1)  # (T, 2, M)
        log_psi = torch.logsumexp(emit, dim=0).masked_fill(labels == blank, NEG_INF)
        return CTCPrefixState(r, log_psi, labels, utt, state.length + 1)


def _log_linear_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Solve y_t = logaddexp(y_{t-1} + a_t, b_t) for every t, with y_{-1} = -inf.

    a, b    : Tensor, shape = (frames, ...), log-domain
    returns : Tensor, shape = (frames, ...)

    The recurrence is linear in the probability domain (y_t = a_t y_{t-1} + b_t), and composing two
    steps gives a step of the same form: (a1, b1) then (a2, b2) is (a1 a2, b1 a2 + b2). So a
    Hillis-Steele scan solves it in log2(frames) vectorised rounds instead of `frames` Python
    iterations: after the round with offset d, (a[t], b[t]) composes the 2d steps ending at t.
    Only additions and logaddexp are used, so -inf (probability 0) stays exact.
    """
    a, b = a.clone(), b.clone()
    d, frames = 1, a.shape[0]
    while d < frames:
        # compose the block ending at t-d (earlier) with the block ending at t (later)
        b_new = torch.logaddexp(b[:-d] + a[d:], b[d:])
        a_new = a[:-d] + a[d:]
        b[d:], a[d:] = b_new, a_new
        d *= 2
    return b  # y_{-1} = -inf, so y_t is the accumulated b term alone
