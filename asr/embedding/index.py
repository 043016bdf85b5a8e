"""The segments that `asr embed` indexes, their vectors, and their frames for the DTW baseline.

`asr embed` writes OUT.npy (float32, one row per segment) and OUT.jsonl, the index: a manifest
(`asr.data.manifest`) whose line N is row N, a whole file {"id", "audio", "duration", "text",
"speaker"} or a segment of one {"id", "audio", "start", "end", "word", "speaker"}, audio paths
absolute. So the index is read by the manifest reader like any other, and any manifest of segments is
an index of their vectors. Every reading mistake here is a one-line UserError naming the file (and line).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from asr.data.audio import load_audio
from asr.data.manifest import Utterance, read_json_lines, read_manifest
from asr.errors import UserError
from asr.features.batching import map_feature_batches
from asr.features.pipeline import FeaturePipeline


def read_segment_index(path: str | Path) -> list[Utterance]:
    """Read OUT.jsonl: its utterances in row order."""
    objects = read_json_lines(path, "segment index")
    if not objects:
        raise UserError(f"{path}: the segment index is empty")
    if "path" in objects[0][1] and "audio" not in objects[0][1]:
        raise UserError(f"{path}: an index written by an older `asr embed` (rows with 'path'): "
                        "run asr embed again to write it as a manifest")
    return read_manifest(path)


def read_vectors(path: str | Path, segments: Sequence[Utterance]) -> np.ndarray:
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


def segment_waves(segments: Sequence[Utterance], sample_rate: int) -> list[torch.Tensor]:
    """Each segment's samples at `sample_rate`: (S_i,) float32 tensors, in index order."""
    return [load_audio(s.audio, sample_rate, s.start, s.end) for s in segments]


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

    def unpadded(feats: torch.Tensor, feat_lens: torch.Tensor) -> list[np.ndarray]:
        return [feats[k, :feat_lens[k]].numpy().astype(np.float32, copy=True) for k in range(len(feats))]

    return map_feature_batches(pipeline, waves, unpadded, max_batch_seconds, 256)
