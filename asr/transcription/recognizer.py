"""A model file ready to transcribe: files, file objects, arrays, lists of them, recordings of any length.

  import asr
  model = asr.load_model("exp/mini/model.pt")
  result = model.transcribe("talk.flac")             # TranscriptionResult: text, segments, words
  results = model.transcribe(["a.wav", "b.flac"])    # a list; short files are decoded in batches
  result = model.transcribe(samples, sample_rate=8000, decode="beam", beam=10)   # the rate is never assumed

Every mistake in what it is given is one `asr.UserError` line; for a list, `asr.TranscriptionErrors` (a
UserError) comes after every input was tried and holds each one's result or error in `.results`.
What counts as an input is checked in `asr.transcription.inputs`.

Audio no longer than `max_chunk` seconds is decoded whole, as one segment. Longer audio is read a
block at a time, cut at pauses (`asr.transcription.chunking`, with Silero's voice-activity detector) and decoded a
batch of pieces at a time, so memory does not grow with its length. Every piece goes through the
one decoding path (`asr.transcription.decoder.decode_waves`), and words are timed by aligning the decoded
ids to the model's CTC output (`asr.transcription.timestamps`); LAS models, which have no CTC head, give words
without times and cut long audio without overlap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import torch

from asr.data.audio import checked_sample_rate, too_short
from asr.decoding.ctc_prefix_beam import CTCPrefixBeamSearch
from asr.errors import TranscriptionErrors, UserError
from asr.model_file import LoadedModel, load_model_file
from asr.models.kinds import ACOUSTIC_KINDS
from asr.transcription.chunking import Chunk, Chunker, ChunkingOptions, check_max_chunk
from asr.transcription.decoder import KENLM_SUFFIXES, TokenDecoder, decode_waves
from asr.transcription.inputs import (
    Audio,
    Source,
    as_inputs,
    display_name,
    source_of,
)
from asr.transcription.results import Alternative, Segment, Token, TranscriptionResult, Word
from asr.transcription.streaming import PAUSE_SECONDS, StreamEvent, check_streamable, transcribe_stream
from asr.transcription.timestamps import FrameClock, timed_words
from asr.utils.progress import progress as show_progress

BATCH_SECONDS = 200.0  # audio decoded at once (padded), as `asr evaluate`: a few hundred MB for a BiLSTM
BATCH_SIZE = 32
BLOCK_SECONDS = 30.0  # audio read at a time from a long file
# oneDNN's LSTM (torch's default on the CPU) spends seconds preparing kernels over a process's first
# calls, ATen's runs at once at about a tenth of its speed: below this much audio in a process's first
# batch ATen is the faster (one 4.4 s file: 0.3 s instead of 3-9 s; recipes/mini/README.md has the figures).
ONEDNN_AFTER_SECONDS = 30.0


def load_model(path: str | Path, device: str | torch.device = "cpu") -> Recognizer:
    """A CTC, LAS or joint model file written by `asr train`, ready to transcribe."""
    return Recognizer(load_model_file(path, device).require(ACOUSTIC_KINDS, path, "transcribe audio"))


class Recognizer:
    """`transcribe(audio, **decode_options)`; `transcribe_each` for many inputs that may fail one by one."""

    def __init__(self, loaded: LoadedModel):
        self.loaded = loaded
        self.sample_rate = loaded.features.cfg.sample_rate
        self.timed = loaded.model.has_ctc  # a CTC head to align the output with
        self.clock = FrameClock.of(loaded)
        self._decoders: dict[tuple, TokenDecoder] = {}
        self._detector = None
        self._onednn = False  # whether this recogniser has decoded with oneDNN (and so paid its start)

    def decoder(self, **options) -> TokenDecoder:
        """The decoder for options named as on the command line (decode="beam", beam=10, lm=...;
        None or absent: the model's default; see `decoder.resolve_options`), built once per set of options."""
        key = tuple(sorted((k, v) for k, v in options.items() if v is not None))
        if key not in self._decoders:
            self._decoders[key] = TokenDecoder.for_model(self.loaded.model, self.loaded.tokenizer, **options)
        return self._decoders[key]

    def transcribe(self, audio: Audio | Sequence[Audio], *, sample_rate: float | None = None,
                   max_chunk: float = 30.0, progress: bool = False,
                   **decode_options) -> TranscriptionResult | list[TranscriptionResult]:
        """Transcribe one input, or a list (or tuple) of them into a list of results, in order.

        An input is a path, a binary file object (open(path, "rb"), io.BytesIO(data)), or a numpy array or torch
        tensor of samples (shape (n,), (n, channels) or (channels, n), at most 8 channels; float in [-1, 1]
        or int16/int32 PCM) whose rate `sample_rate` must give: none is assumed. A plain list of numbers is
        refused as ambiguous (numpy.asarray(samples) makes it one recording). `asr.transcription.inputs` has
        the details.

        max_chunk: longer audio is cut at pauses into pieces of at most this many seconds (0: never)
        progress : a progress bar on stderr for long audio
        decode_options: decode ("greedy" or "beam"), beam, ctc_weight, lm, lm_weight, length_bonus,
                   max_len_ratio, lexicon, nbest (each segment's `alternatives`), as `asr transcribe --help`
                   describes them
        Raises:
            UserError (asr.UserError): anything that is not audio this model can hear, in one line: a
                missing or unreadable file, a wrong type, shape, dtype or rate, NaN samples, less audio
                than one analysis frame (25 ms by default), a decoding option's value out of range.
            TranscriptionErrors (a UserError): for a list, after every input was tried, when some failed;
                its `.results` holds each input's TranscriptionResult or UserError, so nothing is lost.
        """
        items, single = as_inputs(audio, sample_rate)
        decoder = self.decoder(**decode_options)
        outcomes = [outcome for _, outcome in self.transcribe_each(items, decoder, sample_rate, max_chunk, progress)]
        if single and isinstance(outcomes[0], UserError):
            raise outcomes[0]
        if any(isinstance(outcome, UserError) for outcome in outcomes):
            raise TranscriptionErrors(outcomes)
        return outcomes[0] if single else outcomes

    def stream(self, blocks: Iterable, *, sample_rate: float, pause: float = PAUSE_SECONDS, fresh: bool = True,
               **decode_options) -> Iterator[StreamEvent]:
        """Partial and final results of audio that arrives a block at a time (`asr.transcription.streaming`).

        blocks       : sample arrays (float in [-1, 1], mono), of any length, e.g. from a microphone
        sample_rate  : theirs; other rates than the model's are resampled as they come
        pause        : seconds of silence (blank output) after which a segment's result is final
        fresh        : after a final and silence, restart the encoder's state and the running feature mean (False:
                       carry them on, and decode exactly as the whole recording would be)
        decode_options: decode ("greedy" or "beam"), beam, lm (an LSTM LM), lm_weight, length_bonus
        Raises UserError for a model that cannot stream (a whole-utterance encoder, no CTC head) or options
        a stream cannot take.
        """
        check_streamable(self.loaded, "this model")
        rate = checked_sample_rate(sample_rate)
        search = None
        if decode_options.get("decode") == "rescore" or decode_options.get("lexicon") or \
                Path(decode_options.get("lm") or "").suffix in KENLM_SUFFIXES:
            raise UserError("a stream is decoded by greedy CTC or CTC beam search, with an LSTM LM at most "
                            "(no rescoring, lexicon or KenLM)")
        decoder = self.decoder(**decode_options)
        options = decoder.options
        if options.method == "beam":
            tokenizer = self.loaded.tokenizer
            search = CTCPrefixBeamSearch(blank=tokenizer.blank_id, beam=options.beam, lm=decoder.lm_step,
                                         eos=tokenizer.eos_id, lm_weight=options.lm_weight,
                                         length_bonus=options.length_bonus)
        return transcribe_stream(self.loaded, blocks, rate, search, pause, fresh=fresh)

    def transcribe_each(self, items: Iterable[Audio], decoder: TokenDecoder, sample_rate: float | None = None,
                        max_chunk: float = 30.0, progress: bool | None = False
                        ) -> Iterator[tuple[Audio, TranscriptionResult | UserError]]:
        """(item, its result or the UserError that stopped it) for each item, in order.

        Short items are gathered and decoded in batches; a long one is decoded on its own, in pieces.
        progress None: a bar on a terminal, a line every 15 s in a log (asr.utils.progress); False: nothing.
        Raises UserError (before any item) for a bad sample_rate or max_chunk: they concern every item.
        """
        check_max_chunk(max_chunk)
        rate = None if sample_rate is None else checked_sample_rate(sample_rate)
        batch: list[tuple[Audio, torch.Tensor]] = []
        for item in items:
            try:
                source = source_of(item, rate)
                if max_chunk and source.duration > max_chunk:
                    yield from self._flush(batch, decoder)
                    batch = []
                    blocks = source.blocks(self.sample_rate, BLOCK_SECONDS)
                    yield item, self._long(blocks, source.duration, decoder, max_chunk, progress, display_name(source))
                    continue
                batch.append((item, self._whole(source)))
            except UserError as err:
                yield from self._flush(batch, decoder)
                batch = []
                yield item, err
                continue
            if len(batch) >= BATCH_SIZE or sum(len(w) for _, w in batch) >= BATCH_SECONDS * self.sample_rate:
                yield from self._flush(batch, decoder)
                batch = []
        yield from self._flush(batch, decoder)

    def _whole(self, source: Source) -> torch.Tensor:
        """A short input's waveform at the model's rate; refused when it is shorter than one feature frame,
        which would leave the encoder nothing to read (a torch RuntimeError once)."""
        wave = source.wave(self.sample_rate)
        if self.loaded.features.num_frames(len(wave)) == 0:
            raise too_short(source.name, source.num_samples, source.rate,
                            self.loaded.features.cfg.win_length / self.sample_rate)
        return wave

    def _flush(self, batch: list[tuple[Audio, torch.Tensor]], decoder: TokenDecoder
               ) -> Iterator[tuple[Audio, TranscriptionResult]]:
        """Decode short items whole: each is one segment."""
        if not batch:
            return
        whole = [Chunk(0, wave, 0.0, len(wave) / self.sample_rate) for _, wave in batch]
        for (item, wave), (segments, words, tokens) in zip(batch, self._decode(whole, decoder)):
            yield item, _result(segments, words, tokens, len(wave) / self.sample_rate)

    def _long(self, blocks: Iterable[torch.Tensor], duration: float, decoder: TokenDecoder, max_chunk: float,
              progress: bool | None, name: str) -> TranscriptionResult:
        """A long recording, a block at a time: pieces are decoded as soon as a batch of them is ready."""
        chunker = Chunker(*self._detector_for_chunking(), ChunkingOptions.for_max_chunk(max_chunk, self.timed))
        parts: list[tuple[list[Segment], list[Word], list[Token]]] = []
        pending: list[Chunk] = []
        with show_progress(total=round(duration, 1), unit="s", desc=name, enabled=progress is not False,
                           leave=False) as bar:
            for block in blocks:
                pending += chunker.feed(block)
                if len(pending) >= BATCH_SIZE or sum(len(c.wave) for c in pending) >= BATCH_SECONDS * self.sample_rate:
                    parts += self._decode(pending, decoder)
                    pending = []
                bar.update(round(len(block) / self.sample_rate, 1))
            parts += self._decode(pending + chunker.finish(), decoder)
        return _result([s for p in parts for s in p[0]], [w for p in parts for w in p[1]],
                       [t for p in parts for t in p[2]], duration)

    def _detector_for_chunking(self):
        if self._detector is None:
            from asr.transcription.vad import (
                SpeechDetector,  # imported here: loading it takes a second, short files never need it
            )

            self._detector = SpeechDetector(self.sample_rate)
        d = self._detector
        return d, self.sample_rate, d.window

    def _decode(self, chunks: list[Chunk], decoder: TokenDecoder) -> list[tuple[list[Segment], list[Word], list[Token]]]:
        """Each piece's segment (none if it holds no words), words and tokens, owned by it alone."""
        if not chunks:
            return []
        seconds = sum(len(c.wave) for c in chunks) / self.sample_rate
        self._onednn = self._onednn or seconds >= ONEDNN_AFTER_SECONDS
        with _onednn(self._onednn):
            hypotheses = decode_waves(self.loaded, [c.wave for c in chunks], decoder, BATCH_SECONDS, BATCH_SIZE,
                                       log_probs=self.timed)
        out, nbest = [], decoder.options.nbest > 1
        for chunk, hypothesis in zip(chunks, hypotheses):
            start, end = chunk.start / self.sample_rate, (chunk.start + len(chunk.wave)) / self.sample_rate
            words, tokens = timed_words(hypothesis.log_probs, hypothesis.ids, self.loaded.tokenizer, self.clock,
                                        len(chunk.wave), start)
            if self.timed and words and words[0].start is not None:
                words = [w for w in words if chunk.owns(w.start, w.end)]
                tokens = [t for t in tokens if words and words[0].start <= (t.start + t.end) / 2 <= words[-1].end]
                start, end = (words[0].start, words[-1].end) if words else (start, end)
            else:
                start, end = max(start, chunk.keep_from), min(end, chunk.keep_to)
            text = " ".join(w.word for w in words)
            alternatives = tuple(Alternative(t, score) for t, score in hypothesis.nbest) if nbest else ()
            out.append(([Segment(start, end, text, alternatives)] if text else [], words, tokens))
        return out


@contextlib.contextmanager
def _onednn(enabled: bool) -> Iterator[None]:
    """oneDNN on or off for the CPU kernels run inside (set directly: torch's `flags()` warns about TF32)."""
    before = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = enabled and before
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = before


def _result(segments: list[Segment], words: list[Word], tokens: list[Token], duration: float) -> TranscriptionResult:
    return TranscriptionResult(" ".join(s.text for s in segments), segments, words, tokens, duration)

