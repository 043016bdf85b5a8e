"""The decoder entry point on small hand-built models: options resolved once from what a model can do,
each search routed as those options say, and the CTC log-probs computed once a batch.

A hand-built model's features are its encoder frames and its CTC logits, and its speller spells a fixed
script whatever it hears, so every expected output below is known by hand.
"""

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from asr.errors import UserError
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.model_file import LoadedModel
from asr.models.attention_model import AttentionModel, AttentionModelConfig
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.models.rnn_encoder import EncoderConfig
from asr.text.tokenizer import Tokenizer
from asr.transcription.decoder import OPTION_NAMES, TokenDecoder, decode_waves, resolve_options

TOKENS = Tokenizer("char", ("<blank>", "|", "a", "b", "c", "<sos/eos>"))
BLANK, SPACE, A, B, C, EOS = range(6)


class HandBuilt(nn.Module):
    """encode: the features are the frames; ctc_log_probs: their log-softmax; the speller gives `script`'s next
    token probability 0.9 at every step (its state counts the steps), whatever the frames say."""

    def __init__(self, has_ctc: bool, has_attention: bool, ctc_weight: float = 0.5, script: tuple[int, ...] = (),
                 ctc_in_search: bool = True):
        super().__init__()
        self.has_ctc, self.has_attention = has_ctc, has_attention
        self.cfg = SimpleNamespace(ctc_weight=ctc_weight if has_ctc and has_attention else 0.0)
        self.search_ctc_weight = self.cfg.ctc_weight if ctc_in_search else 0.0
        self.script = torch.tensor([*script, EOS])
        self.anchor = nn.Parameter(torch.zeros(1))  # where the decoder finds the device
        self.ctc_calls = 0

    @property
    def kind(self) -> str:
        return "joint" if self.search_ctc_weight else "ctc" if self.has_ctc and not self.has_attention else "las"

    def encode(self, feats: torch.Tensor, lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return feats, lens

    def ctc_log_probs(self, enc: torch.Tensor) -> torch.Tensor | None:
        self.ctc_calls += 1
        return enc.log_softmax(-1) if self.has_ctc else None

    def decoder_state(self, enc: torch.Tensor, enc_lens: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(enc), dtype=torch.long)

    def decoder_step(self, tokens: torch.Tensor, steps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_probs = torch.full((len(tokens), len(TOKENS)), math.log(0.1 / (len(TOKENS) - 1)))
        log_probs[torch.arange(len(tokens)), self.script[steps.clamp(max=len(self.script) - 1)]] = math.log(0.9)
        return log_probs, steps + 1

    def attention_weights(self, enc: torch.Tensor, enc_lens: torch.Tensor, ids: list[list[int]]) -> list[torch.Tensor]:
        return [torch.full((len(i) + 1, int(n)), 1.0 / int(n)) for i, n in zip(ids, enc_lens)]


def _frames(path: list[int], sharpness: float = 8.0) -> torch.Tensor:
    """CTC logits (1, T, V) whose best path is `path`."""
    logits = torch.zeros(1, len(path), len(TOKENS))
    logits[0, torch.arange(len(path)), torch.tensor(path)] = sharpness
    return logits


def test_options_settle_by_what_the_model_can_do() -> None:
    ctc, las, joint = HandBuilt(True, False), HandBuilt(False, True), HandBuilt(True, True, ctc_weight=0.4)
    assert (resolve_options(ctc).method, resolve_options(ctc).ctc_weight) == ("greedy", 1.0)
    las_options = resolve_options(las)
    assert (las_options.method, las_options.beam, las_options.ctc_weight) == ("beam", 10, 0.0)
    assert resolve_options(joint).ctc_weight == 0.4  # beam search weighs CTC as the model was trained
    assert resolve_options(joint, decode="greedy").ctc_weight == 1.0  # greedy reads its CTC head
    assert resolve_options(joint, decode="greedy", ctc_weight=0.2).ctc_weight == 0.2
    las_with_ctc = HandBuilt(True, True, ctc_weight=0.4, ctc_in_search=False)  # a CTC loss beside its speller
    assert resolve_options(las_with_ctc).ctc_weight == 0.0  # ... decoded by the speller alone
    assert resolve_options(las_with_ctc, decode="greedy").ctc_weight == 0.0
    assert resolve_options(las_with_ctc, ctc_weight=0.3).ctc_weight == 0.3  # or jointly, when asked
    assert resolve_options(ctc, beam=4).method == "greedy" and resolve_options(ctc, beam=4).beam == 4
    assert resolve_options(ctc, decode="beam", lm="lm.pt").lm_weight == 0.3
    assert resolve_options(ctc, decode="beam", lm="lm.pt", lm_weight=0.7).lm_weight == 0.7
    assert resolve_options(ctc).lm_weight == 0.0
    assert (resolve_options(las).coverage, resolve_options(las, coverage=0.5).coverage) == (0.0, 0.5)
    assert resolve_options(ctc, beam=None, lm=None) == resolve_options(ctc)  # None is "not given"
    assert resolve_options(las, decode=None, beam=None) == resolve_options(las)  # as the CLI passes every name
    assert set(OPTION_NAMES) == {"decode", "beam", "ctc_weight", "lm", "lm_weight", "length_bonus", "max_len_ratio",
                                 "lexicon", "nbest", "coverage"}


@pytest.mark.parametrize("model, options, message", [
    (HandBuilt(True, False), {"ctc_weight": 0.5}, "a CTC model has no attention decoder"),
    (HandBuilt(False, True), {"ctc_weight": 0.5}, "a LAS model has no CTC head"),
    (HandBuilt(True, False), {"beam": 0}, "beam must be between 1 and 1000"),
    (HandBuilt(True, True), {"ctc_weight": 1.5}, "ctc weight must be between 0 and 1"),
    (HandBuilt(True, False), {"decode": "sampling"}, "decoding method must be one of"),
    (HandBuilt(True, False), {"nbest": 3}, "N-best lists come from beam search: --nbest 3 needs --decode beam"),
    (HandBuilt(True, True), {"beam": 4, "nbest": 5}, r"nbest must be between 1 and the beam \(4\), not 5"),
    (HandBuilt(True, False), {"coverage": 0.5}, "--coverage scores where the speller's attention has been"),
    (HandBuilt(True, True), {"decode": "rescore", "coverage": 0.5}, "--coverage scores where the speller's"),
    (HandBuilt(False, True), {"coverage": -1.0}, "coverage must be at least 0"),
])
def test_options_a_model_cannot_take_are_one_line_errors(model, options, message) -> None:
    with pytest.raises(UserError, match=message):
        resolve_options(model, **options)


def test_an_unknown_option_name_is_a_type_error_naming_the_known_ones() -> None:
    with pytest.raises(TypeError, match="unknown decoding option.*beam_size.*known: decode, beam"):
        resolve_options(HandBuilt(True, False), beam_size=3)


def test_the_decoder_takes_only_settled_options() -> None:
    with pytest.raises(ValueError, match="resolve_options"):
        TokenDecoder(HandBuilt(True, False), TOKENS, resolve_options(HandBuilt(True, False)).__class__())


def test_ctc_greedy_and_ctc_beam_read_the_best_path() -> None:
    model = HandBuilt(True, False)
    frames = _frames([BLANK, A, A, BLANK, SPACE, B, B, BLANK, B, C])  # a | b b c: the repeat split by a blank stays
    lens = torch.tensor([frames.size(1)])
    greedy = TokenDecoder.for_model(model, TOKENS)
    assert greedy(frames, lens)[0] == [[A, SPACE, B, B, C]]
    beam = TokenDecoder.for_model(model, TOKENS, decode="beam", beam=4)
    assert beam.ctc_beam is not None and beam(frames, lens)[0] == [[A, SPACE, B, B, C]]
    # padding frames beyond an utterance's length are never read
    padded = torch.cat([frames, _frames([C, C, C])], dim=1)
    assert greedy(padded, lens)[0] == [[A, SPACE, B, B, C]]


def test_the_speller_alone_spells_its_script_and_gives_attention_weights() -> None:
    model = HandBuilt(False, True, script=(C, A, B))
    frames = _frames([BLANK] * 6)
    for options in ({}, {"decode": "greedy"}, {"beam": 3}):
        decoder = TokenDecoder.for_model(model, TOKENS, **options)
        ids, weights = decoder(frames, torch.tensor([6]), attention=True)
        assert ids == [[C, A, B]] and weights[0].shape == (4, 6)
    assert model.ctc_calls == 0  # a LAS search never asks for CTC scores


def test_the_joint_search_weighs_ctc_against_the_speller() -> None:
    # the frames say "a b"; the speller says "c a b"
    model = HandBuilt(True, True, ctc_weight=0.5, script=(C, A, B))
    frames, lens = _frames([A, A, BLANK, B, B, BLANK], sharpness=12.0), torch.tensor([6])
    assert TokenDecoder.for_model(model, TOKENS, ctc_weight=0.0)(frames, lens)[0] == [[C, A, B]]
    assert TokenDecoder.for_model(model, TOKENS, ctc_weight=1.0, decode="beam")(frames, lens)[0] == [[A, B]]
    assert TokenDecoder.for_model(model, TOKENS, ctc_weight=0.9)(frames, lens)[0] == [[A, B]]
    assert TokenDecoder.for_model(model, TOKENS, decode="greedy")(frames, lens)[0] == [[A, B]]  # its CTC head


def _loaded(model: nn.Module) -> LoadedModel:
    cfg = FeatureConfig(n_mels=20, sample_rate=8000, n_fft=256)
    return LoadedModel(model.eval(), FeaturePipeline(cfg, torch.zeros(20), torch.ones(20)), TOKENS, {})


def _waves(count: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [0.1 * torch.randn(800 * (k + 2), generator=generator) for k in range(count)]


def test_decode_waves_computes_the_ctc_log_probs_once_a_batch_and_keeps_the_input_order() -> None:
    encoder = EncoderConfig(input_dim=20, hidden=8, layers=1, stack=2)
    torch.manual_seed(0)
    ctc = CTCModel(CTCModelConfig(encoder=encoder, vocab_size=len(TOKENS)))
    joint = AttentionModel(AttentionModelConfig(encoder=encoder, vocab_size=len(TOKENS), eos_id=EOS, ctc_weight=0.5,
                                                decoder_hidden=8, attention_dim=8, embed_dim=4))
    waves = _waves(5)
    for model in (ctc, joint):
        loaded, calls = _loaded(model), []
        original = model.ctc_log_probs
        model.ctc_log_probs = lambda enc: calls.append(len(enc)) or original(enc)
        together = decode_waves(loaded, waves, max_batch_size=2, log_probs=True)
        assert len(calls) == 3 and sum(calls) == 5  # three batches of at most 2, each read once
        alone = [decode_waves(loaded, [w], log_probs=True)[0] for w in waves]
        for a, b in zip(together, alone):
            assert a.ids == b.ids and a.text == TOKENS.decode(a.ids)
            torch.testing.assert_close(a.log_probs, b.log_probs, atol=1e-5, rtol=1e-5)
        model.ctc_log_probs = original


def test_decode_waves_gives_no_log_probs_without_a_ctc_head() -> None:
    las = AttentionModel(AttentionModelConfig(encoder=EncoderConfig(input_dim=20, hidden=8, layers=1, stack=2),
                                              vocab_size=len(TOKENS), eos_id=EOS, decoder_hidden=8, attention_dim=8,
                                              embed_dim=4))
    (hypothesis,) = decode_waves(_loaded(las), _waves(1), log_probs=True, attention=True)
    assert hypothesis.log_probs is None and hypothesis.attention.shape[0] == len(hypothesis.ids) + 1
