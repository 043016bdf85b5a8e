"""Progress where output is not a terminal: whole lines, at most one every LINE_SECONDS, no carriage
returns; a bar on a terminal."""

import io

import asr.utils.progress as progress_module
from asr.utils.progress import progress


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


def test_nested_progress_in_a_log_has_no_cursor_moves_and_one_final_line(monkeypatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    monkeypatch.setattr(progress_module, "LINE_SECONDS", 0.0)  # a line for every update
    with progress(total=2, desc="outer", unit="utt") as outer:
        for _ in range(2):
            with progress(total=3, desc="inner", unit="s", leave=False) as inner:
                inner.update(3)
            outer.update(1)
    lines = log.getvalue().splitlines()
    assert "\x1b" not in log.getvalue()  # tqdm steps up to the outer bar with ESC [A on a terminal
    # a finished bar is not drawn twice (tqdm redraws it on closing)
    assert lines[-1].startswith("outer: 100%") and sum(line.startswith("outer: 100%") for line in lines) == 1, lines
