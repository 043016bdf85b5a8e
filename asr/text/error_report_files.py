"""An `ErrorReport` as files a person reads (Markdown, a PNG of WER by length) and a script reads (JSON).

  write_report(report, Path("exp/mini/report"), title="test.jsonl")  # report.md, report.json, wer_by_length.png
"""

from __future__ import annotations

import json
from pathlib import Path

from asr.text.error_report import AlignedUtterance, ErrorReport, Group, Totals
from asr.utils.atomic_file import replaced_whole

PLOT_NAME = "wer_by_length.png"


def write_report(report: ErrorReport, folder: Path, title: str = "") -> Path:
    """Write folder/report.md, folder/report.json and folder/wer_by_length.png. Returns the Markdown's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plot_wer_by_length(report.by_length, folder / PLOT_NAME)
    with replaced_whole(folder / "report.json") as f:
        f.write(json.dumps(report_dict(report), indent=1, ensure_ascii=False) + "\n")
    with replaced_whole(folder / "report.md") as f:
        f.write(render_markdown(report, title, PLOT_NAME))
    return folder / "report.md"


def _totals_dict(t: Totals) -> dict:
    return {"utterances": t.utterances, "words": t.words, "hits": t.hits, "substitutions": t.substitutions,
            "deletions": t.deletions, "insertions": t.insertions, "errors": t.errors, "wer": t.wer}


def report_dict(report: ErrorReport) -> dict:
    """The report as plain JSON values; groups and utterances carry the totals' fields."""
    return {"totals": _totals_dict(report.totals),
            "confusions": [{"ref": r, "hyp": h, "count": n} for r, h, n in report.confusions],
            "deleted": [{"word": w, "count": n} for w, n in report.deleted],
            "inserted": [{"word": w, "count": n} for w, n in report.inserted],
            "by_speaker": [{"speaker": g.name, **_totals_dict(g.totals)} for g in report.by_speaker],
            "by_length": [{"durations": g.name, **_totals_dict(g.totals)} for g in report.by_length],
            "worst": [{"id": a.id, "speaker": a.speaker, "duration": a.duration, "ref": a.ref, "hyp": a.hyp,
                       "marks": a.marks, **_totals_dict(a.totals)} for a in report.worst]}


def render_markdown(report: ErrorReport, title: str = "", plot: str | None = PLOT_NAME) -> str:
    """The report as Markdown: totals, then tables, then the worst utterances aligned in code blocks."""
    t = report.totals
    lines = [f"# Error analysis{': ' + title if title else ''}", "",
             f"{t.utterances} utterances, {t.words} reference words: **WER {100 * t.wer:.2f}%** = "
             f"({t.substitutions} substitutions + {t.deletions} deletions + {t.insertions} insertions) / "
             f"{t.words} words; {t.hits} words right.", ""]
    lines += _table("Most frequent confusions", ["reference", "hypothesis", "count"],
                    [[r, h, str(n)] for r, h, n in report.confusions])
    lines += _table("Most missed words (deletions)", ["word", "count"], [[w, str(n)] for w, n in report.deleted])
    lines += _table("Most inserted words", ["word", "count"], [[w, str(n)] for w, n in report.inserted])
    lines += _group_table("WER per speaker", "speaker", report.by_speaker)
    lines += ["## WER by utterance length", ""] + ([f"![WER by utterance length]({plot})", ""] if plot else [])
    lines += _group_table("", "duration", report.by_length)
    lines += ["## Utterances with most errors", ""]
    lines += [line for a in report.worst for line in _aligned_block(a)] or ["None: every word right.", ""]
    return "\n".join(lines)


def _table(heading: str, header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [f"## {heading}", ""] if heading else []
    if not rows:
        return lines + ["None.", ""]
    return lines + ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
        ["| " + " | ".join(row) + " |" for row in rows] + [""]


def _group_table(heading: str, name: str, groups: list[Group]) -> list[str]:
    rows = [[g.name, str(g.totals.utterances), str(g.totals.words), str(g.totals.substitutions),
             str(g.totals.deletions), str(g.totals.insertions), f"{100 * g.totals.wer:.2f}%"] for g in groups]
    return _table(heading, [name, "utterances", "words", "S", "D", "I", "WER"], rows)


def aligned_lines(utt: AlignedUtterance) -> list[str]:
    """REF, HYP and the S/D/I marks in columns as wide as the longer word of each pair.

    >>> from asr.text.error_report import AlignedUtterance
    >>> print("\\n".join(aligned_lines(AlignedUtterance("u", "s", 1.0, ["the", "cat", "***", "sat"],
    ...                                                 ["the", "bat", "on", "sat"], ["", "S", "I", ""]))))
    REF: the cat *** sat
    HYP: the bat on  sat
             S   I
    """
    widths = [max(len(r), len(h)) for r, h in zip(utt.ref, utt.hyp, strict=True)]
    ref = " ".join(w.ljust(n) for w, n in zip(utt.ref, widths, strict=True))
    hyp = " ".join(w.ljust(n) for w, n in zip(utt.hyp, widths, strict=True))
    marks = " ".join(m.ljust(n) for m, n in zip(utt.marks, widths, strict=True))
    return [f"REF: {ref}".rstrip(), f"HYP: {hyp}".rstrip(), f"     {marks}".rstrip()]


def _aligned_block(utt: AlignedUtterance) -> list[str]:
    t = utt.totals
    return [f"### {utt.id}", "",
            f"speaker {utt.speaker}, {utt.duration:.2f} s: {t.errors} errors "
            f"(S {t.substitutions}, D {t.deletions}, I {t.insertions}) in {t.words} words", "",
            "```", *aligned_lines(utt), "```", ""]


def plot_wer_by_length(groups: list[Group], out_png: Path) -> Path:
    """A bar per length bucket: its WER (%), with the number of utterances above the bar."""
    # matplotlib only when a report is asked for: it takes a second to import
    import matplotlib

    matplotlib.use("Agg")  # no display on evaluation machines
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    bars = ax.bar([g.name for g in groups], [100 * g.totals.wer for g in groups], color="tab:blue")
    for bar, g in zip(bars, groups, strict=True):
        ax.annotate(f"{g.totals.utterances} utt.", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("utterance duration (equal-count buckets)")
    ax.set_ylabel("WER (%)")
    ax.set_title("WER by utterance length")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png
