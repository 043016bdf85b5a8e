"""Waveforms in, text out: the one entry point from a trained model to transcripts.

`resolve_options` turns options named as on the command line into the one `DecodeOptions` a search
runs with, defaults settled by what the model can do; `TokenDecoder` routes a model's outputs to the
decoding functions of `asr.decoding` as those options say (greedy or beam; CTC, attention or joint
scores; a language model). `asr evaluate`, `asr transcribe`, the Python API (`Recognizer`) and
validation during training all decode through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch

from asr.decoding.beam_search import beam_search_nbest
from asr.decoding.ctc_greedy import ctc_greedy
from asr.decoding.ctc_prefix_beam import CTCPrefixBeamSearch
from asr.decoding.nbest import Scored
from asr.decoding.options import DecodeOptions
from asr.decoding.rescoring import rescored
from asr.errors import UserError
from asr.features.batching import map_feature_batches
from asr.model_file import LoadedModel, load_model_file
from asr.text.tokenizer import AnyTokenizer

KENLM_SUFFIXES = (".arpa", ".bin", ".binary", ".klm")
DEFAULT_LM_WEIGHT = 0.3  # when --lm comes without --lm-weight: the common starting point of shallow fusion
# Decoding options by their names on the command line and in the Python API (decode=, beam=, ...) ->
# the fields of DecodeOptions: the one mapping, used by `asr transcribe`, `asr evaluate` and `Recognizer`.
OPTION_NAMES = {"decode": "method", "beam": "beam", "ctc_weight": "ctc_weight", "lm": "lm",
                "lm_weight": "lm_weight", "length_bonus": "length_bonus", "max_len_ratio": "max_len_ratio",
                "lexicon": "lexicon", "nbest": "nbest", "coverage": "coverage"}


class Hypothesis(NamedTuple):
    """What the decoder makes of one utterance."""

    text: str
    ids: list[int]  # the decoded token ids
    attention: torch.Tensor | None  # (len(ids) + 1, encoder frames) for attention models when asked for
    log_probs: torch.Tensor | None = None  # (valid encoder frames, vocab) CTC log-probs on the CPU, when asked for
    nbest: tuple[tuple[str, float], ...] = ()  # (text, score) of the search's best hypotheses, best first


def resolve_options(model: torch.nn.Module, **named) -> DecodeOptions:
    """Options by their command-line names (None or absent: left to the model) -> the DecodeOptions a
    search runs with, every default settled once: CTC models decode greedily, LAS and joint models by
    beam 10; the CTC weight is 1 for a CTC model and for a joint model's greedy decoding (its CTC head,
    its fastest decoder), the trained λ for a joint beam search, 0 for LAS; an LM weighs 0.3 unless
    given; no coverage score unless asked for. UserError for options the model cannot take."""
    given = {name: value for name, value in named.items() if value is not None}
    options = checked_options(**({"decode": "beam", "beam": 10} if model.has_attention else {}) | given)
    lm_weight = options.lm_weight if options.lm_weight is not None else DEFAULT_LM_WEIGHT if options.lm else 0.0
    ctc_weight = _ctc_weight(model, options)
    if options.coverage and (ctc_weight == 1.0 or options.method == "rescore"):
        raise UserError("--coverage scores where the speller's attention has been: it needs a search with a "
                        "speller (LAS or joint, --ctc-weight below 1, not --decode rescore)")
    return dataclasses.replace(options, ctc_weight=ctc_weight, lm_weight=lm_weight)


def checked_options(**named) -> DecodeOptions:
    """Options by their command-line names (None or absent: the plain defaults) as DecodeOptions, without
    a model: each value checked (UserError), so the command line can refuse one before loading anything.
    TypeError for a name that is no option."""
    unknown = sorted(set(named) - set(OPTION_NAMES))
    if unknown:
        raise TypeError(f"unknown decoding option(s) {', '.join(unknown)} (known: {', '.join(OPTION_NAMES)})")
    try:
        return DecodeOptions(**{OPTION_NAMES[k]: v for k, v in named.items() if v is not None})
    except ValueError as err:
        raise UserError(str(err)) from None


def _ctc_weight(model: torch.nn.Module, options: DecodeOptions) -> float:
    """The weight of CTC scores against the speller's, as the model can take it."""
    if options.method == "rescore" and not (model.has_ctc and model.has_attention):
        raise UserError("attention rescoring needs a joint model: a CTC head to propose, a speller to rescore")
    if not model.has_attention and options.ctc_weight not in (None, 1.0):
        raise UserError("a CTC model has no attention decoder: its CTC weight is 1")
    if not model.has_ctc and options.ctc_weight not in (None, 0.0):
        raise UserError("a LAS model has no CTC head: use --ctc-weight 0 (or train a joint model)")
    if options.ctc_weight is not None:
        return options.ctc_weight
    if not model.has_attention:
        return 1.0
    # a joint model's greedy decoding reads its CTC head; LAS spells alone, even with a CTC head trained beside
    return 1.0 if model.search_ctc_weight > 0 and options.method == "greedy" else model.search_ctc_weight


class TokenDecoder:
    """Feature batches -> token ids, as `options` say. Built once: it loads the LM and sets up the searches.

    CTC weight 1 decodes the CTC head alone (greedy, or torchaudio's beam search with lexicon and
    KenLM); anything less runs the attention / joint search of `beam_search` (beam 1 for greedy).
    """

    def __init__(self, model: torch.nn.Module, tokenizer: AnyTokenizer, options: DecodeOptions):
        """options: as `resolve_options` settles them (a CTC weight and an LM weight, not None)."""
        if options.ctc_weight is None or options.lm_weight is None:
            raise ValueError("TokenDecoder takes resolved options (resolve_options)")
        self.model, self.tokenizer, self.options = model, tokenizer, options
        self.lm_step, kenlm = self._language_model(options.lm)
        self.ctc_only = options.ctc_weight == 1.0
        ctc_beam = (self.ctc_only and options.method == "beam") or options.method == "rescore"
        if (kenlm or options.lexicon) and not ctc_beam:
            raise UserError("a KenLM file or a lexicon works with CTC beam search only (--decode beam, --ctc-weight 1; "
                            "or --decode rescore)")
        if options.lm and options.method == "greedy":
            raise UserError("a language model needs --decode beam")
        self.ctc_beam = self._ctc_beam_search(kenlm) if ctc_beam else None

    @classmethod
    def for_model(cls, model: torch.nn.Module, tokenizer: AnyTokenizer, **named) -> TokenDecoder:
        """The decoder for options named as on the command line (see `resolve_options`)."""
        return cls(model, tokenizer, resolve_options(model, **named))

    def _ctc_beam_search(self, kenlm: str | None):
        """The CTC beam search: with our LSTM LM and no lexicon the batched search (asr.decoding.ctc_prefix_beam),
        which asks the LM once a frame for every hypothesis; otherwise torchaudio's, imported here (flashlight-text
        is only needed for it), which runs KenLM and lexicons in C++."""
        opts, tokenizer = self.options, self.tokenizer
        nbest = opts.beam if opts.method == "rescore" else opts.nbest
        if self.lm_step is not None and opts.lm_weight != 0 and not opts.lexicon:
            return CTCPrefixBeamSearch(blank=tokenizer.blank_id, beam=opts.beam, lm=self.lm_step, eos=tokenizer.eos_id,
                                       lm_weight=opts.lm_weight, length_bonus=opts.length_bonus, nbest=nbest)
        from asr.decoding.ctc_beam import CTCBeamSearch

        if opts.lexicon and not Path(opts.lexicon).is_file():
            raise UserError(f"lexicon not found: {opts.lexicon}")
        try:
            return CTCBeamSearch(tokenizer.symbols, blank=tokenizer.blank_id, eos=tokenizer.eos_id, beam=opts.beam,
                                 lexicon=opts.lexicon, kenlm=kenlm, lm=self.lm_step, lm_weight=opts.lm_weight,
                                 length_bonus=opts.length_bonus, nbest=nbest)
        except ValueError as err:  # a bad lexicon or language-model file
            raise UserError(str(err)) from None

    def _language_model(self, path: str | None) -> tuple[Callable | None, str | None]:
        """(LSTM LM step function or None, KenLM path or None) for --lm PATH."""
        if not path:
            return None, None
        if not Path(path).is_file():
            raise UserError(f"language model not found: {path}")
        if Path(path).suffix in KENLM_SUFFIXES:
            return None, path
        lm = load_model_file(path, next(self.model.parameters()).device)
        if lm.kind != "lstm_lm":
            raise UserError(f"{path} is a {lm.kind} model, not a language model (asr lm train)")
        if lm.tokenizer.symbols != self.tokenizer.symbols:
            raise UserError(f"{path} was trained over other tokens than the model's (train it with --tokenizer MODEL)")
        return lm.model.step, None

    @torch.inference_mode()
    def __call__(self, feats: torch.Tensor, feat_lens: torch.Tensor,
                 attention: bool = False) -> tuple[list[list[int]], list[torch.Tensor] | None]:
        """feats (B, T, F), feat_lens (B,) -> token ids per utterance, and with `attention` (attention
        models) the speller's weights over the encoder frames while it spells each result."""
        return self.decode_encoded(*self.model.encode(feats, feat_lens), attention)

    @property
    def reads_ctc(self) -> bool:
        """Whether the search reads the model's CTC log-probs."""
        return self.options.ctc_weight > 0 or self.options.method == "rescore"

    @torch.inference_mode()
    def decode_encoded(self, enc: torch.Tensor, enc_lens: torch.Tensor, attention: bool = False,
                       ctc: torch.Tensor | None = None) -> tuple[list[list[int]], list[torch.Tensor] | None]:
        """The same from the encoder's output, enc (B, T', E), enc_lens (B,); `ctc`: the model's CTC
        log-probs (B, T', V) of it when the caller has them already."""
        ids = [hyps[0].ids if hyps else [] for hyps in self.search_encoded(enc, enc_lens, ctc)]
        return ids, self.attention_of(enc, enc_lens, ids) if attention else None

    @torch.inference_mode()
    def search_encoded(self, enc: torch.Tensor, enc_lens: torch.Tensor,
                       ctc: torch.Tensor | None = None) -> list[list[Scored]]:
        """Each utterance's hypotheses from the encoder's output, best first with their scores: options.nbest
        of them from a beam search; greedy CTC's one path, scored by its log-probability."""
        opts = self.options
        if ctc is None and self.reads_ctc:
            ctc = self.model.ctc_log_probs(enc)
        if self.ctc_only and opts.method == "greedy":
            ids = ctc_greedy(ctc, enc_lens, self.tokenizer.blank_id)
            frames = torch.arange(ctc.shape[1], device=ctc.device)[None, :] < enc_lens[:, None].to(ctc.device)
            scores = ctc.max(dim=-1).values.masked_fill(~frames, 0.0).sum(dim=1).tolist()
            return [[Scored(i, s)] for i, s in zip(ids, scores, strict=True)]
        if opts.method == "rescore":
            proposals = self.ctc_beam.nbest_lists(ctc, enc_lens)
            rows = [b for b, hyps in enumerate(proposals) for _ in hyps]
            seqs = [h.ids for hyps in proposals for h in hyps]
            attention = self.model.sequence_log_probs(enc[rows], enc_lens[rows], seqs).tolist() if seqs else []
            return rescored(proposals, attention, opts.ctc_weight, opts.nbest)
        if self.ctc_beam is not None:
            return self.ctc_beam.nbest_lists(ctc, enc_lens)
        max_lens = (enc_lens.float() * opts.max_len_ratio).ceil().clamp_min(1).long()
        return beam_search_nbest(
            batch=len(enc), vocab=len(self.tokenizer), sos=self.tokenizer.eos_id, eos=self.tokenizer.eos_id,
            max_lens=max_lens, beam=1 if opts.method == "greedy" else opts.beam, nbest=opts.nbest,
            decoder=self.model.decoder_step, decoder_state=self.model.decoder_state(enc, enc_lens),
            ctc_log_probs=ctc if self.reads_ctc else None, ctc_lens=enc_lens, ctc_weight=opts.ctc_weight,
            blank=self.tokenizer.blank_id, lm=self.lm_step, lm_weight=opts.lm_weight,
            length_bonus=opts.length_bonus, length_norm=opts.length_norm, coverage=opts.coverage,
            attention_of=self.model.decoder_attention if opts.coverage else None)

    def attention_of(self, enc: torch.Tensor, enc_lens: torch.Tensor,
                     ids: list[list[int]]) -> list[torch.Tensor] | None:
        """The speller's weights over the encoder frames while it spells each of `ids` (attention models)."""
        return self.model.attention_weights(enc, enc_lens, ids) if self.model.has_attention else None


def transcribe_waves(loaded: LoadedModel, waves: Sequence[torch.Tensor], decoder: TokenDecoder | None = None,
                     max_batch_seconds: float = 200.0, max_batch_size: int = 32) -> list[str]:
    """Transcripts of 1-D waveforms at the model's sample rate, in input order (default decoding of the
    model's kind unless a `decoder` is given)."""
    return [h.text for h in decode_waves(loaded, waves, decoder, max_batch_seconds, max_batch_size)]


@torch.inference_mode()
def decode_waves(loaded: LoadedModel, waves: Sequence[torch.Tensor], decoder: TokenDecoder | None = None,
                 max_batch_seconds: float = 200.0, max_batch_size: int = 32,
                 attention: bool = False, log_probs: bool = False) -> list[Hypothesis]:
    """Hypotheses of 1-D waveforms, in input order, with their token ids, (with `attention`, for
    attention models) the speller's attention weights and (with `log_probs`, for models with a CTC
    head) the CTC log-probs that time their words (`asr.transcription.timestamps`).

    Waves are batched in order of length so that padding stays small; the encoder ignores
    padding, so a transcript does not depend on which other files share its batch.
    """
    decoder = decoder or TokenDecoder.for_model(loaded.model, loaded.tokenizer)
    model, tokenizer = loaded.model, loaded.tokenizer
    log_probs = log_probs and model.has_ctc

    def decode(feats: torch.Tensor, feat_lens: torch.Tensor) -> list[Hypothesis]:
        enc, enc_lens = model.encode(feats, feat_lens)
        ctc = model.ctc_log_probs(enc) if log_probs or decoder.reads_ctc else None  # (B, T', V), once
        lists = decoder.search_encoded(enc, enc_lens, ctc)
        ids = [hyps[0].ids if hyps else [] for hyps in lists]
        weights = decoder.attention_of(enc, enc_lens, ids) if attention else None
        return [Hypothesis(tokenizer.decode(ids[k]), ids[k], weights[k] if weights is not None else None,
                           ctc[k, :enc_lens[k]].float().cpu() if log_probs else None,
                           tuple((tokenizer.decode(h.ids), h.score) for h in lists[k])) for k in range(len(ids))]

    return map_feature_batches(loaded.features, waves, decode, max_batch_seconds, max_batch_size,
                               next(model.parameters()).device)
