"""Waveforms and their transcripts in, word segments in seconds out: forced alignment with a model's CTC head.

`WordAligner(loaded)` checks once that the model can align (a CTC or joint model over characters or
words), then `aligner(waves, texts)` gives each utterance its words with start and end times, or the
reason it could not be aligned. Transcripts are normalised and tokenised as in training; a word the
tokenizer cannot spell (a character outside the vocabulary, a word outside a word model's list)
leaves the utterance unaligned rather than aligning a transcript with a hole in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch

from asr.decoding.forced_alignment import TooLongToAlign, word_spans
from asr.errors import UserError
from asr.features.batching import map_feature_batches
from asr.model_file import LoadedModel
from asr.text.normalize import normalize_text
from asr.text.tokenizer import SPACE
from asr.transcription.results import Word
from asr.transcription.timestamps import FrameClock

# Why an utterance was not aligned -> what the summary calls it.
PROBLEMS = {
    "no_text": "empty transcript",
    "vocabulary": "words the model cannot spell",
    "too_short": "audio too short for its transcript",
    "too_long": "audio too long to align in one piece",
}


class Alignment(NamedTuple):
    words: list[Word]  # the transcript's words in order, timed in seconds from the waveform's start;
    # confidence: mean probability of the word's tokens on their frames. Empty when `problem` is set
    problem: str | None = None  # a key of PROBLEMS
    detail: str = ""  # for people: which words, how many frames


class WordAligner:
    """Word segments of waveforms at the model's sample rate, from the forced alignment of their transcripts."""

    def __init__(self, loaded: LoadedModel, source: str = "the model", max_batch_seconds: float = 200.0,
                 max_batch_size: int = 32):
        """source: how messages name the model (its file)."""
        if not loaded.model.has_ctc:
            raise UserError(f"{source} is a {loaded.kind} model: it cannot cut words by CTC forced alignment "
                            "(that needs ctc, joint)")
        tokenizer = loaded.tokenizer
        if tokenizer.kind not in ("char", "word"):
            raise UserError(f"asr align needs a model over characters or words; this one's tokens are "
                            f"{tokenizer.kind} pieces, whose word boundaries it cannot place")
        if tokenizer.kind == "char" and SPACE not in tokenizer.symbols:
            raise UserError(f"the model's characters have no word separator {SPACE!r}")
        self.loaded = loaded
        self.separator = tokenizer.symbols.index(SPACE) if tokenizer.kind == "char" else None
        self.max_batch_seconds, self.max_batch_size = max_batch_seconds, max_batch_size
        self.sample_rate = loaded.features.cfg.sample_rate
        self.clock = FrameClock.of(loaded)  # segments tile the audio: see FrameClock

    def __call__(self, waves: Sequence[torch.Tensor], texts: Sequence[str]) -> list[Alignment]:
        """waves: 1-D tensors (samples,) at the model's rate; texts: their transcripts, as the corpus wrote them."""
        if len(waves) != len(texts):
            raise ValueError(f"{len(waves)} waveforms but {len(texts)} transcripts")
        results: list[Alignment | None] = [None] * len(waves)
        tokens: dict[int, tuple[list[str], list[int]]] = {}
        for i, text in enumerate(texts):
            words, ids, problem = self.tokens(text)
            if problem:
                results[i] = problem
            else:
                tokens[i] = (words, ids)
        todo = sorted(tokens)
        for i, (log_probs, frames) in zip(todo, self.ctc_log_probs([waves[i] for i in todo])):
            results[i] = self._align(log_probs, frames, len(waves[i]), *tokens[i])
        return results

    def tokens(self, text: str) -> tuple[list[str], list[int], Alignment | None]:
        """A transcript's normalised words and token ids, or why it cannot be aligned."""
        normal = normalize_text(text)
        tokenizer = self.loaded.tokenizer
        ids = tokenizer.encode(normal)
        if not ids:
            return [], [], Alignment([], "no_text")
        # A tokenizer drops or maps to <unk> what it cannot spell; then decoding does not give the text back.
        if tokenizer.decode(ids) != normal:
            bad = sorted({w for w in normal.split() if tokenizer.decode(tokenizer.encode(w)) != w})
            return [], [], Alignment([], "vocabulary", " ".join(bad))
        return normal.split(), ids, None

    @torch.inference_mode()
    def ctc_log_probs(self, waves: Sequence[torch.Tensor]) -> list[tuple[torch.Tensor, int]]:
        """Each waveform's CTC log-probs (encoder frames, vocab) on the CPU, and its number of valid frames.

        Waves are batched in order of length; the encoder ignores padding, so the result of one does not
        depend on the others in its batch.
        """
        model = self.loaded.model

        def log_probs(feats: torch.Tensor, feat_lens: torch.Tensor) -> list[tuple[torch.Tensor, int]]:
            enc, enc_lens = model.encode(feats, feat_lens)
            ctc = model.ctc_log_probs(enc)  # (B, T', V)
            return [(ctc[k].float().cpu(), int(enc_lens[k])) for k in range(len(ctc))]

        return map_feature_batches(self.loaded.features, waves, log_probs, self.max_batch_seconds,
                                   self.max_batch_size, next(model.parameters()).device)

    def _align(self, log_probs: torch.Tensor, frames: int, samples: int, words: list[str],
               ids: list[int]) -> Alignment:
        """One utterance: its frames' log-probs (T, V), valid frames and samples, words and token ids."""
        try:
            spans = word_spans(log_probs, frames, ids, self.loaded.tokenizer.blank_id, self.separator)
        except TooLongToAlign as err:
            return Alignment([], "too_long", str(err))
        except ValueError as err:  # fewer frames than the transcript needs
            return Alignment([], "too_short", str(err))
        if len(spans) != len(words):  # cannot happen for char and word tokenizers; say so if it does
            raise RuntimeError(f"aligned {len(spans)} words for a transcript of {len(words)}")
        return Alignment([Word(self.seconds(s.start, frames, samples), self.seconds(s.end, frames, samples),
                               words[s.word], s.score) for s in spans])

    def seconds(self, frame: int, frames: int, samples: int) -> float:
        """The time of the boundary before encoder frame `frame` of `frames` in a wave of `samples`:
        0 for the first frame, the end of the audio after the last."""
        return self.clock.seconds(frame, frames, samples)
