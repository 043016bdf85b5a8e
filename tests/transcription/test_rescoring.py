"""Attention rescoring of a joint model: the CTC beam proposes, the speller's one teacher-forced batch
scores, as a step-by-step run of the same weights scores each proposal."""

import pytest
import torch

from asr.errors import UserError
from asr.models.attention_model import AttentionModel, AttentionModelConfig
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.models.rnn_encoder import EncoderConfig
from asr.text.tokenizer import Tokenizer
from asr.transcription.decoder import TokenDecoder

TOKENS = Tokenizer("char", ("<blank>", "|", "a", "b", "c", "<sos/eos>"))
EOS = 5


def _joint(seed: int, ctc_weight: float = 0.5) -> AttentionModel:
    torch.manual_seed(seed)
    model = AttentionModel(AttentionModelConfig(encoder=EncoderConfig(input_dim=20, hidden=8, layers=1, stack=2),
                                                vocab_size=len(TOKENS), eos_id=EOS, ctc_weight=ctc_weight,
                                                decoder_hidden=8, attention_dim=8, embed_dim=4))
    return model.eval()


def _stepwise(model: AttentionModel, enc: torch.Tensor, enc_lens: torch.Tensor, ids: list[int]) -> float:
    """The speller's log-probability of `ids` then eos, one decoder step at a time (a beam search's way)."""
    state, token, total = model.decoder_state(enc, enc_lens), torch.tensor([EOS]), 0.0
    for target in [*ids, EOS]:
        log_probs, state = model.decoder_step(token, state)
        total += float(log_probs[0, target])
        token = torch.tensor([target])
    return total


@torch.inference_mode()
@pytest.mark.parametrize("seed", range(3))
def test_rescoring_weighs_the_ctc_beams_proposals_by_the_speller(seed):
    model = _joint(seed)
    feats, feat_lens = torch.randn(3, 16, 20) * 2, torch.tensor([16, 12, 9])
    enc, enc_lens = model.encode(feats, feat_lens)
    proposals = TokenDecoder.for_model(model, TOKENS, decode="beam", ctc_weight=1.0, beam=6, nbest=6)
    for weight in (0.0, 0.3, 1.0):
        decoder = TokenDecoder.for_model(model, TOKENS, decode="rescore", beam=6, nbest=6, ctc_weight=weight)
        for b, (ctc_hyps, found) in enumerate(zip(proposals.search_encoded(enc, enc_lens),
                                                  decoder.search_encoded(enc, enc_lens), strict=True)):
            expected = sorted(((h.ids, weight * h.score + (1 - weight) * _stepwise(model, enc[b:b + 1],
                                                                                     enc_lens[b:b + 1], h.ids))
                               for h in ctc_hyps), key=lambda pair: -pair[1])
            assert [h.ids for h in found] == [ids for ids, _ in expected]
            assert [h.score for h in found] == pytest.approx([score for _, score in expected], abs=1e-4)
    # the trained weight by default, and the best of the list as the transcript
    default = TokenDecoder.for_model(model, TOKENS, decode="rescore", beam=6)
    assert default.options.ctc_weight == 0.5 and default.options.nbest == 1


@torch.inference_mode()
def test_one_teacher_forced_batch_scores_as_the_step_by_step_speller():
    model = _joint(7)
    enc, enc_lens = model.encode(torch.randn(2, 16, 20), torch.tensor([16, 10]))
    seqs = [[2, 3, 4, 1, 2], [], [4], [3, 3, 3, 2]]
    rows = [0, 0, 1, 1]
    batched = model.sequence_log_probs(enc[rows], enc_lens[rows], seqs)
    stepwise = [_stepwise(model, enc[r:r + 1], enc_lens[r:r + 1], s) for r, s in zip(rows, seqs, strict=True)]
    assert batched.tolist() == pytest.approx(stepwise, abs=1e-5)


def test_rescoring_needs_a_joint_model():
    torch.manual_seed(0)
    ctc = CTCModel(CTCModelConfig(encoder=EncoderConfig(input_dim=20, hidden=8, layers=1, stack=2),
                                  vocab_size=len(TOKENS)))
    with pytest.raises(UserError, match="attention rescoring needs a joint model"):
        TokenDecoder.for_model(ctc, TOKENS, decode="rescore")
