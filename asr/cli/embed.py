"""Turn spoken segments into fixed-size vectors with an Audio Word2Vec model (sa, dsa, cae).

  asr embed --model exp/cae/model.pt a.wav b.flac --out vectors
  asr embed --model exp/cae/model.pt --manifest segments.jsonl --out vectors

Writes OUT.npy (float32, one row per input: the files in the order given, then the manifest's
lines) and OUT.jsonl (one line per row: row, id, path, start, end, word, speaker; start and end
null for a whole file, word from the manifest when it has one). A manifest may list whole files
(asr prepare) or word segments (asr align). A file that cannot be read gets one line on stderr
and no row (the index says which inputs have rows); the others are still embedded, and the exit
status is 1. Any sample rate and channel count is accepted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from asr.utils.atomic_file import replaced_whole
from asr.data.audio import load_audio
from asr.data.manifest import Utterance, read_manifest
from asr.errors import UserError
from asr.model_file import load_model_file
from asr.models.kinds import EMBEDDING_KINDS
from asr.utils.progress import progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="an sa, dsa or cae model file (asr train)")
    parser.add_argument("files", nargs="*", metavar="FILE", help="audio files, each one segment")
    parser.add_argument("--manifest", help="JSON-lines manifest of files or segments (asr prepare, asr align)")
    parser.add_argument("--out", required=True, help="output prefix: writes OUT.npy and OUT.jsonl")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")


def _inputs(args: argparse.Namespace) -> list[Utterance]:
    """Files as whole-file items, then the manifest's lines."""
    items = [Utterance(id=Path(f).stem, audio=f, duration=0.0, text="", speaker="") for f in args.files]
    if args.manifest:
        items += read_manifest(args.manifest)
    if not items:
        raise UserError("nothing to embed: give audio files or --manifest")
    return items


def _save(prefix: Path, vectors: np.ndarray, rows: list[dict]) -> None:
    """OUT.npy and OUT.jsonl, each replaced whole."""
    with replaced_whole(prefix.with_name(prefix.name + ".npy"), "wb") as f:
        np.save(f, vectors)
    with replaced_whole(prefix.with_name(prefix.name + ".jsonl")) as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def run(args: argparse.Namespace) -> int:
    loaded = load_model_file(args.model, args.device).require(EMBEDDING_KINDS, args.model, "embed segments")
    items = _inputs(args)
    prefix = Path(args.out)
    prefix = prefix.with_name(prefix.name.removesuffix(".npy"))
    sample_rate = loaded.features.cfg.sample_rate
    waves, rows, failed = [], [], 0
    for item in progress(items, desc="reading", unit="segment", enabled=len(items) >= 100):
        try:
            waves.append(load_audio(item.audio, sample_rate, item.start, item.end))
        except UserError as err:
            print(f"asr: error: {err}", file=sys.stderr)
            failed += 1
            continue
        rows.append({"row": len(rows), "id": item.id, "path": item.audio, "start": item.start if item.is_segment else None,
                     "end": item.end, "word": item.text or None, "speaker": item.speaker or None})
    from asr.embedding.embed import embed_waves

    began = time.perf_counter()
    vectors = embed_waves(loaded, waves).numpy() if waves else np.zeros((0, loaded.model.cfg.vector_dim), np.float32)
    seconds = time.perf_counter() - began
    _save(prefix, vectors.astype(np.float32), rows)
    audio = sum(len(w) for w in waves) / sample_rate
    print(f"{len(rows)} vectors of {vectors.shape[1]} in {prefix}.npy, index in {prefix}.jsonl "
          f"({audio:.1f} s of audio embedded in {seconds:.2f} s)" + (f"; {failed} unreadable, left out" if failed else ""))
    return 1 if failed else 0
