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


def _fine_tune(digit_model: Path, digit_training_args: list[str], digit_manifests: Path, out: Path,
               *more: str) -> Path:
    """`asr train --init-from` the digit model on 20 of its training files (5 steps of 4), one epoch."""
    from asr.cli.main import main

    lines = (digit_manifests / "train.jsonl").read_text().splitlines()
    (out.parent / "train.jsonl").write_text("\n".join(lines[:20]) + "\n")
    (out.parent / "dev.jsonl").write_text("\n".join(lines[20:30]) + "\n")
    pairs = dict(zip(digit_training_args[3::2], digit_training_args[4::2], strict=True))
    pairs.update({"--data.train": str(out.parent / "train.jsonl"), "--data.dev": str(out.parent / "dev.jsonl"),
                  "--train.max_epochs": "1", "--data.max_batch_size": "4", "--train.warmup_steps": "1"})
    pairs.update(dict(zip(more[::2], more[1::2], strict=True)))
    assert main(["train", "--out", str(out), "--init-from", str(digit_model),
                 *(s for pair in pairs.items() for s in pair)]) == 0
    return out / "model.pt"


def test_asr_train_init_from_writes_a_model_that_records_its_base(digit_model, digit_training_args, digit_manifests,
                                                                  tmp_path):
    tuned = _fine_tune(digit_model, digit_training_args, digit_manifests, tmp_path / "tuned")
    assert load_model_file(tuned).info["init_from"] == str(digit_model)


def _changed(tuned: Path, base: Path) -> dict[str, bool]:
    """Whether the encoder's and the output layer's weights moved from the base's."""
    ours, theirs = load_model_file(tuned).model.state_dict(), load_model_file(base).model.state_dict()
    return {part: any(not torch.equal(ours[k], theirs[k]) for k in ours if k.startswith(part))
            for part in ("encoder.", "head.")}


def test_a_frozen_encoder_keeps_the_base_weights_while_the_output_layer_learns(digit_model, digit_training_args,
                                                                              digit_manifests, tmp_path, capsys):
    frozen = _fine_tune(digit_model, digit_training_args, digit_manifests, tmp_path / "frozen",
                        "--train.freeze_encoder_epochs", "1")
    assert "the encoder keeps its weights for the first 1 epochs" in capsys.readouterr().out
    assert _changed(frozen, digit_model) == {"encoder.": False, "head.": True}
    thawed = _fine_tune(digit_model, digit_training_args, digit_manifests, tmp_path / "thawed",
                        "--train.freeze_encoder_steps", "2")  # 3 of the 5 steps update it
    assert _changed(thawed, digit_model) == {"encoder.": True, "head.": True}


def test_statistics_are_measured_anew_only_when_asked(digit_model, digit_training_args, digit_manifests, tmp_path):
    lines = (digit_manifests / "train.jsonl").read_text().splitlines()
    (tmp_path / "few.jsonl").write_text("\n".join(lines[::50]) + "\n")
    base = load_model_file(digit_model)
    setup = build_setup(_config(digit_training_args, digit_model, "--data.train", str(tmp_path / "few.jsonl"),
                                "--data.recompute_cmvn", "true"))
    assert not torch.equal(setup.features.mean, base.features.mean)
    assert setup.features.cfg == base.features.cfg


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
