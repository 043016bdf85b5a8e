"""The segments that `asr embed` indexes, their vectors, and their frames for the DTW baseline.

`asr embed` writes OUT.npy (float32, one row per segment) and OUT.jsonl, one line per row in
row order: {"row", "id", "path", "start", "end", "word", "speaker"}; start and end null = the
whole file. Every reading mistake here is a one-line UserError naming the file (and line).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from asr.data.audio import load_audio
from asr.data.manifest import read_json_lines
from asr.errors import UserError
from asr.features.batching import feature_batches
from asr.features.pipeline import FeaturePipeline


@dataclass(frozen=True)
class Segment:
    """One row of the index: a stretch of an audio file, its word and speaker when known."""

    row: int
    id: str
    path: str
    start: float | None  # seconds; None = from the file's start
    end: float | None  # seconds; None = to the file's end
    word: str | None
    speaker: str | None


def read_segment_index(path: str | Path) -> list[Segment]:
    """Read OUT.jsonl. A relative audio path is tried as given, then relative to the index's folder."""
    path = Path(path)
    segments: list[Segment] = []
    for where, obj in read_json_lines(path, "segment index"):
        segments.append(_parse(obj, len(segments), where, path.parent))
    if not segments:
        raise UserError(f"{path}: the segment index is empty")
    return segments


def _parse(obj: dict, row: int, where: str, base: Path) -> Segment:
    if obj.get("row", row) != row:
        raise UserError(f"{where}: 'row' is {obj['row']} but this is row {row} (lines must be in row order)")
    for key in ("id", "path"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise UserError(f"{where}: '{key}' must be a non-empty string")
    for key in ("word", "speaker"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise UserError(f"{where}: '{key}' must be a string or null")
    start, end = _seconds(obj.get("start"), "start", where), _seconds(obj.get("end"), "end", where)
    if start is not None and end is not None and end <= start:
        raise UserError(f"{where}: 'end' ({end}) must be after 'start' ({start})")
    audio = Path(obj["path"])
    if not audio.is_absolute() and not audio.exists() and (base / audio).exists():
        audio = base / audio
    return Segment(row, obj["id"], str(audio), start, end, obj.get("word"), obj.get("speaker"))


def _seconds(value, key: str, where: str) -> float | None:
    if value is None:
        return None
    # bool is an int in Python; a start of `true` is a bug, not one second.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise UserError(f"{where}: '{key}' must be a non-negative number of seconds or null")
    return float(value)


def read_vectors(path: str | Path, segments: Sequence[Segment]) -> np.ndarray:
    """Read OUT.npy: (N, D) with one row per indexed segment."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such vectors file")
    try:
        vectors = np.load(path, allow_pickle=False)  # never run code from a data file
    except (ValueError, OSError, EOFError) as err:
        raise UserError(f"{path}: not a readable .npy file ({err})") from None
    if vectors.ndim != 2 or not np.issubdtype(vectors.dtype, np.number):
        raise UserError(f"{path}: expected a 2-D array of numbers (segments x dims), got shape {vectors.shape}")
    if len(vectors) != len(segments):
        raise UserError(f"{path} has {len(vectors)} rows but the index has {len(segments)} segments")
    if not np.isfinite(vectors).all():
        raise UserError(f"{path}: {int((~np.isfinite(vectors)).any(axis=1).sum())} rows hold NaN or infinity")
    return vectors


def segment_waves(segments: Sequence[Segment], sample_rate: int) -> list[torch.Tensor]:
    """Each segment's samples at `sample_rate`: (S_i,) float32 tensors, in index order."""
    return [load_audio(s.path, sample_rate, s.start or 0.0, s.end) for s in segments]


@torch.inference_mode()
def segment_features(pipeline: FeaturePipeline, waves: Sequence[torch.Tensor],
                     max_batch_seconds: float = 100.0) -> list[np.ndarray]:
    """Feature frames of each wave: (T_i, D) float32 arrays, in input order.

    Batched by length; the pipeline ignores padding, so a segment's frames do not depend on its batch.
    A wave shorter than one analysis window has no frame, which DTW cannot compare: a UserError.
    """
    frames = [int(pipeline.num_frames(len(w))) for w in waves]
    if 0 in frames:
        short = frames.index(0)
        raise UserError(f"segment {short} is {len(waves[short])} samples long, shorter than one "
                        f"{pipeline.cfg.win_ms:g} ms analysis window: DTW has no frame to compare")
    out: list[np.ndarray] = [np.empty(0)] * len(waves)
    for batch, feats, feat_lens in feature_batches(pipeline, waves, max_batch_seconds, 256):
        for k, i in enumerate(batch):
            out[i] = feats[k, :feat_lens[k]].numpy().astype(np.float32, copy=True)
    return out
