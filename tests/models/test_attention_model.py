"""Attention, the speller and the LAS / joint model: masks, teacher forcing against stepping, losses."""

import dataclasses

import pytest
import torch

from asr.models.attention import Attention
from asr.models.attention_model import AttentionModel, AttentionModelConfig, guided_attention_loss
from asr.models.ctc_model import ctc_loss
from asr.models.lstm_lm import LSTMLM, LSTMLMConfig
from asr.models.rnn_encoder import EncoderConfig, padding_mask

VOCAB, EOS = 9, 8


def _model(ctc_weight: float = 0.0, attention: str = "location", sampling: float = 0.0,
           input_feeding: bool = True) -> AttentionModel:
    torch.manual_seed(0)
    cfg = AttentionModelConfig(
        encoder=EncoderConfig(input_dim=6, hidden=12, layers=2, stack=2, pyramid=1, dropout=0.0),
        vocab_size=VOCAB, eos_id=EOS, ctc_weight=ctc_weight, attention=attention, attention_dim=10,
        decoder_hidden=14, decoder_layers=2, embed_dim=5, decoder_dropout=0.0, label_smoothing=0.0,
        sampling_prob=sampling, input_feeding=input_feeding)
    return AttentionModel(cfg).eval()


def _batch():
    torch.manual_seed(1)
    feat_lens = torch.tensor([30, 17, 9])
    feats = torch.randn(3, 30, 6) * padding_mask(feat_lens, 30).unsqueeze(-1)  # zero padding, as the frontend gives
    targets = torch.tensor([[1, 2, 3, 4], [5, 6, -1, -1], [7, -1, -1, -1]])
    return feats, feat_lens, targets, torch.tensor([4, 2, 1])


@pytest.mark.parametrize("kind", ["dot", "additive", "location"])
def test_attention_weights_are_a_distribution_over_real_frames_only(kind):
    torch.manual_seed(0)
    att = Attention(kind, query_dim=7, key_dim=5, attention_dim=4)
    enc, lens = torch.randn(2, 10, 5), torch.tensor([10, 6])
    mask = padding_mask(lens, 10)
    previous = torch.softmax(torch.randn(2, 10), -1) * mask
    context, weights = att(torch.randn(2, 7), att.prepare(enc), enc, mask, previous)
    assert context.shape == (2, 5) and weights.shape == (2, 10)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))
    assert (weights[1, 6:] == 0).all() and (weights[1, :6] > 0).all()
    torch.testing.assert_close(context[1], weights[1, :6] @ enc[1, :6])


def test_location_aware_attention_reads_the_previous_weights():
    torch.manual_seed(0)
    att = Attention("location", 7, 5, 4)
    enc, mask, query = torch.randn(1, 12, 5), torch.ones(1, 12, dtype=torch.bool), torch.randn(1, 7)
    early, late = torch.zeros(1, 12), torch.zeros(1, 12)
    early[0, 1], late[0, 9] = 1.0, 1.0
    _, after_early = att(query, att.prepare(enc), enc, mask, early)
    _, after_late = att(query, att.prepare(enc), enc, mask, late)
    assert not torch.allclose(after_early, after_late)


SPELLERS = [("dot", True), ("additive", True), ("location", True), ("dot", False), ("additive", False)]


@pytest.mark.parametrize("attention, input_feeding", SPELLERS)
def test_stepping_the_speller_gives_the_teacher_forced_log_probs(attention, input_feeding):
    """Beam search calls `decoder_step` one token at a time; training runs the whole sequence at once
    (without input feeding in one call of each part, which must give what stepping gives)."""
    model = _model(attention=attention, input_feeding=input_feeding)
    feats, feat_lens, targets, target_lens = _batch()
    with torch.no_grad():
        enc, enc_lens = model.encode(feats, feat_lens)
        inputs, _ = model._speller_io(targets, target_lens)
        logits, weights = model.speller(enc, enc_lens, inputs)
        state = model.decoder_state(enc, enc_lens)
        for i in range(inputs.size(1)):
            log_probs, state = model.decoder_step(inputs[:, i], state)
            torch.testing.assert_close(log_probs, logits[:, i].log_softmax(-1))
    assert weights.shape == (3, 5, enc.size(1))


def test_speller_inputs_and_outputs_around_sentence_symbols():
    model = _model()
    _, _, targets, target_lens = _batch()
    inputs, outputs = model._speller_io(targets, target_lens)
    assert inputs.tolist() == [[EOS, 1, 2, 3, 4], [EOS, 5, 6, EOS, EOS], [EOS, 7, EOS, EOS, EOS]]
    assert outputs.tolist() == [[1, 2, 3, 4, EOS], [5, 6, EOS, -1, -1], [7, EOS, -1, -1, -1]]


@pytest.mark.parametrize("input_feeding", [True, False])
def test_loss_of_a_padded_batch_is_the_token_weighted_mean_of_each_alone(input_feeding):
    """Padding (frames and targets) changes nothing: cross-entropy ignores padded targets."""
    # double precision: what is left is padding leaking, not rounding
    model = _model(attention="location" if input_feeding else "dot", input_feeding=input_feeding).double()
    feats, feat_lens, targets, target_lens = _batch()
    feats = feats.double()
    with torch.no_grad():
        together, _ = model.loss(feats, feat_lens, targets, target_lens)
        alone = [model.loss(feats[b:b + 1, :feat_lens[b]], feat_lens[b:b + 1], targets[b:b + 1, :target_lens[b]],
                            target_lens[b:b + 1])[0] for b in range(3)]
    counts = (target_lens + 1).float()  # each sentence's tokens and its eos
    torch.testing.assert_close(together, (torch.stack(alone) * counts).sum() / counts.sum(), atol=1e-8, rtol=1e-8)


def test_joint_loss_weighs_ctc_and_attention():
    model = _model(ctc_weight=0.3)
    assert model.kind == "joint" and _model().kind == "las" and _model().ctc_head is None
    feats, feat_lens, targets, target_lens = _batch()
    with torch.no_grad():
        total, parts = model.loss(feats, feat_lens, targets, target_lens)
        enc, enc_lens = model.encode(feats, feat_lens)
        ctc = ctc_loss(model.ctc_log_probs(enc), enc_lens, targets, target_lens)
    torch.testing.assert_close(parts["ctc"], ctc)
    torch.testing.assert_close(total, 0.3 * parts["ctc"] + 0.7 * parts["att"])


def test_a_las_model_may_train_a_ctc_head_beside_its_speller_and_decode_without_it():
    """Kim et al. 2017's multi-task LAS: the loss is a joint model's, the kind and the search are LAS's."""
    joint = _model(ctc_weight=0.3)
    las = AttentionModel(dataclasses.replace(joint.cfg, ctc_in_search=False))
    las.load_state_dict(joint.state_dict())
    assert (las.kind, las.has_ctc, las.search_ctc_weight) == ("las", True, 0.0)
    assert (joint.kind, joint.search_ctc_weight) == ("joint", 0.3)
    assert _model().search_ctc_weight == 0.0
    batch = _batch()
    with torch.no_grad():
        torch.testing.assert_close(las.loss(*batch)[0], joint.loss(*batch)[0])


@pytest.mark.parametrize("input_feeding", [True, False])
def test_the_attention_of_each_decoding_step_is_the_teacher_forced_one(input_feeding):
    """What the coverage score sums (`decoder_attention` of each step's state) is where the speller looks."""
    model = _model(attention="location" if input_feeding else "dot", input_feeding=input_feeding)
    feats, feat_lens, _, _ = _batch()
    tokens = [3, 1, 4]
    with torch.no_grad():
        enc, enc_lens = model.encode(feats[:1], feat_lens[:1])
        state, stepped = model.decoder_state(enc, enc_lens), []
        for token in [EOS, *tokens]:
            _, state = model.decoder_step(torch.tensor([token]), state)
            stepped.append(model.decoder_attention(state)[0])
        forced = model.attention_weights(enc, enc_lens, [tokens])[0]
    torch.testing.assert_close(torch.stack(stepped), forced)


def test_scheduled_sampling_changes_training_inputs_only():
    model = _model(sampling=1.0)
    feats, feat_lens, targets, target_lens = _batch()
    with torch.no_grad():
        evaluated, _ = model.loss(feats, feat_lens, targets, target_lens)
        model.train()
        sampled, _ = model.loss(feats, feat_lens, targets, target_lens)
    assert not torch.allclose(evaluated, sampled)


def test_attention_weights_of_hypotheses_cover_each_token_and_eos():
    model = _model()
    feats, feat_lens, _, _ = _batch()
    with torch.no_grad():
        enc, enc_lens = model.encode(feats, feat_lens)
        weights = model.attention_weights(enc, enc_lens, [[1, 2], [], [3, 3, 3]])
    assert [tuple(w.shape) for w in weights] == [(3, 8), (1, 5), (4, 3)]  # frames: 30, 17, 9 -> 4x fewer
    torch.testing.assert_close(weights[2].sum(-1), torch.ones(4))


def test_a_speller_without_input_feeding_refuses_what_needs_steps_in_turn():
    with pytest.raises(ValueError, match="location-aware attention cannot"):
        _model(attention="location", input_feeding=False)
    with pytest.raises(ValueError, match="scheduled sampling"):
        _model(attention="dot", input_feeding=False, sampling=0.2)


def test_models_without_a_sentence_symbol_are_refused():
    with pytest.raises(ValueError, match="sos/eos"):
        AttentionModel(AttentionModelConfig(vocab_size=10, eos_id=-1))
    with pytest.raises(ValueError, match="sos/eos"):
        LSTMLM(LSTMLMConfig(vocab_size=10, eos_id=-1))


def test_language_model_steps_match_the_whole_sentence_pass():
    torch.manual_seed(0)
    lm = LSTMLM(LSTMLMConfig(vocab_size=VOCAB, eos_id=EOS, embed_dim=6, hidden=10, layers=2, dropout=0.0)).eval()
    tokens = torch.tensor([[EOS, 3, 1, 4, 1]])
    with torch.no_grad():
        logits, _ = lm(tokens)
        state = None
        for i in range(tokens.size(1)):
            log_probs, state = lm.step(tokens[:, i], state)
            torch.testing.assert_close(log_probs, logits[:, i].log_softmax(-1))
        padded = torch.tensor([[3, 1, 4, 1], [5, 9 - 4, -1, -1]])
        together, _ = lm.loss(padded, torch.tensor([4, 2]))
        first, _ = lm.loss(padded[:1], torch.tensor([4]))
        second, _ = lm.loss(padded[1:, :2], torch.tensor([2]))
    torch.testing.assert_close(together, (5 * first + 3 * second) / 8)


def test_the_speller_starts_from_weights_spread_over_the_real_frames():
    model = _model(0.3)
    enc = torch.randn(2, 6, model.cfg.encoder.output_dim)
    weights = model.decoder_state(enc, torch.tensor([6, 4]))[3]
    torch.testing.assert_close(weights[1], torch.tensor([0.25, 0.25, 0.25, 0.25, 0.0, 0.0]))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))


def test_guided_attention_costs_an_alignment_stuck_on_one_frame_not_a_diagonal():
    steps, frames = 5, 10
    diagonal = torch.zeros(1, steps, frames)
    diagonal[0, torch.arange(steps), torch.arange(steps) * 2 + 1] = 1.0
    stuck = torch.zeros(1, steps, frames)
    stuck[0, :, 0] = 1.0
    lens = torch.tensor([steps]), torch.tensor([frames])
    on_diagonal, on_frame_0 = guided_attention_loss(diagonal, *lens), guided_attention_loss(stuck, *lens)
    assert on_diagonal < 0.05 and on_frame_0 > 0.5
    # rows past an utterance's outputs cost nothing
    padded = torch.cat([stuck, torch.ones(1, 3, frames)], dim=1)
    torch.testing.assert_close(guided_attention_loss(padded, *lens), on_frame_0)


def test_guided_attention_adds_to_the_attention_loss_only_when_asked():
    torch.manual_seed(0)
    feats, lens = torch.randn(2, 30, 6), torch.tensor([30, 24])
    targets, target_lens = torch.tensor([[3, 4, 5], [4, 3, -1]]), torch.tensor([3, 2])
    plain = _model(0.0)
    guided = AttentionModel(dataclasses.replace(plain.cfg, guided_attention=1.0))
    guided.load_state_dict(plain.state_dict())
    assert guided.eval().loss(feats, lens, targets, target_lens)[0] > plain.eval().loss(feats, lens, targets, target_lens)[0]
