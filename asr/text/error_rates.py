"""Word and character error rates (jiwer) over normalised text."""

from __future__ import annotations

import jiwer

from asr.text.normalize import normalize_text


def error_rates(references: list[str], hypotheses: list[str]) -> dict[str, float]:
    """Corpus-level WER and CER: total edits over total reference words / characters.

    >>> error_rates(["the cat sat"], ["the bat sat"])["wer"]
    0.3333333333333333
    >>> error_rates(["The cat, sat.", "a dog"], ["the bat sat", "A DOG"])  # 1 of 5 words, 1 of 16 characters
    {'wer': 0.2, 'cer': 0.0625}
    """
    if len(references) != len(hypotheses):
        raise ValueError("references and hypotheses differ in number")
    if not references:
        return {"wer": 0.0, "cer": 0.0}
    refs = [normalize_text(t) for t in references]
    hyps = [normalize_text(t) for t in hypotheses]
    return {"wer": float(jiwer.wer(refs, hyps)), "cer": float(jiwer.cer(refs, hyps))}
