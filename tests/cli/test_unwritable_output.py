"""An output path that cannot be written (here: below a file) is one line naming it and exit status 2,
for every command that writes, never a traceback."""

import json
from pathlib import Path

import pytest

from asr.cli.main import main


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({"id": "a", "audio": "a.wav", "duration": 1.0, "text": "hello", "speaker": "s"}) + "\n")
    return path


@pytest.mark.parametrize("command", [
    ["tokenizer", "train", "{manifest}", "--out", "{out}/tokens.json"],
    ["lm", "train", "{manifest}", "--out", "{out}/lm.pt", "--lm.max_epochs", "1"],
    ["prepare", "folder", "{tmp}", "--out", "{out}/m.jsonl"],
    ["train", "--out", "{out}/exp", "--data.train", "{manifest}", "--data.dev", "{manifest}"],
], ids=lambda c: " ".join(c[:2]))
def test_an_output_below_a_file_is_one_line(command: list[str], manifest: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    args = [a.format(manifest=manifest, out=blocker, tmp=tmp_path) for a in command]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("asr: error: ") and "a_file" in err[0], err
