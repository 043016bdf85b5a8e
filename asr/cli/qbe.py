"""Query-by-example evaluation of segment vectors, against a frame-level DTW baseline.

  asr qbe --vectors exp/embed/dev.npy --index exp/embed/dev.jsonl [--queries-speaker theo]
  asr qbe --vectors OUT.npy --index OUT.jsonl --dtw exp/fsdd/model.pt --map map.png --json results.json
  asr qbe --index OUT.jsonl --dtw exp/fsdd/model.pt            (the DTW baseline alone)

Each query segment ranks all other segments; relevant = same word. Queries are every segment, or
those of the --queries-speaker speakers (searched over all segments). Prints, per method, the
mean average precision (MAP), the same-different average precision over all pairs of segments,
the number of queries, and the search time: the query x all similarity (vectors: cosine, loading
excluded) or distance (DTW) matrix and the ranking of each row. DTW compares the frames of the
model's own feature pipeline (read from MODEL.pt, any acoustic model) with cosine frame distances;
its feature time is printed on its own. Queries whose word has no other segment are skipped and
counted. --map draws the vectors in 2-D (PCA, or t-SNE with scikit-learn installed), coloured by word,
with a marker per speaker when the segments have six speakers or fewer.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from asr.data.manifest import Utterance
from asr.embedding.index import read_segment_index, read_vectors, segment_features, segment_waves
from asr.embedding.maps import METHODS
from asr.embedding.qbe import MethodResult, evaluate_dtw, evaluate_vectors
from asr.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vectors", metavar="OUT.npy", help="segment vectors from asr embed, one row per segment")
    parser.add_argument("--index", metavar="OUT.jsonl", required=True, help="the segment index written beside them")
    parser.add_argument("--queries-speaker", metavar="SPK", nargs="+",
                        help="queries are these speakers' segments (default: every segment)")
    parser.add_argument("--dtw", metavar="MODEL.pt", help="also run the DTW baseline on this model's features")
    parser.add_argument("--threads", type=int, help="CPU threads for DTW (default: the cores idle at the start)")
    parser.add_argument("--map", metavar="MAP.png",
                        help="draw the vectors in 2-D, coloured by word (a marker per speaker)")
    parser.add_argument("--map-method", choices=METHODS, default="pca", help="projection for --map (default pca)")
    parser.add_argument("--json", metavar="RESULTS.json", help="write the figures (and each query's AP) here")


def run(args: argparse.Namespace) -> int:
    if not args.vectors and not args.dtw:
        raise UserError("nothing to evaluate: give --vectors, --dtw or both")
    if args.map and not args.vectors:
        raise UserError("--map draws vectors: give --vectors too")
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    segments = read_segment_index(args.index)
    words = _words(segments, args.index)
    queries = _queries(segments, args.queries_speaker)
    vectors = read_vectors(args.vectors, segments) if args.vectors else None

    results, feature_seconds = [], {}
    if vectors is not None:
        results.append(evaluate_vectors(vectors, words, queries))
    if args.dtw:
        features, feature_seconds = _dtw_features(args.dtw, segments)
        from asr.utils.cpu_threads import idle_cores

        results.append(evaluate_dtw(features, words, queries, threads=args.threads or idle_cores()))

    speakers = f" (speaker {', '.join(args.queries_speaker)})" if args.queries_speaker else ""
    print(f"{len(segments)} segments, {len(set(words))} words; {len(queries)} queries{speakers}")
    _print_table(results, feature_seconds)
    if args.map:
        from asr.embedding.maps import plot_embedding_map

        speakers = [s.speaker for s in segments] if all(s.speaker for s in segments) else None
        print(f"map: {plot_embedding_map(vectors, words, args.map, method=args.map_method, speakers=speakers)}")
    if args.json:
        _write_json(Path(args.json), args, segments, queries, results, feature_seconds)
    return 0


def _words(segments: list[Utterance], index: str) -> list[str]:
    """Every segment's word; QbE has no notion of relevance without them."""
    unlabelled = [row for row, s in enumerate(segments) if not s.text]
    if len(unlabelled) == len(segments):
        raise UserError(f"{index}: no segment has a word label; QbE needs to know which segments are the same word")
    if unlabelled:
        raise UserError(f"{index}: {len(unlabelled)} of {len(segments)} segments have no word label "
                        f"(rows {', '.join(map(str, unlabelled[:5]))}{', ...' if len(unlabelled) > 5 else ''})")
    return [s.text for s in segments]


def _queries(segments: list[Utterance], speakers: list[str] | None) -> np.ndarray:
    if not speakers:
        return np.arange(len(segments))
    known = sorted({s.speaker for s in segments if s.speaker})
    unknown = [spk for spk in speakers if spk not in known]
    if unknown:
        raise UserError(f"no segment of speaker {', '.join(unknown)} in the index; "
                        f"its speakers: {', '.join(known[:20]) or 'none recorded'}{' ...' if len(known) > 20 else ''}")
    return np.array([row for row, s in enumerate(segments) if s.speaker in speakers])


def _dtw_features(model_path: str, segments: list[Utterance]) -> tuple[list[np.ndarray], dict[str, float]]:
    """Frames of every segment through the model's feature pipeline, and the seconds it took."""
    from asr.model_file import load_model_file

    loaded = load_model_file(model_path)
    if loaded.features is None:
        raise UserError(f"{model_path} is a {loaded.kind} model without a feature pipeline: "
                        "DTW needs an acoustic model")
    began = time.perf_counter()
    waves = segment_waves(segments, loaded.features.cfg.sample_rate)
    read = time.perf_counter() - began
    began = time.perf_counter()
    features = segment_features(loaded.features, waves)
    return features, {"audio_read_seconds": read, "feature_seconds": time.perf_counter() - began}


def _print_table(results: list[MethodResult], feature_seconds: dict[str, float]) -> None:
    print(f"{'method':<8} {'MAP':>7} {'same-diff AP':>13} {'queries':>8} {'search s':>9}")
    for r in results:
        line = (f"{r.name:<8} {r.qbe.mean_ap:7.4f} {r.same_different.average_precision:13.4f} "
                f"{len(r.qbe.queries):8d} {r.search_seconds:9.3f}")
        if r.name == "DTW":
            line += (f"  (features {feature_seconds['feature_seconds']:.2f} s, "
                     f"reading audio {feature_seconds['audio_read_seconds']:.2f} s)")
        print(line)
    skipped = len(results[0].qbe.skipped)
    if skipped:
        print(f"{skipped} {'query' if skipped == 1 else 'queries'} skipped: no other segment has the same word")


def _write_json(path: Path, args: argparse.Namespace, segments: list[Utterance], queries: np.ndarray,
                results: list[MethodResult], feature_seconds: dict[str, float]) -> None:
    methods = {}
    for r in results:
        methods[r.name.lower()] = {
            "map": None if np.isnan(r.qbe.mean_ap) else r.qbe.mean_ap,  # NaN (no query scored) is not JSON
            "same_different_ap": r.same_different.average_precision,
            "queries": len(r.qbe.queries), "skipped": len(r.qbe.skipped), "search_seconds": r.search_seconds,
            "pairs": r.same_different.pairs, "same_pairs": r.same_different.same_pairs, **r.extra_seconds,
            **(feature_seconds if r.name == "DTW" else {}),
            "per_query": [{"row": int(q), "id": segments[q].id, "word": segments[q].text, "ap": float(ap)}
                          for q, ap in zip(r.qbe.queries, r.qbe.average_precisions)],
        }
    report = {"vectors": args.vectors, "index": args.index, "dtw_model": args.dtw,
              "segments": len(segments), "words": len({s.text for s in segments}),
              "queries_speakers": args.queries_speaker, "queries": len(queries), "methods": methods}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
