"""ONNX export of a trained model: onnxruntime gives PyTorch's log-probs and transcripts, int8 weights
shrink the file and keep the transcripts, and what cannot be exported is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import asr
from asr.cli.main import main
from asr.data.audio import load_audio
from asr.data.manifest import read_manifest
from asr.errors import UserError
from asr.model_file import load_model_file, save_model_file
from asr.models.kinds import build_model
from asr.transcription.decoder import decode_waves

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def test_files(digit_manifests: Path) -> list[str]:
    """20 test recordings of the four speakers."""
    return [u.audio for u in read_manifest(digit_manifests / "test_takes.jsonl")[::10][:20]]


@pytest.fixture(scope="module")
def test_waves(test_files: list[str]) -> list[torch.Tensor]:
    return [load_audio(path, 8000) for path in test_files]


@pytest.fixture(scope="module")
def exported(digit_model: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("onnx")
    files = {"fp32": out / "model.onnx", "int8": out / "model.int8.onnx"}
    assert main(["export", "--model", str(digit_model), "--out", str(files["fp32"])]) == 0
    assert main(["export", "--model", str(digit_model), "--quantize", "int8", "--out", str(files["int8"])]) == 0
    return files


def log_probs(loaded, waves: list[torch.Tensor]) -> list[torch.Tensor]:
    return [h.log_probs for h in decode_waves(loaded, waves, log_probs=True)]


def test_onnx_log_probs_and_transcripts_equal_pytorch(digit_model, exported, test_waves):
    theirs = log_probs(load_model_file(digit_model), test_waves)
    ours = log_probs(load_model_file(exported["fp32"]), test_waves)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape and (a - b).abs().max() <= 1e-4
    samples = [w.numpy() for w in test_waves]
    pytorch = [r.text for r in asr.load_model(digit_model).transcribe(samples, sample_rate=8000)]
    onnx = asr.load_model(exported["fp32"]).transcribe(samples, sample_rate=8000)
    assert [r.text for r in onnx] == pytorch
    assert onnx[0].words and onnx[0].words[0].start is not None  # word times from the exported CTC head


def test_int8_file_is_smaller_and_reads_the_same(digit_model, exported, test_files, capsys):
    assert exported["int8"].stat().st_size * 3 < exported["fp32"].stat().st_size
    fp32 = [r.text for r in asr.load_model(digit_model).transcribe(test_files)]
    int8 = [r.text for r in asr.load_model(exported["int8"]).transcribe(test_files)]
    assert sum(a == b for a, b in zip(fp32, int8, strict=True)) >= 18
    capsys.readouterr()
    assert main(["transcribe", "--model", str(exported["int8"]), *test_files[:3]]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"{path}\t{text}" for path, text in zip(test_files[:3], int8[:3], strict=True)]


def test_what_cannot_be_exported_is_refused(digit_stream_model, tmp_path, capsys):
    assert main(["export", "--model", str(digit_stream_model), "--out", str(tmp_path / "c.onnx")]) == 2
    assert "latency-controlled" in capsys.readouterr().err
    stream = load_model_file(digit_stream_model)
    cfg = stream.model.cfg.to_dict()
    cfg["encoder"] |= {"bidirectional": False, "chunk_frames": 0, "right_context_frames": 0}
    unidirectional = tmp_path / "uni.pt"
    save_model_file(unidirectional, build_model("ctc", cfg), stream.features, stream.tokenizer)
    assert main(["export", "--model", str(unidirectional), "--out", str(tmp_path / "uni.onnx")]) == 0
    with pytest.raises(UserError, match="exported graph of whole recordings"):
        asr.load_model(tmp_path / "uni.onnx").stream([], sample_rate=8000)
    assert main(["export", "--model", str(tmp_path / "uni.onnx"), "--out", str(tmp_path / "x.onnx")]) == 2
    assert "exported already" in capsys.readouterr().err
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a graph")
    with pytest.raises(UserError, match="not an ONNX model exported by asr export"):
        load_model_file(bad)
