"""Exact resume: a training run killed with SIGKILL mid-epoch and run again continues from its last
step checkpoint with the sampler's place and the random generators restored, so it logs the same
losses, step for step, as a run that was never stopped; its metrics.csv covers the whole run.
Checkpoints are read without running code from them."""

import csv
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

from asr.cli.main import main
from asr.model_file import load_model_file

# word tokens over 48 generated words, dropout, speed perturbation, recorded noise, rooms and a frequency
# warp: every random generator training has is in play; 8 batches an epoch, a checkpoint every 3 steps
ARGS = ["--tokenizer.kind", "word", "--features.kind", "mfcc", "--features.n_mfcc", "13", "--model.hidden", "32",
        "--model.layers", "2", "--model.dropout", "0.3", "--data.speed_perturb", "[0.9, 1.0, 1.1]",
        "--data.noise_snr", "[10, 30]", "--specaugment.freq_warp", "0.1", "--data.max_batch_size", "6",
        "--train.max_epochs", "3", "--train.checkpoint_every", "3", "--train.log_every", "1",
        "--train.threads", "1", "--train.warmup_steps", "5"]


FAIL_DURING_SAVE = Path(__file__).with_name("fail_during_save.py")


def _command(spoken_words: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "asr.cli.main", *_train_args(spoken_words, out)]


def _train_args(spoken_words: Path, out: Path) -> list[str]:
    # the words' own recordings as the noise folder (MUSAN's speech/ is such babble), and simulated rooms
    return ["train", "--out", str(out), "--data.train", str(spoken_words / "train.jsonl"),
            "--data.dev", str(spoken_words / "dev.jsonl"), "--data.noise_dir", str(spoken_words),
            "--data.rir_prob", "0.5", *ARGS]


@pytest.fixture(scope="module")
def whole(spoken_words: Path, tmp_path_factory) -> Path:
    """A run that was never stopped."""
    out = tmp_path_factory.mktemp("whole") / "run"
    subprocess.run(_command(spoken_words, out), check=True, capture_output=True)
    return out


def _log(out: Path) -> list[dict[str, float]]:
    """metrics.csv's rows, each as its filled-in values, in a fixed order."""
    with open(out / "logs" / "metrics.csv") as f:
        rows = [{k: float(v) for k, v in r.items() if v} for r in csv.DictReader(f)]
    return sorted(rows, key=lambda r: (r["step"], sorted(r)))


def test_a_run_killed_mid_epoch_resumes_with_the_same_losses(spoken_words: Path, whole: Path, tmp_path: Path) -> None:
    killed = tmp_path / "killed"
    # a kill between a checkpoint and Lightning's write of that step's row restores the row from the
    # checkpoint: it must be the row the CSV has, whichever moment the kill comes
    for checkpoint in (whole / "checkpoints").glob("step*.ckpt"):
        row = torch.load(checkpoint, weights_only=True)["log_row"]
        logged = [r for r in _log(whole) if r["step"] == row["step"] and "train_loss" in r]
        assert logged == [{k: float(v) for k, v in row.items()}]
    run = subprocess.Popen(_command(spoken_words, killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = killed / "checkpoints" / "step3.ckpt"
    while not first.exists() and run.poll() is None:
        time.sleep(0.02)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    newest = max((killed / "checkpoints").glob("*.ckpt"), key=lambda p: p.stat().st_mtime)
    step = torch.load(newest, weights_only=True)["global_step"]
    assert step % 8 != 0, f"killed at an epoch's end (step {step}), not mid-epoch"
    subprocess.run(_command(spoken_words, killed), check=True, capture_output=True)
    expected, resumed = _log(whole), _log(killed)
    steps = [r["step"] for r in expected if "train_loss" in r]
    assert steps == list(range(24))  # 3 epochs of 8 steps, every one in the log once
    assert sum("val_loss" in r for r in expected) == 3
    assert resumed == expected  # every row, bit for bit: the steps before the kill, none twice


@pytest.mark.parametrize("signum, to_group", [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
                         ids=["SIGTERM", "SIGINT", "SIGTERM to every process of a run with a loader worker"])
def test_a_run_stopped_by_a_signal_checkpoints_exits_nonzero_and_resumes_exactly(spoken_words: Path, whole: Path,
                                                                                  tmp_path: Path, signum, to_group) -> None:
    """A scheduler's SIGTERM or a Ctrl-C: a checkpoint at the step in progress, one line, 128 + the signal's
    number as exit status (not 0: no model file is written), and the same command goes on as if never stopped.
    A scheduler (scancel) or a terminal (Ctrl-C) signals every process of the job, the loader's workers too."""
    out = tmp_path / "run"
    workers = ["--data.num_workers", "1"] if to_group else []
    run = subprocess.Popen([*_command(spoken_words, out), *workers], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)
    first = out / "checkpoints" / "step3.ckpt"
    while not first.exists() and run.poll() is None:
        time.sleep(0.02)
    if to_group:
        os.killpg(run.pid, signum)
    else:
        os.kill(run.pid, signum)
    err = run.communicate()[1]
    assert run.returncode == 128 + signum, err[-2000:]
    last = err.strip().splitlines()[-1]
    step = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
    assert last == (f"asr: training stopped by {signal.Signals(signum).name} at step {step}; checkpoint "
                    f"{out / 'checkpoints' / 'last.ckpt'} written: the same command resumes it")
    assert 3 < step < 24 and not (out / "model.pt").exists()
    subprocess.run([*_command(spoken_words, out), *workers], check=True, capture_output=True)
    if to_group:  # a loader worker draws other random numbers than the training process: every step once
        assert [r["step"] for r in _log(out) if "train_loss" in r] == list(range(24))
    else:
        assert _log(out) == _log(whole)
    assert load_model_file(out / "model.pt").info["steps"] == 24


def test_a_second_run_into_a_folder_in_use_refuses_in_one_line(spoken_words: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    first = subprocess.Popen([*_command(spoken_words, out), "--train.max_epochs", "1000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (out / "checkpoints").is_dir() and first.poll() is None:
            time.sleep(0.02)
        assert main(_train_args(spoken_words, out)) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"asr: error: {out} is in use by another training (pid {first.pid} on "
                                                   f"{os.uname().nodename}, started ")
        assert err[0].endswith("): wait for it to end, or use another --out")
    finally:
        first.terminate()
        first.wait()
    assert first.returncode == 128 + signal.SIGTERM  # it went on undisturbed until stopped


def test_a_kill_while_a_checkpoint_is_written_leaves_the_one_before_whole(spoken_words: Path, whole: Path,
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "run"
    # checkpoint writes: step3.ckpt and last.ckpt at step 3, step6.ckpt (step3.ckpt then goes) and last.ckpt
    # at step 6: the 4th overwrites a good last.ckpt, and the process dies with half its bytes written
    cut = subprocess.run([sys.executable, str(FAIL_DURING_SAVE), *_train_args(spoken_words, out)],
                         env={**os.environ, "KILL_AT_CHECKPOINT": "4"}, capture_output=True)
    assert cut.returncode == -signal.SIGKILL, cut.stderr.decode()[-2000:]
    folder = out / "checkpoints"
    partials = [p.name for p in folder.glob("*.partial")]
    assert len(partials) == 1 and partials[0].startswith(".last.ckpt.")
    steps = {p.name: torch.load(p, weights_only=True)["global_step"] for p in folder.glob("*.ckpt")}
    assert steps == {"last.ckpt": 3, "step6.ckpt": 6}  # every checkpoint whole, none replaced
    subprocess.run(_command(spoken_words, out), check=True, capture_output=True)
    assert not list(folder.glob("*.partial"))
    assert _log(out) == _log(whole)  # resumed from step 6 as if never stopped


def test_a_full_disk_stops_in_one_line_naming_the_file_and_keeps_earlier_checkpoints(
        spoken_words: Path, whole: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    # the 4th checkpoint write (last.ckpt at step 6, over the one of step 3) fails as on a full disk
    full = subprocess.run([sys.executable, str(FAIL_DURING_SAVE), *_train_args(spoken_words, out)],
                          env={**os.environ, "KILL_AT_CHECKPOINT": "4", "FAIL_HOW": "full"}, capture_output=True, text=True)
    assert full.returncode == 2 and "Traceback" not in full.stderr, full.stderr[-2000:]
    assert full.stderr.strip().splitlines()[-1] == (f"asr: error: {out / 'checkpoints' / 'last.ckpt'}: No space left "
                                                    "on device (ASR_TRACEBACK=1 shows where)")
    folder = out / "checkpoints"
    assert not list(folder.glob("*.partial"))
    steps = {p.name: torch.load(p, weights_only=True)["global_step"] for p in folder.glob("*.ckpt")}
    assert steps == {"last.ckpt": 3, "step6.ckpt": 6}
    subprocess.run(_command(spoken_words, out), check=True, capture_output=True)  # space freed: it goes on
    assert _log(out) == _log(whole)


def test_a_real_full_disk_stops_in_one_line(spoken_words: Path, whole: Path, tmp_path: Path) -> None:
    """On a tmpfs with room for one checkpoint and a half, where the platform lets the tests mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    room = int(1.5 * (whole / "checkpoints" / "last.ckpt").stat().st_size) + 64 * 1024
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={room}", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        out = disk / "run"
        full = subprocess.run(_command(spoken_words, out), capture_output=True, text=True)
        assert full.returncode == 2 and "Traceback" not in full.stderr, full.stderr[-2000:]
        last = full.stderr.strip().splitlines()[-1]
        assert last.startswith(f"asr: error: {out}") and last.endswith(": No space left on device "
                                                                        "(ASR_TRACEBACK=1 shows where)")
        assert not list(out.rglob("*.partial"))
        assert [torch.load(p, weights_only=True)["global_step"] for p in (out / "checkpoints").glob("*.ckpt")] == [3]
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_kill_while_the_model_file_is_written_leaves_the_one_before_whole(whole: Path, spoken_words: Path,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "run"
    shutil.copytree(whole, out)  # a finished run: run again, it resumes at its end and writes model.pt anew
    before = (out / "model.pt").read_bytes()
    args = [str(a).replace(str(whole), str(out)) for a in _train_args(spoken_words, whole)]
    cut = subprocess.run([sys.executable, str(FAIL_DURING_SAVE), *args],
                         env={**os.environ, "KILL_AT_CHECKPOINT": "1", "KILL_WRITING": "model.pt"}, capture_output=True)
    assert cut.returncode == -signal.SIGKILL, cut.stderr.decode()[-2000:]
    assert (out / "model.pt").read_bytes() == before
    assert load_model_file(out / "model.pt").info["steps"] == 24


def test_a_folder_of_another_models_run_is_not_resumed_into(whole: Path, spoken_words: Path, tmp_path: Path,
                                                            capsys) -> None:
    out = tmp_path / "run"
    shutil.copytree(whole, out)
    args = [str(a).replace(str(whole), str(out)) for a in _train_args(spoken_words, whole)]
    assert main([*args, "--model.hidden", "48"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("asr: error: ") and "holds another model than this config builds" in err[-1]
    assert load_model_file(out / "model.pt").info["steps"] == 24  # the run there is untouched


def test_checkpoints_are_written_in_their_own_folder(tmp_path: Path, monkeypatch) -> None:
    """Never through the system's temp folder, from which a move across filesystems is a copy that a kill cuts."""
    from asr.training.checkpoint_io import SameFolderCheckpointIO

    def no_temp_files(*args, **kwargs):
        raise AssertionError("a checkpoint went through a temp file outside its folder")

    monkeypatch.setattr(tempfile, "mkstemp", no_temp_files)
    SameFolderCheckpointIO().save_checkpoint({"state_dict": {"w": torch.ones(3)}}, tmp_path / "ckpt" / "a.ckpt")
    assert torch.load(tmp_path / "ckpt" / "a.ckpt", weights_only=True)["state_dict"]["w"].sum() == 3
    assert [p.name for p in (tmp_path / "ckpt").iterdir()] == ["a.ckpt"]


def test_a_checkpoint_that_would_run_code_is_refused_in_one_line(spoken_words: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    (out / "checkpoints").mkdir(parents=True)

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    with open(out / "checkpoints" / "last.ckpt", "wb") as f:
        pickle.dump({"state_dict": Payload()}, f)
    assert main(["train", "--out", str(out), "--data.train", str(spoken_words / "train.jsonl"),
                 "--data.dev", str(spoken_words / "dev.jsonl"), *ARGS]) == 2
    err = capsys.readouterr().err
    assert "last.ckpt: not a readable checkpoint" in err and not (tmp_path / "pwned").exists()
