"""How diagonal an attention alignment is, in two numbers a person can check against its plot.

For a matrix of weights (output tokens x encoder frames), take each token's most-attended frame:

    forward share : the share of steps whose frame is at or after the previous token's
    span          : (last token's frame - first token's frame) / frames, the end-of-sentence row left out

A monotonic alignment that walks the utterance has both near 1; a speller stuck on one frame
(acting as a language model that ignores the audio) has forward share 1 but span near 0, and one
that jumps about has a low forward share.

  .venv/bin/python scripts/alignment_quality.py exp/joint/model.pt data/manifests/test.jsonl [--utterances 40]

measures an attention model's alignments while it spells its own greedy hypotheses of a manifest's first
utterances, and prints the mean of each number.
"""

from __future__ import annotations

import argparse
from typing import NamedTuple

import torch


class AlignmentQuality(NamedTuple):
    forward_share: float
    span: float


def alignment_quality(weights: torch.Tensor) -> AlignmentQuality:
    """weights (tokens + 1, frames), the last row for end-of-sentence -> (forward share, span).

    >>> alignment_quality(torch.eye(4))
    AlignmentQuality(forward_share=1.0, span=0.5)
    >>> alignment_quality(torch.tensor([[1., 0, 0], [1, 0, 0], [1, 0, 0]]))
    AlignmentQuality(forward_share=1.0, span=0.0)
    """
    peaks = weights[:-1].argmax(dim=-1) if len(weights) > 1 else weights.argmax(dim=-1)
    frames = weights.size(-1)
    if len(peaks) < 2:
        return AlignmentQuality(1.0, 0.0)
    forward = (peaks[1:] >= peaks[:-1]).float().mean().item()
    return AlignmentQuality(forward, (peaks[-1] - peaks[0]).item() / frames)


def mean_alignment_quality(matrices: list[torch.Tensor]) -> AlignmentQuality:
    """The mean of each number over utterances."""
    scores = [alignment_quality(w) for w in matrices]
    if not scores:
        return AlignmentQuality(float("nan"), float("nan"))
    return AlignmentQuality(sum(s.forward_share for s in scores) / len(scores), sum(s.span for s in scores) / len(scores))


def main() -> None:
    from asr.data.audio import load_audio
    from asr.data.manifest import read_manifest
    from asr.model_file import load_model_file
    from asr.transcription.decoder import TokenDecoder, decode_waves

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an las or joint model file")
    parser.add_argument("manifest")
    parser.add_argument("--utterances", type=int, default=40)
    args = parser.parse_args()
    loaded = load_model_file(args.model)
    if not loaded.model.has_attention:
        raise SystemExit(f"alignment_quality.py: {args.model} is a {loaded.kind} model, which has no attention")
    rate = loaded.features.cfg.sample_rate
    waves = [load_audio(u.audio, rate) for u in read_manifest(args.manifest)[:args.utterances]]
    decoder = TokenDecoder.for_model(loaded.model, loaded.tokenizer, decode="greedy")
    with torch.inference_mode():
        hypotheses = decode_waves(loaded, waves, decoder, attention=True)
    quality = mean_alignment_quality([h.attention for h in hypotheses])
    print(f"{len(waves)} utterances: forward share {quality.forward_share:.2f}, span {quality.span:.2f}")


if __name__ == "__main__":
    main()
