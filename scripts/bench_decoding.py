"""CTC beam search speed: ours (asr.decoding.beam_search) against torchaudio's flashlight ctc_decoder.

  .venv/bin/python scripts/bench_decoding.py --utterances 100 --frames 100 --vocab 30 --beam 10

Both decode the same seeded model-like log-prob matrices (mostly blank frames, a peak of about 0.9
on each frame's best token, an eos column that is never emitted) with the same beam size.
Prints milliseconds per utterance for torchaudio (C++, one utterance at a time), ours one
utterance at a time, ours `--batch` utterances at a time, and how many best hypotheses agree.
torchaudio's decoder needs the flashlight-text package.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import torch

from asr.decoding.beam_search import beam_search


def _parity_test_module():
    """tests/decoding/test_beam_parity.py, whose model-like matrices this benchmark decodes too."""
    path = Path(__file__).resolve().parents[1] / "tests" / "decoding" / "test_beam_parity.py"
    spec = importlib.util.spec_from_file_location("test_beam_parity", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


model_like_log_probs = _parity_test_module().model_like_log_probs


def torchaudio_decoder(vocab: int, beam: int):
    """Lexicon-free flashlight decoder set up as a plain CTC prefix beam search (no pruning but beam)."""
    from torchaudio.models.decoder import ctc_decoder

    tokens = ["-"] + [f"t{i}" for i in range(1, vocab - 1)] + ["|"]  # blank, labels, eos as sil
    return ctc_decoder(lexicon=None, tokens=tokens, beam_size=beam, beam_size_token=vocab,
                       beam_threshold=float("inf"), log_add=True, blank_token="-", sil_token="|")


def ours(log_probs: torch.Tensor, lengths: torch.Tensor, beam: int) -> list[list[int]]:
    """Pure CTC prefix beam search of a batch (B, T, V); eos = sos = V-1."""
    batch, _, vocab = log_probs.shape
    return beam_search(batch=batch, vocab=vocab, sos=vocab - 1, eos=vocab - 1, max_lens=lengths, beam=beam,
                       ctc_log_probs=log_probs, ctc_lens=lengths, length_norm=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=100)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--vocab", type=int, default=30)
    parser.add_argument("--beam", type=int, default=10)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (flashlight uses one)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n, frames, vocab, beam = args.utterances, args.frames, args.vocab, args.beam
    lps = torch.stack([model_like_log_probs(seed, frames, vocab) for seed in range(n)])  # (n, T, V)
    lengths = torch.full((n,), frames)

    decoder = torchaudio_decoder(vocab, beam)
    start = time.perf_counter()
    theirs = [decoder(lps[i:i + 1])[0][0].tokens.tolist()[1:-1] for i in range(n)]  # strip sil at both ends
    t_theirs = time.perf_counter() - start

    start = time.perf_counter()
    one = [ours(lps[i:i + 1], lengths[i:i + 1], beam)[0] for i in range(n)]
    t_one = time.perf_counter() - start

    start = time.perf_counter()
    batched = []
    for i in range(0, n, args.batch):
        batched += ours(lps[i:i + args.batch], lengths[i:i + args.batch], beam)
    t_batched = time.perf_counter() - start

    print(f"{n} utterances, T={frames}, V={vocab}, beam {beam}, {args.threads} thread(s)")
    print(f"torchaudio ctc_decoder      : {1000 * t_theirs / n:7.2f} ms/utterance")
    print(f"ours, one at a time         : {1000 * t_one / n:7.2f} ms/utterance")
    print(f"ours, {args.batch:3d} at a time        : {1000 * t_batched / n:7.2f} ms/utterance")
    print(f"same best hypothesis        : {sum(a == b for a, b in zip(one, theirs))}/{n} "
          f"(batched == one at a time: {batched == one})")


if __name__ == "__main__":
    main()
