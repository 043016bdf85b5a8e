"""Fine-tuning an acoustic model from a model file (model.init_from, `asr train --init-from`)."""

from pathlib import Path

import pytest
import torch

from asr.errors import UserError
from asr.model_file import load_model_file
from asr.training.acoustic import build_setup
from asr.training.config import load_config


def _config(digit_training_args: list[str], base: Path, *more: str):
    """The digit model's own training config (its features, model and data), started from `base`."""
    return load_config(None, [*digit_training_args[3:], "--model.init_from", str(base), *more])


def test_fine_tuning_starts_from_every_weight_and_the_base_features(digit_model, digit_training_args):
    base = load_model_file(digit_model)
    setup = build_setup(_config(digit_training_args, digit_model))
    ours, theirs = setup.model.state_dict(), base.model.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    assert setup.tokenizer.to_dict() == base.tokenizer.to_dict()
    # the base's statistics, not measured anew on this data
    assert torch.equal(setup.features.mean, base.features.mean) and torch.equal(setup.features.std, base.features.std)


def test_asr_train_init_from_writes_a_model_that_records_its_base(digit_model, digit_training_args, digit_manifests,
                                                                  tmp_path):
    from asr.cli.main import main

    lines = (digit_manifests / "train.jsonl").read_text().splitlines()
    (tmp_path / "train.jsonl").write_text("\n".join(lines[:20]) + "\n")
    (tmp_path / "dev.jsonl").write_text("\n".join(lines[20:30]) + "\n")
    pairs = dict(zip(digit_training_args[3::2], digit_training_args[4::2], strict=True))
    pairs.update({"--data.train": str(tmp_path / "train.jsonl"), "--data.dev": str(tmp_path / "dev.jsonl"),
                  "--train.max_epochs": "1"})
    out = tmp_path / "tuned"
    assert main(["train", "--out", str(out), "--init-from", str(digit_model),
                 *(s for pair in pairs.items() for s in pair)]) == 0
    assert load_model_file(out / "model.pt").info["init_from"] == str(digit_model)


def test_a_base_of_other_features_is_refused_in_one_line(digit_model, digit_training_args):
    with pytest.raises(UserError) as err:
        build_setup(_config(digit_training_args, digit_model, "--features.n_mfcc", "20"))
    assert f"model.init_from: {digit_model} has features.n_mfcc 13, this config 20" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_base_that_is_no_acoustic_model_is_refused_in_one_line(digit_training_args, tmp_path):
    from asr.features.frontend import FeatureConfig
    from asr.features.pipeline import FeaturePipeline
    from asr.model_file import save_model_file

    features = FeaturePipeline(FeatureConfig())
    sa_config = load_config(None, ["--model.kind", "sa", "--model.hidden", "16", "--model.layers", "1"])
    path = tmp_path / "sa.pt"
    save_model_file(path, sa_config.model.new_model(features.dim), features, None)
    with pytest.raises(UserError) as err:
        build_setup(_config(digit_training_args, path))
    assert str(err.value) == f"model.init_from: {path} is a sa model, not an acoustic model (ctc, las, joint)"


def test_another_tokenizer_takes_the_encoder_alone(digit_model, digit_training_args, tmp_path, capsys):
    from asr.text.tokenizer import build_tokenizer
    from asr.text.tokenizer_file import save_tokenizer

    base = load_model_file(digit_model)
    chars = build_tokenizer("char", ["zero one two three four five six seven eight nine"])
    save_tokenizer(chars, tmp_path / "chars.json")
    setup = build_setup(_config(digit_training_args, digit_model, "--tokenizer.file", str(tmp_path / "chars.json")))
    ours, theirs = setup.model.state_dict(), base.model.state_dict()
    encoder = [k for k in theirs if k.startswith("encoder.")]
    assert encoder and all(torch.equal(ours[k], theirs[k]) for k in encoder)
    assert ours["head.weight"].shape != theirs["head.weight"].shape
    assert (f"model.init_from: another tokenizer ({len(chars)} symbols, the base has {len(base.tokenizer)}): "
            "the encoder is taken, the output layers start new") in capsys.readouterr().out
