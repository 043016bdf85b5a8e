"""The batched CTC prefix beam search against torchaudio's (flashlight's) CTC beam search, which it
keeps hypothesis for hypothesis: without an LM on 100 random matrices, and with a random LSTM LM,
which flashlight asks one hypothesis at a time (asr.decoding.ctc_beam.StepFnLM)."""

import pytest
import torch

from asr.decoding.ctc_prefix_beam import CTCPrefixBeamSearch
from asr.models.lstm_lm import LSTMLM, LSTMLMConfig

pytest.importorskip("flashlight.lib.text.decoder", reason="torchaudio's ctc_decoder needs flashlight-text")
from asr.decoding.ctc_beam import CTCBeamSearch  # noqa: E402

from tests.decoding.test_beam_parity import model_like_log_probs  # noqa: E402


def _symbols(vocab: int) -> list[str]:
    return ["<blank>"] + [f"t{i}" for i in range(1, vocab - 1)] + ["<sos/eos>"]


def _random_lm(vocab: int, seed: int) -> LSTMLM:
    """An untrained LM with weights scaled up, so that its preferences are strong enough to change results."""
    torch.manual_seed(seed)
    lm = LSTMLM(LSTMLMConfig(vocab_size=vocab, eos_id=vocab - 1, embed_dim=8, hidden=16, layers=1, dropout=0.0))
    with torch.no_grad():
        for weight in lm.parameters():
            weight.mul_(4)
    return lm.eval()


# 100 matrices: 5 lengths x 4 vocabularies x 5 seeds, half of them as peaky as a trained model's, half flatter
MATRICES = [(frames, vocab, seed) for frames in (10, 25, 40, 55, 70) for vocab in (5, 12, 20, 31) for seed in range(5)]


def test_same_best_hypothesis_and_score_as_torchaudio_without_a_language_model():
    for frames, vocab, seed in MATRICES:
        log_probs = model_like_log_probs(1000 * frames + 10 * vocab + seed, frames, vocab,
                                         boost=6.0 if seed % 2 else 2.0)[None]
        lengths = torch.tensor([frames])
        (theirs,) = CTCBeamSearch(_symbols(vocab), eos=vocab - 1, beam=8).nbest_lists(log_probs, lengths)
        (ours,) = CTCPrefixBeamSearch(beam=8).nbest_lists(log_probs, lengths)
        assert ours[0].ids == theirs[0].ids, (frames, vocab, seed)
        assert ours[0].score == pytest.approx(theirs[0].score, abs=1e-3), (frames, vocab, seed)


@pytest.mark.parametrize("bonus", [0.0, 1.5])
def test_batched_lm_fusion_finds_what_one_hypothesis_at_a_time_finds(bonus):
    changed = 0
    for frames, vocab, seed in MATRICES[::4]:
        lm = _random_lm(vocab, seed)
        log_probs = model_like_log_probs(seed, frames, vocab, boost=2.0)[None]
        lengths = torch.tensor([frames])
        options = dict(eos=vocab - 1, beam=8, lm=lm.step, lm_weight=1.0, length_bonus=bonus)
        (theirs,) = CTCBeamSearch(_symbols(vocab), **options).nbest_lists(log_probs, lengths)
        (ours,) = CTCPrefixBeamSearch(**options).nbest_lists(log_probs, lengths)
        assert ours[0].ids == theirs[0].ids, (frames, vocab, seed)
        assert ours[0].score == pytest.approx(theirs[0].score, abs=1e-3), (frames, vocab, seed)
        (plain,) = CTCPrefixBeamSearch(beam=8).nbest_lists(log_probs, lengths)
        changed += plain[0].ids != ours[0].ids
    assert changed >= 5  # the LM decides: the comparison is not between two searches that ignore it


def test_the_language_model_is_called_once_a_frame_for_the_whole_batch():
    vocab, frames = 12, 30
    lm, calls = _random_lm(vocab, 0), []

    def counted(tokens, state):
        calls.append(len(tokens))
        return lm.step(tokens, state)

    log_probs = torch.stack([model_like_log_probs(s, frames, vocab, boost=2.0) for s in range(4)])
    CTCPrefixBeamSearch(beam=6, lm=counted, eos=vocab - 1, lm_weight=0.5).nbest_lists(log_probs,
                                                                                      torch.full((4,), frames))
    assert len(calls) <= frames + 1  # the sentence starts, then at most one call a frame
    assert max(calls[1:]) > 6  # hypotheses of several utterances share a call


def test_rows_of_different_lengths_give_what_each_gives_alone():
    vocab, lm = 14, _random_lm(14, 3)
    lengths = torch.tensor([40, 17, 29])
    log_probs = torch.stack([model_like_log_probs(s, 40, vocab, boost=3.0) for s in range(3)])
    search = CTCPrefixBeamSearch(beam=5, lm=lm.step, eos=vocab - 1, lm_weight=0.7, length_bonus=0.3, nbest=3)
    together = search.nbest_lists(log_probs, lengths)
    for b in range(3):
        (alone,) = search.nbest_lists(log_probs[b:b + 1, :lengths[b]], lengths[b:b + 1])
        assert [h.ids for h in together[b]] == [h.ids for h in alone]
        assert [h.score for h in together[b]] == pytest.approx([h.score for h in alone], abs=1e-6)
