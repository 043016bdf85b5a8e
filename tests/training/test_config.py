import pytest

from asr.errors import UserError
from asr.training.config import Config, load_config, parse_overrides


def test_yaml_lists_only_differences_and_overrides_win(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: {hidden: 128, cell: gru}\ntrain: {lr: 0.001}\n")
    cfg = load_config(path, ["--model.hidden", "64", "--train.max_epochs=3", "--data.train", "x.jsonl"])
    assert cfg.model.hidden == 64 and cfg.model.cell == "gru"
    assert cfg.train.lr == 0.001 and cfg.train.max_epochs == 3 and cfg.data.train == "x.jsonl"
    assert cfg.model.layers == Config().model.layers  # untouched defaults stay


def test_int_where_float_expected_is_accepted():
    assert load_config(None, ["--train.lr", "1"]).train.lr == 1.0


@pytest.mark.parametrize("args, message", [
    (["--model.hiden", "3"], "unknown setting model.hiden"),
    (["--model.hidden", "big"], "model.hidden must be an integer"),
    (["--model.bidirectional", "3"], "must be true or false"),
    (["--model.hidden"], "needs a value"),
    (["hidden", "3"], "expected --section.key VALUE"),
])
def test_bad_settings_are_one_line_user_errors(args, message):
    with pytest.raises(UserError, match=message):
        load_config(None, args)


def test_missing_or_broken_yaml(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_config(bad)


def test_parse_overrides_nests():
    assert parse_overrides(["--a.b.c", "[1, 2]"]) == {"a": {"b": {"c": [1, 2]}}}
