"""Plan and write a synthetic corpus in LibriSpeech layout.

    OUT/SUBSET/SPEAKER/CHAPTER/SPEAKER-CHAPTER-UTT.flac
    OUT/SUBSET/SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt   ("SPEAKER-CHAPTER-UTT TEXT", upper case)
    OUT/voices.json                                          (speaker id -> voice, subsets)

Subsets: train, dev, test and, when asked for, test-open (unseen words) and
test-natural (hand-written everyday sentences, read by the test voices). Texts are
distinct across train/dev/test/test-natural. Everything (texts, voices, speeds,
pitches) follows from the seed alone: each subset draws its texts from its own
`random.Random`, and each utterance its prosody from one seeded by (seed, subset,
index), so results do not depend on worker scheduling.
"""

from __future__ import annotations

import json
import random
import shutil
import time
import zlib
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

from asr.data.synth import tts
from asr.data.synth.natural import NATURAL_SENTENCES
from asr.data.synth.sentences import generate_sentences, open_vocabulary_sentences, spelling_sentences
from asr.data.synth.voices import Voice, all_voices, subset_voices
from asr.errors import UserError
from asr.utils.progress import progress as show_progress

SUBSETS = ("train", "dev", "test", "test-open", "test-natural")
# Chapter id = speaker * 10 + this code, so utterance ids are unique across subsets.
_SUBSET_CODE = {"train": 1, "dev": 2, "test": 3, "test-open": 4, "test-natural": 5}


@dataclass(frozen=True)
class Utterance:
    """One planned recording."""

    subset: str
    speaker: int
    chapter: int
    index: int  # position within its chapter
    text: str  # lower case, words separated by single spaces
    voice: str  # espeak-ng -v
    speed: int
    pitch: int

    @property
    def utt_id(self) -> str:
        return f"{self.speaker}-{self.chapter}-{self.index:04d}"

    def path(self, out_dir: Path) -> Path:
        """Where the FLAC goes."""
        return out_dir / self.subset / str(self.speaker) / str(self.chapter) / f"{self.utt_id}.flac"


def plan_texts(seed: int, n_train: int, n_dev: int, n_test: int, n_open: int,
               n_spelling: int = 0, n_natural: int = 0) -> dict[str, list[str]]:
    """Texts per subset. Test is drawn first, so it stays the same whatever `n_train` is.

    Train holds `n_train` template sentences, then `n_spelling` spelling sentences; test-natural
    the first `n_natural` of `NATURAL_SENTENCES`.
    """
    if n_natural > len(NATURAL_SENTENCES):
        raise UserError(f"there are {len(NATURAL_SENTENCES)} natural sentences, not {n_natural}")
    natural = set(NATURAL_SENTENCES)
    test = generate_sentences(n_test, seed=f"{seed}-test", exclude=natural)
    dev = generate_sentences(n_dev, seed=f"{seed}-dev", exclude=set(test) | natural)
    train = generate_sentences(n_train, seed=f"{seed}-train", exclude=set(test) | set(dev) | natural)
    train += spelling_sentences(n_spelling, seed=f"{seed}-spelling")
    texts = {"train": train, "dev": dev, "test": test}
    if n_open > 0:
        texts["test-open"] = open_vocabulary_sentences(n_open, seed=f"{seed}-open")
    if n_natural > 0:
        texts["test-natural"] = list(NATURAL_SENTENCES[:n_natural])
    return texts


def plan_subset(subset: str, texts: list[str], seed: int) -> list[Utterance]:
    """Give each text a voice (round robin, so speakers are balanced) and a prosody."""
    voices: tuple[Voice, ...] = subset_voices(subset)
    per_speaker: dict[int, int] = {}
    plan = []
    for i, text in enumerate(texts):
        voice = voices[i % len(voices)]
        speed, pitch = voice.prosody(random.Random(f"{seed}-{subset}-{i}"))
        index = per_speaker.get(voice.speaker, 0)
        per_speaker[voice.speaker] = index + 1
        chapter = voice.speaker * 10 + _SUBSET_CODE[subset]
        plan.append(Utterance(subset, voice.speaker, chapter, index, text, voice.espeak, speed, pitch))
    return plan


def _synthesize(utt_and_dir: tuple[Utterance, Path]) -> tuple[str, str, int]:
    """Pool worker: speak one utterance and write its FLAC; returns (subset, id, n_samples)."""
    utt, out_dir = utt_and_dir
    audio = tts.speak(utt.text, utt.voice, utt.speed, utt.pitch)
    audio = tts.add_noise_floor(audio, seed=zlib.crc32(utt.utt_id.encode()))
    tts.write_flac(utt.path(out_dir), audio)
    return utt.subset, utt.utt_id, len(audio)


def _clear_old_output(out_dir: Path) -> None:
    """Remove subsets a previous run wrote, so a re-run leaves no stale files.

    Only directories under an `out_dir` that holds our voices.json are removed; a
    folder that looks like someone else's corpus is refused instead.
    """
    existing = [out_dir / s for s in SUBSETS if (out_dir / s).exists()]
    if existing and not (out_dir / "voices.json").exists():
        raise UserError(f"{existing[0]} exists and was not written by 'asr synth'; choose an empty --out")
    for path in existing:
        shutil.rmtree(path)


def _write_transcripts(out_dir: Path, plan: list[Utterance]) -> None:
    """One SPEAKER-CHAPTER.trans.txt per chapter, lines sorted by utterance id."""
    chapters: dict[Path, list[Utterance]] = {}
    for utt in plan:
        chapters.setdefault(utt.path(out_dir).parent, []).append(utt)
    for folder, utts in chapters.items():
        lines = [f"{u.utt_id} {u.text.upper()}\n" for u in sorted(utts, key=lambda u: u.utt_id)]
        (folder / f"{utts[0].speaker}-{utts[0].chapter}.trans.txt").write_text("".join(lines))


def _write_voices(out_dir: Path, plan: list[Utterance]) -> dict[str, dict]:
    """voices.json: speaker id -> voice description and the subsets that use it."""
    subsets: dict[int, set[str]] = {}
    for utt in plan:
        subsets.setdefault(utt.speaker, set()).add(utt.subset)
    voices = {str(v.speaker): {**v.describe(), "subsets": [s for s in SUBSETS if s in subsets[v.speaker]]}
              for v in all_voices() if v.speaker in subsets}
    (out_dir / "voices.json").write_text(json.dumps(voices, indent=2) + "\n")
    return voices


def _summary(plan: list[Utterance], samples: dict[str, int], voices: dict, elapsed: float) -> dict:
    """Counts, audio hours, distinct words and speakers per subset, plus timing."""
    subsets = {}
    for subset in SUBSETS:
        utts = [u for u in plan if u.subset == subset]
        if not utts:
            continue
        seconds = sum(samples[u.utt_id] for u in utts) / tts.SAMPLE_RATE
        subsets[subset] = {
            "utterances": len(utts),
            "hours": seconds / 3600,
            "seconds": seconds,
            "distinct_words": len({w for u in utts for w in u.text.split()}),
            "speakers": sorted({u.speaker for u in utts}),
        }
    total_s = sum(s["seconds"] for s in subsets.values())
    return {
        "subsets": subsets,
        "distinct_words": len({w for u in plan if u.subset in ("train", "dev", "test") for w in u.text.split()}),
        "voices": voices,
        "elapsed_s": elapsed,
        "utterances_per_s": len(plan) / max(elapsed, 1e-9),
        "audio_s_per_s": total_s / max(elapsed, 1e-9),
    }


def generate_corpus(out_dir: Path, *, seed: int, n_train: int, n_dev: int, n_test: int, n_open: int,
                    n_spelling: int = 0, n_natural: int = 0, workers: int = 2, progress: bool = True) -> dict:
    """Synthesise the whole corpus under `out_dir` and return a summary dict.

    The summary has per-subset ``utterances``, ``hours``, ``seconds``,
    ``distinct_words`` and ``speakers``; overall ``distinct_words`` (template
    subsets), ``voices`` (as in voices.json), ``elapsed_s``, ``utterances_per_s``
    and ``audio_s_per_s``.
    """
    if min(n_train, n_dev, n_test, n_open, n_spelling, n_natural) < 0:
        raise UserError("utterance counts must be zero or more")
    if workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    tts.espeak_path()  # fail early, before planning and clearing anything
    out_dir = Path(out_dir)
    start = time.perf_counter()
    texts = plan_texts(seed, n_train, n_dev, n_test, n_open, n_spelling, n_natural)
    plan = [u for subset, subset_texts in texts.items() for u in plan_subset(subset, subset_texts, seed)]
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_old_output(out_dir)
    samples: dict[str, int] = {}
    jobs = [(u, out_dir) for u in plan]
    with Pool(workers) as pool:
        results = pool.imap_unordered(_synthesize, jobs, chunksize=8)
        for _, utt_id, n in show_progress(results, total=len(jobs), desc="synth", unit="utt", enabled=progress):
            samples[utt_id] = n
    _write_transcripts(out_dir, plan)
    voices = _write_voices(out_dir, plan)
    return _summary(plan, samples, voices, time.perf_counter() - start)
