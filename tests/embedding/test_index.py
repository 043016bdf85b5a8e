"""The segment index and vectors of `asr embed`, read strictly; segment frames independent of their batch."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from asr.embedding.index import read_segment_index, read_vectors, segment_features, segment_waves
from asr.errors import UserError
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline

WAV = Path(__file__).resolve().parents[1] / "assets" / "v1_model" / "3_theo_1.wav"


def _write(path: Path, rows: list) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return path


def test_the_index_is_a_manifest_read_in_row_order_with_paths_relative_to_it(tmp_path):
    (tmp_path / "audio").mkdir()
    sf.write(tmp_path / "audio" / "a.wav", np.zeros(800, dtype=np.float32), 8000)
    index = _write(tmp_path / "index.jsonl", [
        {"id": "a", "audio": "audio/a.wav", "duration": 0.1, "text": "yes", "speaker": "s1"},
        {"id": "b", "audio": str(WAV), "start": 0.05, "end": 0.25, "word": "", "speaker": ""},
    ])
    first, second = read_segment_index(index)
    assert first.audio == str(tmp_path / "audio" / "a.wav") and first.text == "yes" and not first.is_segment
    assert (second.start, second.end, second.text) == (0.05, 0.25, "")
    # 0.05-0.25 s at 8 kHz: 1600 samples
    assert [len(w) for w in segment_waves([first, second], 8000)] == [800, 1600]


@pytest.mark.parametrize("line, message", [
    ("{not json", "index.jsonl:1: not valid JSON"),
    ({"id": "a", "audio": "x.wav", "start": 0.5, "end": 0.2, "speaker": ""}, "'end' (0.2) must be after"),
    ({"id": "a", "audio": "x.wav", "start": True, "end": 1, "speaker": ""}, "'start' must be a non-negative number"),
    ({"id": "", "audio": "x.wav", "duration": 1, "text": "", "speaker": ""}, "'id' is empty"),
    ({"id": "a", "audio": "x.wav", "start": 0, "end": 1, "word": 3, "speaker": ""}, "'word' must be a string"),
    ({"row": 0, "id": "a", "path": "x.wav", "start": None, "end": None, "word": None, "speaker": None},
     "an index written by an older `asr embed`"),
])
def test_bad_index_lines_say_where(tmp_path, line, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_segment_index(_write(tmp_path / "index.jsonl", [line]))


def test_an_empty_index_is_refused(tmp_path):
    with pytest.raises(UserError, match="empty"):
        read_segment_index(_write(tmp_path / "index.jsonl", []))


def test_vectors_must_be_one_finite_row_per_segment(tmp_path):
    segments = read_segment_index(_write(tmp_path / "index.jsonl", [
        {"id": i, "audio": f"{i}.wav", "duration": 1, "text": "", "speaker": ""} for i in "ab"]))
    good = tmp_path / "good.npy"
    np.save(good, np.ones((2, 3), dtype=np.float32))
    assert read_vectors(good, segments).shape == (2, 3)
    for name, array, message in [("flat", np.ones(2), "2-D array"),
                                 ("nan", np.array([[1.0], [np.nan]]), "1 rows hold NaN"),
                                 ("objects", np.array([[{}], [{}]], dtype=object), "not a readable .npy"),
                                 ("three", np.ones((3, 2)), "has 3 rows but the index has 2 segments")]:
        np.save(tmp_path / f"{name}.npy", array, allow_pickle=True)
        with pytest.raises(UserError, match=message):
            read_vectors(tmp_path / f"{name}.npy", segments)


def test_a_segments_frames_do_not_depend_on_its_batch():
    pipeline = FeaturePipeline(FeatureConfig(sample_rate=8000, n_mels=40, n_fft=256, normalize="utterance"))
    wave, _ = sf.read(WAV, dtype="float32")
    waves = [torch.from_numpy(wave[:n].copy()) for n in (len(wave), 4000, 2400)]
    together = segment_features(pipeline, waves)
    alone = [segment_features(pipeline, [w])[0] for w in waves]
    assert [f.shape for f in together] == [(pipeline.num_frames(len(w)), 40) for w in waves]
    for a, b in zip(together, alone):
        assert np.allclose(a, b, atol=1e-5)


def test_a_segment_shorter_than_a_window_is_a_user_error():
    pipeline = FeaturePipeline(FeatureConfig(sample_rate=8000, n_fft=256))
    with pytest.raises(UserError, match="segment 1 is 100 samples long"):
        segment_features(pipeline, [torch.zeros(800), torch.zeros(100)])
