"""How close word timestamps come to the truth, on generated speech whose word times are known.

  .venv/bin/python scripts/bench_timestamps.py --model recipes/mini/exp/compare/ctc/model.pt \\
      [--model recipes/mini/exp/compare/joint/model.pt] --corpus recipes/mini/data/corpus \\
      --manifest recipes/mini/data/manifests/test.jsonl [--sentences 60]

Each sentence of the manifest is spoken again a word at a time by its speaker's espeak-ng voice; each
word is trimmed to KEEP_S of silence either side and the words are joined with 0-0.15 s more, then a
noise floor is added, so every word's true start and end (its first and last 10 ms frame within 55 dB
of its loudest, as `asr.data.synth.tts.trim_silence` finds them) is known to a sample. Reported per model,
as mean absolute error in ms of word starts, ends and both together (boundaries):

  transcribe   the words `model.transcribe` times (its own decoded ids, aligned to its CTC output),
               over the words that match the reference (difflib) - the figure a user sees
  reference    the reference text force-aligned the same way (`asr.transcription.timestamps.timed_words`), every word
  asr align    the reference through `asr align`'s word segments, which stretch words over pauses so
               that they tile the utterance (for cutting words out, not for timing them)
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

import numpy as np
import torch

KEEP_S = 0.03  # silence left either side of each spoken word (the mini models mishear words after long pauses)
EXTRA_GAP_S = (0.0, 0.15)


def spoken_sentences(manifest: Path, corpus: Path, count: int) -> list[tuple[np.ndarray, list[tuple[str, float, float]]]]:
    """(audio at 16 kHz, [(word, true start s, true end s)]) for the first `count` sentences."""
    from asr.data.synth.tts import SAMPLE_RATE, add_noise_floor, speak, trim_silence
    from asr.text.normalize import normalize_text

    voices = json.loads((corpus / "voices.json").read_text())
    rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()][:count]
    rng = np.random.default_rng(0)
    out = []
    for k, row in enumerate(rows):
        voice = voices[str(row["speaker"])]
        parts, truth, t = [], [], 0
        for word in normalize_text(row["text"]).split():
            audio = trim_silence(speak(word, voice["espeak"], voice["speed"], voice["pitch"]), SAMPLE_RATE, KEEP_S)
            keep = round(KEEP_S * SAMPLE_RATE)
            truth.append((word, (t + keep) / SAMPLE_RATE, (t + len(audio) - keep) / SAMPLE_RATE))
            gap = np.zeros(round(rng.uniform(*EXTRA_GAP_S) * SAMPLE_RATE), np.float32)
            parts += [audio, gap]
            t += len(audio) + len(gap)
        out.append((add_noise_floor(np.concatenate(parts), seed=k), truth))
    return out


def errors(pairs: list[tuple[tuple[float, float], tuple[float, float]]]) -> str:
    """'start / end / boundary' mean absolute errors in ms over (predicted, true) (start, end) pairs."""
    if not pairs:
        return "- / - / -"
    starts = [abs(p[0] - t[0]) for p, t in pairs]
    ends = [abs(p[1] - t[1]) for p, t in pairs]
    return f"{1000 * np.mean(starts):.0f} / {1000 * np.mean(ends):.0f} / {1000 * np.mean(starts + ends):.0f}"


def bench(model_path: str, sentences) -> None:
    import asr
    from asr.transcription.decoder import decode_waves
    from asr.transcription.timestamps import timed_words
    from asr.transcription.word_alignment import WordAligner

    model = asr.load_model(model_path)
    waves = [torch.from_numpy(audio) for audio, _ in sentences]
    truths = [truth for _, truth in sentences]
    results = model.transcribe(waves, sample_rate=16000)  # spoken_sentences gives 16 kHz audio
    matched, total = [], sum(len(t) for t in truths)
    for result, truth in zip(results, truths):
        hyp = [w.word for w in result.words]
        for block in difflib.SequenceMatcher(a=[w for w, _, _ in truth], b=hyp, autojunk=False).get_matching_blocks():
            for i in range(block.size):
                word, true = result.words[block.b + i], truth[block.a + i]
                matched.append(((word.start, word.end), true[1:]))
    loaded, tokenizer = model.loaded, model.loaded.tokenizer
    reference = []
    for transcript, wave, truth in zip(decode_waves(loaded, waves, log_probs=True), waves, truths):
        words, _ = timed_words(transcript.log_probs, tokenizer.encode(" ".join(w for w, _, _ in truth)), tokenizer,
                               model.clock, len(wave))
        reference += [((w.start, w.end), t[1:]) for w, t in zip(words, truth) if w.start is not None]
    tiled = []
    for alignment, truth in zip(WordAligner(loaded)(waves, [" ".join(w for w, _, _ in t) for t in truths]), truths):
        tiled += [((w.start, w.end), t[1:]) for w, t in zip(alignment.words, truth)]
    name = Path(model_path).parent.name
    print(f"| {name} transcribe | {len(matched)} of {total} | {errors(matched)} |")
    print(f"| {name} reference | {len(reference)} of {total} | {errors(reference)} |")
    print(f"| {name} asr align | {len(tiled)} of {total} | {errors(tiled)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True, help="CTC or joint model file (repeatable)")
    parser.add_argument("--corpus", required=True, help="the corpus folder with voices.json (asr synth --out)")
    parser.add_argument("--manifest", required=True, help="its manifest whose sentences are spoken again")
    parser.add_argument("--sentences", type=int, default=60)
    args = parser.parse_args()
    sentences = spoken_sentences(Path(args.manifest), Path(args.corpus), args.sentences)
    seconds = sum(len(a) for a, _ in sentences) / 16000
    print(f"{len(sentences)} sentences, {sum(len(t) for _, t in sentences)} words, {seconds:.0f} s")
    print("| model, words timed | words | MAE start / end / boundary (ms) |\n|---|---|---|")
    for path in args.model:
        bench(path, sentences)


if __name__ == "__main__":
    main()
