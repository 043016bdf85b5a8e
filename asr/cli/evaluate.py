"""Score a trained model on a manifest: WER and CER (jiwer), and the decoding real-time factor.

  asr evaluate --model exp/mini/model.pt data/test.jsonl [--out exp/mini/test_hyps.jsonl]
  asr evaluate --model exp/joint/model.pt data/test.jsonl --decode beam --lm exp/lm/lm.pt --lm-weight 0.3
  asr evaluate --model exp/las/model.pt data/test.jsonl --plot-attention exp/las/attention
  asr evaluate --model exp/mini/model.pt data/test.jsonl --report exp/mini/report

Writes one JSON line per utterance {"id", "ref", "hyp", "wer", "cer"} (default: next to the
model, named after the manifest) and prints corpus-level WER and CER and the real-time factor
(decoding seconds per second of audio, audio reading excluded). --plot-attention DIR writes one
attention-alignment PNG per utterance (attention models); --scores FILE writes the corpus figures
as one JSON object (manifest, utterances, wer, cer, rtf, unreadable, unscored, hypotheses) for scripts;
--report DIR writes an error analysis (DIR/report.md, the same as DIR/report.json, and a PNG of WER by
utterance length): the edits behind the WER, the words most confused, missed and inserted, WER per speaker
and by length, and the utterances with most errors aligned word by word. An
utterance longer than --max-chunk is decoded as `asr transcribe` decodes it, cut at pauses (a model
trained on sentences reads an hour whole at 87% WER, in 30 s pieces as well as each sentence alone).
An utterance whose audio cannot be read gets one line on stderr and is left out of the scores; the
summary counts them and the exit status is 1. Utterances whose transcript normalises to nothing or
loses most of its letters (another script than Latin) are not decoded nor scored, counted in one
line: an empty reference makes every word heard an insertion (a Chinese test set scored 381% WER).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from asr.cli.common import (
    add_decode_arguments,
    add_read_size_argument,
    check_decode_arguments,
    decoder_from_args,
    readable_chunks,
)
from asr.data.manifest import Utterance, describe_lost, read_manifest, split_lost
from asr.errors import UserError
from asr.text.error_rates import error_rates
from asr.text.normalize import NORMALISER_KEEPS, normalize_text
from asr.utils.atomic_file import replaced_whole


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model file written by asr train (model.pt)")
    parser.add_argument("manifest", help="JSON-lines manifest from asr prepare")
    parser.add_argument("--out", help="per-utterance hypotheses (JSON lines); default MODEL_DIR/hyps_MANIFEST.jsonl")
    parser.add_argument("--scores", metavar="JSON", help="also write the corpus scores here as JSON (for scripts)")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cuda (default: cpu)")
    add_read_size_argument(parser, 200)
    parser.add_argument("--plot-attention", metavar="DIR", help="attention models: one alignment PNG per utterance")
    parser.add_argument("--report", metavar="DIR", help="write an error analysis here (report.md, report.json, "
                                                      "a PNG of WER by utterance length)")
    add_decode_arguments(parser)


def run(args: argparse.Namespace) -> int:
    check_decode_arguments(args)
    utterances, unscored = _scorable(args.manifest)  # before the model loads: a wrong manifest is told at once
    # imported late: torch and the decoders take seconds
    from asr.transcription.recognizer import load_model

    recognizer = load_model(args.model, args.device)
    if args.plot_attention and not recognizer.loaded.model.has_attention:
        raise UserError(f"--plot-attention needs an attention model (las or joint); "
                        f"this one is {recognizer.loaded.kind}")
    decoder = decoder_from_args(recognizer, args)
    refs, hyps, decoded, decoding_seconds, audio_seconds = [], [], [], 0.0, 0.0
    for chunk, waves, _ in readable_chunks(utterances, recognizer.sample_rate, args.read_size, "decoding",
                                             min_samples=recognizer.loaded.features.cfg.win_length):
        if not chunk:
            continue
        began = time.perf_counter()
        texts, whole = _decode(recognizer, waves, decoder, args.max_chunk, bool(args.plot_attention))
        decoding_seconds += time.perf_counter() - began
        audio_seconds += sum(len(w) for w in waves) / recognizer.sample_rate
        hyps += texts
        refs += [normalize_text(u.text) for u in chunk]
        decoded += chunk
        if args.plot_attention:
            _plot([chunk[i] for i in whole], whole.values(), recognizer.loaded.tokenizer.symbols,
                  Path(args.plot_attention))
    unreadable = len(utterances) - len(decoded)
    if not decoded:
        raise UserError(f"no audio of {args.manifest} could be read ({unreadable} unreadable)")
    out = Path(args.out) if args.out else Path(args.model).parent / f"hyps_{Path(args.manifest).stem}.jsonl"
    with replaced_whole(out) as f:
        for utt, ref, hyp in zip(decoded, refs, hyps):
            f.write(json.dumps({"id": utt.id, "ref": ref, "hyp": hyp, **error_rates([ref], [hyp])}) + "\n")
    scores = {"manifest": args.manifest, "utterances": len(refs), **error_rates(refs, hyps),
              "rtf": decoding_seconds / max(audio_seconds, 1e-9), "unreadable": unreadable, "unscored": unscored,
              "hypotheses": str(out)}
    if args.scores:
        with replaced_whole(args.scores) as f:
            f.write(json.dumps(scores) + "\n")
    where = f"hypotheses in {out}" + (f"; report in {_report(args, decoded, refs, hyps)}" if args.report else "")
    print(f"{Path(args.manifest).name}: {len(refs)} utterances  WER {100 * scores['wer']:.2f}%  "
          f"CER {100 * scores['cer']:.2f}%  RTF {scores['rtf']:.4f}  "
          + (f"{unreadable} unreadable (left out)  " if unreadable else "")
          + (f"{unscored} unscored (left out)  " if unscored else "") + f"({where})")
    return 1 if unreadable else 0


def _scorable(manifest: str) -> tuple[list[Utterance], int]:
    """The manifest's utterances that can be scored, and how many cannot (said in one line): those whose
    transcript is lost in normalisation have no reference to score a hypothesis against.

    Raises:
        UserError: the manifest is missing or empty, or none of its transcripts survives normalisation.
    """
    if not Path(manifest).is_file():
        raise UserError(f"manifest not found: {manifest}")
    utterances = read_manifest(manifest)
    if not utterances:
        raise UserError(f"manifest is empty: {manifest}")
    scorable, lost = split_lost(utterances)
    if not scorable:
        raise UserError(f"nothing in {manifest} can be scored: every transcript normalises to nothing or loses "
                        f"most of its letters ({NORMALISER_KEEPS})")
    if lost:
        print(f"{Path(manifest).name}: left out of scoring: {describe_lost(lost)}", flush=True)
    return scorable, len(lost)


def _report(args: argparse.Namespace, decoded: list[Utterance], refs: list[str], hyps: list[str]) -> Path:
    """Write the error analysis of the scored utterances to args.report; returns the Markdown's path."""
    from asr.text.error_report import build_report
    from asr.text.error_report_files import write_report  # imports matplotlib when called

    report = build_report(refs, hyps, [u.id for u in decoded], [u.speaker for u in decoded],
                          [u.duration for u in decoded])
    return write_report(report, Path(args.report), title=Path(args.manifest).name)


def _decode(recognizer, waves: list, decoder, max_chunk: float, attention: bool) -> tuple[list[str], dict]:
    """Each wave's transcript, and {index: Hypothesis} of those decoded whole (with `attention`, their
    weights). Waves longer than max_chunk seconds are cut at pauses, as `asr transcribe` cuts them."""
    from asr.transcription.decoder import decode_waves

    longest = max_chunk * recognizer.sample_rate if max_chunk else float("inf")
    indices = [i for i, wave in enumerate(waves) if len(wave) <= longest]
    whole = dict(zip(indices, decode_waves(recognizer.loaded, [waves[i] for i in indices], decoder,
                                           attention=attention)))
    texts = []
    for i, wave in enumerate(waves):
        if i in whole:
            texts.append(whole[i].text)
            continue
        ((_, result),) = recognizer.transcribe_each([wave], decoder, recognizer.sample_rate, max_chunk, None)
        if isinstance(result, UserError):
            raise result
        texts.append(result.text)
    return texts, whole


def _plot(utterances, results, symbols, folder: Path) -> None:
    """One PNG per utterance, named after its id; rows are the hypothesis' tokens and the end symbol."""
    # matplotlib only when asked for
    from asr.transcription.attention_plot import plot_attention

    folder.mkdir(parents=True, exist_ok=True)
    for utt, result in zip(utterances, results):
        tokens = [symbols[i] for i in result.ids] + ["<eos>"]
        name = re.sub(r"[^\w.-]", "_", utt.id)
        plot_attention(result.attention, tokens, f"{utt.id}: {result.text}", folder / f"{name}.png")
