"""`asr lm train`: an LSTM language model from manifests or plain text, stored as one model file."""

import json
import math
from pathlib import Path

import pytest
import torch

from asr.cli.main import main
from asr.model_file import load_model_file

SMALL = ["--lm.hidden", "32", "--lm.layers", "1", "--lm.embed_dim", "16", "--lm.max_epochs", "3", "--lm.lr", "0.01"]


def _sentence_log_prob(lm, text: str) -> float:
    """ln P(text, then the sentence end) under `lm`, one `step` per token from the sentence symbol."""
    tok = lm.tokenizer
    ids = tok.encode(text) + [tok.eos_id]
    prev, state, total = torch.tensor([tok.eos_id]), None, 0.0
    for i in ids:
        log_probs, state = lm.model.step(prev, state)
        total += log_probs[0, i].item()
        prev = torch.tensor([i])
    return total


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("asr: error:"), err
    return err


def test_lm_from_a_manifest_is_one_file_with_the_models_tokens(digit_lm: Path, digit_joint_model: Path):
    payload = torch.load(digit_lm, map_location="cpu", weights_only=True)  # plain tensors and containers only
    assert payload["kind"] == "lstm_lm" and "features" not in payload
    lm = load_model_file(digit_lm)
    assert lm.kind == "lstm_lm" and lm.features is None
    assert lm.tokenizer.symbols == load_model_file(digit_joint_model).tokenizer.symbols
    assert lm.model.cfg.hidden == 64 and lm.model.cfg.eos_id == lm.tokenizer.eos_id
    # Ten digit words: after the first letter or two a word is nearly certain, far from a uniform guess.
    assert lm.info["best_val_perplexity"] < len(lm.tokenizer) / 5, lm.info
    assert lm.info["best_val_perplexity"] == pytest.approx(math.exp(lm.info["best_val_loss"]))


def test_lm_prefers_digit_words_to_scrambled_letters(digit_lm: Path):
    lm = load_model_file(digit_lm)
    uniform = math.log(1 / len(lm.tokenizer))
    for word, scrambled in [("seven", "vseen"), ("zero", "ezro"), ("three", "hrete"), ("eight", "tghie"),
                            ("one", "neo")]:
        real, wrong = _sentence_log_prob(lm, word), _sentence_log_prob(lm, scrambled)
        assert real > wrong + 2, (word, real, scrambled, wrong)
        assert real > uniform * (len(word) + 1), (word, real)  # better than guessing each letter and the end


def test_tokenizer_option_wins_over_the_config_and_lm_overrides_are_honoured(digit_joint_model: Path,
                                                                            digit_manifests: Path, tmp_path):
    out = tmp_path / "lm.pt"
    assert main(["lm", "train", str(digit_manifests / "train.jsonl"), "--out", str(out),
                 "--tokenizer", str(digit_joint_model), "--tokenizer.kind", "word", *SMALL]) == 0
    lm = load_model_file(out)
    assert lm.tokenizer.symbols == load_model_file(digit_joint_model).tokenizer.symbols  # characters, not words
    assert lm.model.cfg.hidden == 32 and lm.model.cfg.embed_dim == 16
    assert lm.model.lstm.weight_hh_l0.shape == (4 * 32, 32)
    assert lm.info["config"]["hidden"] == 32 and lm.info["epochs"] == 3
    assert (tmp_path / "lm_training" / "learning_curve.png").is_file()


def test_lm_from_plain_text_builds_its_own_tokens_and_is_refused_by_a_model_with_others(
        digit_joint_model: Path, digit_manifests: Path, digit_lm_batching: list[str], tmp_path, capsys):
    texts = [json.loads(line)["text"] for line in (digit_manifests / "train.jsonl").read_text().splitlines()]
    corpus = tmp_path / "digits.txt"
    # Case and punctuation are normalised away, blank lines skipped.
    corpus.write_text("".join(f"{t.capitalize()}.\n\n" if i % 2 else f"{t}\n" for i, t in enumerate(texts)))
    out = tmp_path / "word_lm.pt"
    assert main(["lm", "train", str(corpus), "--out", str(out), "--tokenizer.kind", "word", *SMALL,
                 *digit_lm_batching]) == 0
    lm = load_model_file(out)
    assert lm.kind == "lstm_lm" and lm.tokenizer.kind == "word"
    assert set(lm.tokenizer.symbols) == set(texts) | {"<blank>", "<unk>", "<sos/eos>"}
    assert lm.info["best_val_perplexity"] < len(lm.tokenizer) / 2, lm.info
    capsys.readouterr()

    hyps = tmp_path / "hyps.jsonl"
    assert main(["evaluate", "--model", str(digit_joint_model), str(digit_manifests / "test_takes.jsonl"),
                 "--out", str(hyps), "--lm", str(out), "--lm-weight", "0.3"]) == 2
    err = _one_error_line(capsys)
    assert str(out) in err and "other tokens" in err
    assert not hyps.exists()


@pytest.mark.parametrize("content", [None, "", "\n  \n...\n"], ids=["missing", "empty", "no-words"])
def test_missing_or_empty_text_is_a_one_line_error(content, tmp_path, capsys):
    text = tmp_path / "text.txt"
    if content is not None:
        text.write_text(content)
    out = tmp_path / "lm.pt"
    assert main(["lm", "train", str(text), "--out", str(out)]) == 2
    err = _one_error_line(capsys)
    assert (str(text) in err) if content is None else ("no text" in err)
    assert not out.exists()
