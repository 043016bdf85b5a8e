"""Turn spoken segments into fixed-size vectors with an Audio Word2Vec model (sa, dsa, cae).

  asr embed --model exp/cae/model.pt a.wav b.flac --out vectors
  asr embed --model exp/cae/model.pt --manifest segments.jsonl --out vectors

Writes OUT.npy (float32, one row per input: the files in the order given, then the manifest's
lines) and OUT.jsonl, the index: a manifest whose line N is row N (a whole file's line, or a
segment's with start, end and word; audio paths absolute), which `asr qbe` reads. A manifest may
list whole files (asr prepare) or word segments (asr align). A file that cannot be read gets one
line on stderr and no row (the index says which inputs have rows); the others are still embedded,
and the exit status is 1. Any sample rate and channel count is accepted.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

import numpy as np
import torch

from asr.cli.common import readable_chunks
from asr.data.manifest import Utterance, read_manifest, write_manifest
from asr.errors import UserError
from asr.model_file import load_model_file
from asr.models.kinds import EMBEDDING_KINDS
from asr.utils.atomic_file import replaced_whole
from asr.utils.cpu_threads import inference_threads


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="an sa, dsa or cae model file (asr train)")
    parser.add_argument("files", nargs="*", metavar="FILE", help="audio files, each one segment")
    parser.add_argument("--manifest", help="JSON-lines manifest of files or segments (asr prepare, asr align)")
    parser.add_argument("--out", required=True, help="output prefix: writes OUT.npy and OUT.jsonl")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")
    parser.add_argument("--threads", type=int,
                        help="CPU threads (default: the cores idle at the start; OMP_NUM_THREADS is obeyed)")


def _inputs(args: argparse.Namespace) -> list[Utterance]:
    """Files as whole-file items, then the manifest's lines."""
    items = [Utterance(id=Path(f).stem, audio=f, duration=0.0, text="", speaker="") for f in args.files]
    if args.manifest:
        items += read_manifest(args.manifest)
    if not items:
        raise UserError("nothing to embed: give audio files or --manifest")
    return items


def _indexed(item: Utterance, wave_seconds: float) -> Utterance:
    """The item as its index line: an absolute audio path (the index may be read from anywhere), and a
    whole file's duration as read."""
    audio = os.path.abspath(item.audio)
    if item.is_segment:
        return dataclasses.replace(item, audio=audio)
    return dataclasses.replace(item, audio=audio, duration=round(wave_seconds, 4))


def run(args: argparse.Namespace) -> int:
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    threads = inference_threads(args.threads)
    loaded = load_model_file(args.model, args.device).require(EMBEDDING_KINDS, args.model, "embed segments")
    items = _inputs(args)
    prefix = Path(args.out)
    prefix = prefix.with_name(prefix.name.removesuffix(".npy"))
    sample_rate = loaded.features.cfg.sample_rate
    # a bar only for many inputs: reading a few files takes no time worth showing
    ((readable, waves, failed),) = readable_chunks(items, sample_rate, len(items), "reading", bar_from=100,
                                                    min_samples=loaded.features.cfg.win_length)
    from asr.embedding.embed import embed_waves

    began = time.perf_counter()
    vectors = embed_waves(loaded, waves).numpy() if waves else np.zeros((0, loaded.model.cfg.vector_dim), np.float32)
    seconds = time.perf_counter() - began
    with replaced_whole(prefix.with_name(prefix.name + ".npy"), "wb") as f:
        np.save(f, vectors.astype(np.float32))
    write_manifest(prefix.with_name(prefix.name + ".jsonl"),
                   [_indexed(item, len(wave) / sample_rate) for item, wave in zip(readable, waves)])
    audio = sum(len(w) for w in waves) / sample_rate
    print(f"{len(readable)} vectors of {vectors.shape[1]} in {prefix}.npy, index in {prefix}.jsonl "
          f"({audio:.1f} s of audio embedded in {seconds:.2f} s"
          + (f" on {threads} CPU thread{'s' if threads > 1 else ''})" if torch.device(args.device).type == "cpu"
             else ")")
          + (f"; {failed} unreadable, left out" if failed else ""))
    return 1 if failed else 0
