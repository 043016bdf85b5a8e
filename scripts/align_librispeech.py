"""Word segments of real continuous speech: overfit a CTC model on Mini LibriSpeech dev-clean-2, align it.

  .venv/bin/python scripts/align_librispeech.py [--out exp_align] [--stage 1] [--stop-stage 4] [--minutes 11]

Stages (1-3 leave a `.done` marker in OUT and are skipped when it is there; 4 always runs):
  1. prepare : `asr prepare librispeech` -> OUT/manifests/dev-clean-2.jsonl (132 utterances, 14.9 min)
  2. train   : `asr train`, a character BiLSTM-CTC that overfits all 132 utterances -> OUT/model/model.pt
  3. align   : `asr evaluate` (how well it fits them), then `asr align` over the same 132 -> OUT/segments.jsonl
  4. report  : word count, duration mean / spread / quartiles, 5 segments picked with a fixed seed cut
               out and transcribed by the same model (word against transcript), the share of all
               segments that transcribe as their word, the same for words cut at their own tokens'
               frames only (no extension into the gaps), and utterances cut in two at the middle of
               the gap between two words or up to 120 ms either side of it

The model is trained on the utterances it aligns: the point is to see where forced alignment puts
word boundaries in continuous speech, not how well the model generalises.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path
from typing import NamedTuple

import torch

from asr.cli.main import main as asr

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "librispeech"
# The shortest 16 utterances validate each epoch: all 132 would cost a third of an epoch's time for a
# figure (CER on training data) that the 16 already show.
DEV_UTTERANCES = 16
# As tests/training/test_overfit_librispeech.py, which overfits 16 utterances at 3x256 in 80 epochs,
# narrowed to 3x192 so that more epochs fit the wall-clock budget on one busy CPU thread.
TRAIN_ARGS = ["--specaugment.freq_masks", "0", "--specaugment.time_masks", "0",
              "--model.hidden", "192", "--model.layers", "3", "--model.dropout", "0.0",
              "--train.lr", "0.003", "--train.warmup_steps", "30", "--train.final_lr_ratio", "0.1",
              "--train.max_epochs", "300", "--train.threads", "1",
              "--data.max_batch_seconds", "30", "--data.cache_audio", "true"]
SAMPLES, SEED = 5, 0
RATE = 16000  # LibriSpeech, and the model's features
OFFSETS = (-0.12, -0.06, -0.03, 0.0, 0.03, 0.06, 0.12)  # seconds from the middle of the gap; 30 ms is a frame


def prepare(out: Path) -> None:
    from asr.data.manifest import read_manifest, write_manifest

    _check(asr(["prepare", "librispeech", str(DATA), "--out", str(out / "manifests"), "--subsets", "dev-clean-2"]))
    utterances = read_manifest(out / "manifests" / "dev-clean-2.jsonl")
    write_manifest(out / "manifests" / "dev16.jsonl", sorted(utterances, key=lambda u: u.duration)[:DEV_UTTERANCES])


def train(out: Path, minutes: float) -> None:
    _check(asr(["train", "--out", str(out / "model"), "--data.train", str(out / "manifests" / "dev-clean-2.jsonl"),
                "--data.dev", str(out / "manifests" / "dev16.jsonl"), *TRAIN_ARGS,
                "--train.max_minutes", str(minutes)]))


def align(out: Path) -> None:
    # how well it fits the utterances it is about to align (greedy CER / WER on all 132)
    _check(asr(["evaluate", "--model", str(out / "model" / "model.pt"), str(out / "manifests" / "dev-clean-2.jsonl"),
                "--out", str(out / "hyps.jsonl")]))
    _check(asr(["align", "--model", str(out / "model" / "model.pt"), str(out / "manifests" / "dev-clean-2.jsonl"),
                "--out", str(out / "segments.jsonl")]))


def report(out: Path) -> None:
    from asr.data.audio import load_audio
    from asr.data.manifest import read_manifest
    from asr.model_file import load_model_file
    from asr.transcription.decoder import transcribe_waves

    segments = read_manifest(out / "segments.jsonl")
    durations = [s.duration for s in segments]
    print(f"{len(segments)} word segments from {len({s.id.rsplit('_', 1)[0] for s in segments})} utterances; "
          f"duration {_spread(durations)}")
    loaded = load_model_file(out / "model" / "model.pt")
    waves = [load_audio(s.audio, RATE, s.start, s.end) for s in segments]
    texts = transcribe_waves(loaded, waves)
    for index in sorted(random.Random(SEED).sample(range(len(segments)), SAMPLES)):
        segment, text = segments[index], texts[index]
        print(f"  {'=' if text == segment.text else 'x'} {segment.id:20s} {segment.start:6.2f}-{segment.end:6.2f} s"
              f"  word {segment.text!r:14s} transcript {text!r}")
    right = sum(t == s.text for s, t in zip(segments, texts))
    print(f"every segment cut out and transcribed: {right} of {len(segments)} ({100 * right / len(segments):.1f}%) "
          f"give back their word")
    utterances = _token_spans(out, loaded)
    _token_frames_only(utterances, loaded)
    _halves(utterances, loaded)


class _Aligned(NamedTuple):
    wave: torch.Tensor  # (samples,)
    words: list[str]
    times: list[tuple[float, float]]  # each word's own tokens' frames, in seconds (no extension into the gaps)


def _token_spans(out: Path, loaded) -> list[_Aligned]:
    """Every utterance again, with each word's span at its own tokens' frames."""
    from asr.data.audio import load_audio
    from asr.data.manifest import read_manifest
    from asr.decoding.forced_alignment import word_spans
    from asr.transcription.word_alignment import WordAligner

    aligner = WordAligner(loaded)
    result = []
    for utt in read_manifest(out / "manifests" / "dev-clean-2.jsonl"):
        wave = load_audio(utt.audio, aligner.sample_rate, utt.start, utt.end)
        words, ids, problem = aligner.tokens(utt.text)
        if problem:
            continue
        ((log_probs, frames),) = aligner.ctc_log_probs([wave])
        spans = word_spans(log_probs, frames, ids, loaded.tokenizer.blank_id, aligner.separator, extend=False)
        result.append(_Aligned(wave, words, [(aligner.seconds(s.start, frames, len(wave)),
                                              aligner.seconds(s.end, frames, len(wave))) for s in spans]))
    return result


def _token_frames_only(utterances: list[_Aligned], loaded) -> None:
    """The words cut at their own tokens' frames, for comparison with the segments."""
    from asr.transcription.decoder import transcribe_waves

    waves = [_cut(u.wave, start, end) for u in utterances for start, end in u.times]
    words = [w for u in utterances for w in u.words]
    texts = transcribe_waves(loaded, waves)
    right = sum(t == w for t, w in zip(texts, words))
    durations = [len(w) / RATE for w in waves]
    print(f"cut at their tokens' own frames instead: duration {_spread(durations)}; "
          f"{right} of {len(words)} ({100 * right / len(words):.1f}%) give back their word")


def _halves(utterances: list[_Aligned], loaded, per_utterance: int = 3) -> None:
    """Where in the gap between two words a cut belongs. Each utterance is cut in two at a few word
    boundaries (picked with a fixed seed), at the middle of the gap between the words' tokens moved by
    OFFSETS; both halves are transcribed, with the context a model trained on whole utterances is used
    to. Counted: the words next to the cut (the left half's last, the right half's first) that come back
    right, and the CER of all halves."""
    from asr.text.error_rates import error_rates
    from asr.transcription.decoder import transcribe_waves

    rng = random.Random(SEED)
    cuts = [(u, k) for u in utterances if len(u.words) > 1
            for k in sorted(rng.sample(range(1, len(u.words)), min(per_utterance, len(u.words) - 1)))]
    gaps = [u.times[k][0] - u.times[k - 1][1] for u, k in cuts]
    print(f"{len(cuts)} cuts of {len(utterances)} utterances in two; gap between the words' tokens {_spread(gaps)}")
    for offset in OFFSETS:
        waves, expected = [], []
        for u, k in cuts:
            at = (u.times[k - 1][1] + u.times[k][0]) / 2 + offset
            waves += [_cut(u.wave, 0.0, at), _cut(u.wave, at, len(u.wave) / RATE)]
            expected += [" ".join(u.words[:k]), " ".join(u.words[k:])]
        texts = transcribe_waves(loaded, waves)
        last = sum(t.split()[-1:] == e.split()[-1:] for t, e in zip(texts[0::2], expected[0::2]))
        first = sum(t.split()[:1] == e.split()[:1] for t, e in zip(texts[1::2], expected[1::2]))
        cer = error_rates(expected, texts)["cer"]
        print(f"  cut at the gap's middle {1000 * offset:+4.0f} ms: word before the cut right {last:3d}, "
              f"word after it {first:3d} of {len(cuts)}; CER of the halves {100 * cer:.2f}%")


def _cut(wave: torch.Tensor, start: float, end: float) -> torch.Tensor:
    return wave[round(start * RATE):round(end * RATE)]


def _spread(durations: list[float]) -> str:
    q = statistics.quantiles(durations, n=4)
    return (f"mean {statistics.mean(durations):.3f} s, sd {statistics.stdev(durations):.3f}, min {min(durations):.3f}, "
            f"quartiles {q[0]:.3f} / {q[1]:.3f} / {q[2]:.3f}, max {max(durations):.3f}")


def _check(status: int) -> None:
    if status != 0:
        sys.exit(status)


STAGES = {1: prepare, 2: train, 3: align, 4: report}


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("exp_align"))
    parser.add_argument("--stage", type=int, default=1)
    parser.add_argument("--stop-stage", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=11.0, help="training wall-clock budget")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the machine's cores are shared with other runs
    for number, stage in STAGES.items():
        done = args.out / f".stage{number}.done"
        if not args.stage <= number <= args.stop_stage:
            continue
        if done.exists() and number < 4:
            print(f"stage {number} ({stage.__name__}): done before ({done})")
            continue
        print(f"stage {number}: {stage.__name__}", flush=True)
        stage(args.out, args.minutes) if stage is train else stage(args.out)
        done.parent.mkdir(parents=True, exist_ok=True)
        done.touch()


if __name__ == "__main__":
    run()
