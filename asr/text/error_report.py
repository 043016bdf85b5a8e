"""Error analysis of a scored test set: where the word errors are, from jiwer's own alignment.

`build_report(refs, hyps, ids, speakers, durations)` counts what `error_rates` sums into one WER:
the substitutions, deletions and insertions, the words most often confused, missed and inserted,
the WER of each speaker and of each length of utterance, and the utterances with most errors,
aligned word by word. Rendering it (Markdown, JSON, a plot) is `asr.text.error_report_files`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import jiwer

from asr.text.normalize import normalize_text

GAP = "***"  # the side of an alignment where a deleted or inserted word has no partner


@dataclass(frozen=True)
class Totals:
    """Word counts over a set of utterances; WER = (S + D + I) / reference words."""

    utterances: int
    words: int  # reference words
    hits: int
    substitutions: int
    deletions: int
    insertions: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else 0.0


@dataclass(frozen=True)
class Group:
    """The totals of one speaker or one length bucket."""

    name: str  # the speaker, or the bucket's durations "0.4-0.6 s"
    totals: Totals


@dataclass(frozen=True)
class AlignedUtterance:
    """One utterance aligned word by word: ref[k] and hyp[k] face each other, GAP where a word has no
    partner; marks[k] is "S", "D", "I" or "" (a hit)."""

    id: str
    speaker: str
    duration: float  # seconds
    ref: list[str]
    hyp: list[str]
    marks: list[str]

    @property
    def totals(self) -> Totals:
        counts = Counter(self.marks)
        return Totals(1, sum(1 for word in self.ref if word != GAP), counts[""], counts["S"], counts["D"], counts["I"])


@dataclass(frozen=True)
class ErrorReport:
    """What went wrong where; word pairs and words come most frequent first with their counts."""

    totals: Totals
    confusions: list[tuple[str, str, int]]  # (reference word, hypothesis word, times)
    deleted: list[tuple[str, int]]  # reference words the hypothesis missed
    inserted: list[tuple[str, int]]  # hypothesis words with no reference word
    by_speaker: list[Group]  # highest WER first
    by_length: list[Group]  # shortest utterances first
    worst: list[AlignedUtterance]  # most word errors first; only utterances with errors


def build_report(references: list[str], hypotheses: list[str], ids: list[str], speakers: list[str],
                 durations: list[float], top: int = 20, worst: int = 10, buckets: int = 4) -> ErrorReport:
    """The error analysis of hypotheses against references (normalised as `error_rates` normalises them,
    so the totals are the ones its WER counts). `durations` are seconds; `buckets` length buckets hold
    equal numbers of utterances (quartiles by default).

    >>> report = build_report(["the cat sat"], ["the bat sat"], ["u1"], ["ann"], [1.0])
    >>> report.totals.substitutions, report.confusions
    (1, [('cat', 'bat', 1)])

    Raises:
        ValueError: the lists differ in length, are empty, or a reference normalises to nothing (no word
            to score against: the caller leaves such utterances out).
    """
    if not len(references) == len(hypotheses) == len(ids) == len(speakers) == len(durations):
        raise ValueError("references, hypotheses, ids, speakers and durations differ in number")
    if not references:
        raise ValueError("nothing to report on: no utterances")
    refs = [normalize_text(t) for t in references]
    if not all(refs):
        raise ValueError("a reference normalises to nothing")
    out = jiwer.process_words(refs, [normalize_text(t) for t in hypotheses])
    aligned = [_aligned(chunks, r, h, utt, speaker, seconds) for chunks, r, h, utt, speaker, seconds
               in zip(out.alignments, out.references, out.hypotheses, ids, speakers, durations, strict=True)]
    totals = Totals(len(refs), sum(map(len, out.references)), out.hits, out.substitutions, out.deletions,
                    out.insertions)
    pairs = Counter((r, h) for a in aligned for r, h, m in zip(a.ref, a.hyp, a.marks, strict=True) if m == "S")
    deleted = Counter(r for a in aligned for r, m in zip(a.ref, a.marks, strict=True) if m == "D")
    inserted = Counter(h for a in aligned for h, m in zip(a.hyp, a.marks, strict=True) if m == "I")
    # stable sorts: ties keep the manifest's order, so the same test set gives the same report
    most_errors = sorted((a for a in aligned if a.totals.errors), key=lambda a: -a.totals.errors)
    return ErrorReport(totals=totals, confusions=[(r, h, n) for (r, h), n in pairs.most_common(top)],
                       deleted=deleted.most_common(top), inserted=inserted.most_common(top),
                       by_speaker=_by_speaker(aligned), by_length=_by_length(aligned, buckets),
                       worst=most_errors[:worst])


def _aligned(chunks: list, ref: list[str], hyp: list[str], utt: str, speaker: str,
             seconds: float) -> AlignedUtterance:
    """jiwer's chunks (equal, substitute, delete, insert spans) of one utterance as facing word columns."""
    rows: list[tuple[str, str, str]] = []
    for c in chunks:
        ref_words, hyp_words = ref[c.ref_start_idx:c.ref_end_idx], hyp[c.hyp_start_idx:c.hyp_end_idx]
        if c.type == "equal":
            rows += [(r, h, "") for r, h in zip(ref_words, hyp_words, strict=True)]
        elif c.type == "substitute":  # a span of one-for-one substitutions: both sides are as long
            rows += [(r, h, "S") for r, h in zip(ref_words, hyp_words, strict=True)]
        elif c.type == "delete":
            rows += [(r, GAP, "D") for r in ref_words]
        else:
            rows += [(GAP, h, "I") for h in hyp_words]
    return AlignedUtterance(utt, speaker, float(seconds), [r for r, _, _ in rows], [h for _, h, _ in rows],
                            [m for _, _, m in rows])


def _sum(utterances: list[AlignedUtterance]) -> Totals:
    parts = [a.totals for a in utterances]
    return Totals(len(parts), sum(t.words for t in parts), sum(t.hits for t in parts),
                  sum(t.substitutions for t in parts), sum(t.deletions for t in parts),
                  sum(t.insertions for t in parts))


def _by_speaker(aligned: list[AlignedUtterance]) -> list[Group]:
    speakers: dict[str, list[AlignedUtterance]] = {}
    for a in aligned:
        speakers.setdefault(a.speaker, []).append(a)
    groups = [Group(name, _sum(utts)) for name, utts in sorted(speakers.items())]
    return sorted(groups, key=lambda g: -g.totals.wer)


def _by_length(aligned: list[AlignedUtterance], buckets: int) -> list[Group]:
    """Equal-count buckets by duration (quantiles): fixed bins would leave most empty on a test set of
    utterances of much the same length (FSDD's digits are all 0.2-0.9 s)."""
    ordered = sorted(aligned, key=lambda a: a.duration)
    count = min(buckets, len(ordered))
    groups = []
    for k in range(count):
        part = ordered[k * len(ordered) // count:(k + 1) * len(ordered) // count]
        groups.append(Group(f"{part[0].duration:.2f}-{part[-1].duration:.2f} s", _sum(part)))
    return groups
