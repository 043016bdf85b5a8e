"""Query-by-example search time: frame-level DTW against segment vectors, on FSDD-sized random data.

  .venv/bin/python scripts/bench_qbe.py [--queries 500] [--segments 2000] [--threads 2]

Segments are 30-60 frames of 80-dim features (FSDD digits at a 10 ms hop), vectors 100 dims.
Both searches rank every segment for every query, as `asr qbe` times them: DTW by
`dtw_distances` (the numba kernel is compiled before the clock starts), vectors by cosine
similarity; each followed by the argsort of each query's row. Prints seconds for each and the ratio.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from asr.retrieval.dtw import dtw_distances
from asr.retrieval.metrics import cosine_similarity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--segments", type=int, default=2000)
    parser.add_argument("--dims", type=int, default=80, help="feature dims per frame")
    parser.add_argument("--vector-dims", type=int, default=100)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    lengths = rng.integers(30, 61, size=args.segments)
    segments = [rng.standard_normal((n, args.dims)).astype(np.float32) for n in lengths]
    queries = segments[:args.queries]
    vectors = rng.standard_normal((args.segments, args.vector_dims)).astype(np.float32)
    dtw_distances(queries[:2], segments[:2])  # compile (or load the cached) kernel before timing

    began = time.perf_counter()
    distances = dtw_distances(queries, segments, threads=args.threads)
    np.argsort(distances, axis=1)
    dtw_seconds = time.perf_counter() - began

    began = time.perf_counter()
    similarity = cosine_similarity(vectors[:args.queries], vectors)
    np.argsort(-similarity, axis=1)
    vector_seconds = time.perf_counter() - began

    frames = int(lengths.sum())
    print(f"{args.queries} queries x {args.segments} segments ({frames} frames x {args.dims} dims; "
          f"vectors {args.vector_dims} dims), {args.threads} threads")
    print(f"DTW      {dtw_seconds:9.3f} s  ({1e6 * dtw_seconds / (args.queries * args.segments):.1f} us a pair)")
    print(f"vectors  {vector_seconds:9.3f} s")
    print(f"ratio    {dtw_seconds / vector_seconds:9.0f} x")


if __name__ == "__main__":
    main()
