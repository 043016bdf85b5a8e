"""Score a trained model on a manifest: WER and CER (jiwer), greedy CTC decoding.

  asr evaluate --model exp/mini/model.pt data/test.jsonl [--out exp/mini/test_hyps.jsonl]

Writes one JSON line per utterance {"id", "ref", "hyp", "wer", "cer"} (default: next to the
model, named after the manifest) and prints corpus-level WER and CER.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from asr.data.audio import load_audio
from asr.data.manifest import read_manifest
from asr.errors import UserError
from asr.model_file import load_model_file
from asr.scoring import error_rates
from asr.text.normalize import normalize_text
from asr.transcription import transcribe_waves


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model file written by asr train (model.pt)")
    parser.add_argument("manifest", help="JSON-lines manifest from asr prepare")
    parser.add_argument("--out", help="per-utterance hypotheses (JSON lines); default MODEL_DIR/hyps_MANIFEST.jsonl")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")
    parser.add_argument("--chunk", type=int, default=200, help="utterances read and decoded at a time")


def run(args: argparse.Namespace) -> int:
    if not Path(args.manifest).is_file():
        raise UserError(f"manifest not found: {args.manifest}")
    loaded = load_model_file(args.model, args.device)
    utterances = read_manifest(args.manifest)
    if not utterances:
        raise UserError(f"manifest is empty: {args.manifest}")
    out = Path(args.out) if args.out else Path(args.model).parent / f"hyps_{Path(args.manifest).stem}.jsonl"
    refs, hyps = [], []
    with tqdm(total=len(utterances), desc="decoding", unit="utt") as bar:
        for start in range(0, len(utterances), args.chunk):
            chunk = utterances[start:start + args.chunk]
            waves = [load_audio(u.audio, loaded.features.cfg.sample_rate) for u in chunk]
            hyps += transcribe_waves(loaded, waves)
            refs += [normalize_text(u.text) for u in chunk]
            bar.update(len(chunk))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        for utt, ref, hyp in zip(utterances, refs, hyps):
            rates = error_rates([ref], [hyp])
            f.write(json.dumps({"id": utt.id, "ref": ref, "hyp": hyp, **rates}) + "\n")
    rates = error_rates(refs, hyps)
    print(f"{Path(args.manifest).name}: {len(refs)} utterances  WER {100 * rates['wer']:.2f}%  "
          f"CER {100 * rates['cer']:.2f}%  (hypotheses in {out})")
    return 0
