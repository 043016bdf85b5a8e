"""The LibriSpeech recipe end to end with its tiny config on ../shared's Mini LibriSpeech subset:
manifests, training, the language model, three decoders, and a RESULTS.md table with numbers."""

import os
import re
import subprocess
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "librispeech" / "run.sh"


def test_the_tiny_config_runs_every_stage_to_a_results_table(librispeech_subset: Path, tmp_path: Path) -> None:
    done = subprocess.run(["bash", str(RECIPE), "--config", "tiny", "--work", str(tmp_path),
                           "--data", str(librispeech_subset.parent.parent)],
                          env={**os.environ, "EXTRA": "--train.max_minutes 1.5 --lm.max_epochs 2"},
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    results = (tmp_path / "exp" / "tiny" / "RESULTS.md").read_text()
    rows = [line for line in results.splitlines() if line.startswith("| tiny |")]
    assert [r.split("|")[3].strip() for r in rows] == ["greedy", "beam", "beam+lm"]
    for row in rows:
        wer, cer = re.findall(r"([0-9.]+)%", row)
        assert 0 <= float(cer) <= 100 and float(wer) >= 0
    assert "hours on" in results
