"""Progress where output is not a terminal: whole lines, at most one every LINE_SECONDS, no carriage
returns; a bar on a terminal."""

import io

import asr.progress as progress_module
from asr.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_and_no_redraws(monkeypatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    assert sum(progress(range(5000), desc="work", unit="item")) == sum(range(5000))
    text = log.getvalue()
    assert "\r" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert 1 <= len(lines) <= 3 and lines[-1].startswith("work: 100%") and "5000/5000" in lines[-1]
    monkeypatch.setattr(progress_module, "LINE_SECONDS", 0.0)
    log.seek(0), log.truncate()
    for _ in progress(range(3), desc="each"):
        pass
    assert all(line.startswith("each: ") for line in log.getvalue().splitlines())


def test_a_terminal_gets_a_bar(monkeypatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    for _ in progress(range(100), desc="bar"):
        pass
    assert "\r" in terminal.getvalue()
