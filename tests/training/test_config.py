import pytest

from asr.cli.main import main
from asr.errors import UserError
from asr.text.tokenizer import Tokenizer
from asr.training.config import Config, load_config, parse_overrides


def test_yaml_lists_only_differences_and_overrides_win(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: {hidden: 128, cell: gru}\ntrain: {lr: 0.001}\n")
    cfg = load_config(path, ["--model.hidden", "64", "--train.max_epochs=3", "--data.train", "x.jsonl"])
    assert cfg.model.encoder.hidden == 64 and cfg.model.encoder.cell == "gru"
    assert cfg.train.lr == 0.001 and cfg.train.max_epochs == 3 and cfg.data.train == "x.jsonl"
    assert cfg.model.encoder.layers == Config().model.encoder.layers  # untouched defaults stay


def test_a_models_parts_are_set_at_the_sections_level_or_in_their_own_sections(tmp_path):
    """model.hidden is the encoder's, model.decoder_hidden the speller's and the autoencoder's; a part's own
    section wins over the level above; the parts' defaults are the model section's (a joint λ of 0.3)."""
    cfg = load_config(None, ["--model.kind", "joint", "--model.hidden", "32", "--model.encoder.hidden", "64",
                             "--model.decoder_hidden", "48", "--model.attention", "dot", "--model.vector_dim", "20"])
    assert cfg.model.encoder.hidden == 64 and cfg.model.encoder.layers == 4
    assert cfg.model.speller.decoder_hidden == cfg.model.autoencoder.decoder_hidden == 48
    assert cfg.model.speller.attention == "dot" and cfg.model.speller.ctc_weight is None  # the kind's
    assert cfg.model.autoencoder.vector_dim == 20
    joint = cfg.model.model_config(input_dim=40, vocab_size=30, eos_id=29)
    assert (joint.encoder.hidden, joint.encoder.input_dim, joint.decoder_hidden, joint.ctc_weight) == (64, 40, 48, 0.3)
    las = load_config(None, ["--model.kind", "las"]).model.model_config(40, 30, 29)
    assert (las.ctc_weight, las.ctc_in_search) == (0.0, False)  # a LAS model has no CTC head unless asked
    las = load_config(None, ["--model.kind", "las", "--model.ctc_weight", "0.5"]).model.model_config(40, 30, 29)
    assert (las.ctc_weight, las.ctc_in_search) == (0.5, False)  # a CTC loss beside its speller, not in its search
    sa = load_config(None, ["--model.kind", "sa", "--model.vector_dim", "16"]).model.model_config(13)
    assert (sa.variant, sa.vector_dim, sa.encoder.input_dim) == ("sa", 16, 13)
    with pytest.raises(UserError, match=r"model.hidden must be an integer"):  # named as written
        load_config(None, ["--model.hidden", "x"])
    with pytest.raises(UserError, match=r"model.encoder.hidden must be an integer"):
        load_config(None, ["--model.encoder.hidden", "x"])
    with pytest.raises(UserError, match=r"model.kind must be one of ctc, las, joint, sa, dsa, cae, not 'lstm_lm'"):
        load_config(None, ["--model.kind", "lstm_lm"])


def test_the_recipe_section_is_data_for_run_scripts(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("recipe:\n  subsets: [train, dev, test]\n  decoders: {greedy: --decode greedy, beam: --beam 4}\n")
    recipe = load_config(path).recipe
    assert recipe.subsets == ["train", "dev", "test"]
    assert recipe.decoders == {"greedy": "--decode greedy", "beam": "--beam 4"}
    path.write_text("recipe: {decoders: {greedy: 3}}\n")
    with pytest.raises(UserError, match="recipe.decoders.greedy must be a string"):
        load_config(path)


def _numeric_settings(node, path: str = ""):
    """(section.key, default) of every number in a config, parts included."""
    import dataclasses

    for field in dataclasses.fields(node):
        value, name = getattr(node, field.name), f"{path}{field.name}"
        if dataclasses.is_dataclass(value):
            yield from _numeric_settings(value, name + ".")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield name, value


@pytest.mark.parametrize("name, default", list(_numeric_settings(Config())))
def test_every_numeric_setting_refuses_what_cannot_work_and_takes_its_default(name, default):
    """A property of the reader, not a list of cases: NaN and infinity everywhere, a negative value where
    nothing negative means anything, 0 where a size or count must be at least 1; each named as written."""
    from asr.training.config import POSITIVE, SIGNED

    bad = [".nan", ".inf", "-.inf"] + ([] if name in SIGNED else ["-1"]) + (["0"] if name in POSITIVE else [])
    for value in bad:
        with pytest.raises(UserError, match=rf"{name.replace('.', '[.]')}\b.*must be"):
            load_config(None, [f"--{name}", value])
    assert load_config(None, [f"--{name}", str(default)]) == Config()


def test_int_where_float_expected_is_accepted():
    assert load_config(None, ["--train.lr", "1"]).train.lr == 1.0


@pytest.mark.parametrize("args, message", [
    (["--model.hiden", "3"], "unknown setting model.hiden"),
    (["--model.hidden", "big"], "model.hidden must be an integer"),
    (["--model.bidirectional", "3"], "must be true or false"),
    (["--model.hidden"], "needs a value"),
    (["hidden", "3"], "expected --section.key VALUE"),
    # features that cannot be made: refused as the config is read, not after the data (tracebacks before)
    (["--features.n_mels", "100000"], "features: n_mels=100000 is more than the 257 frequency bins of n_fft=512"),
    (["--features.win_ms", "100000"], "features: n_fft=512 is shorter than the window"),
    (["--features.sample_rate", "100000000"], "features: n_fft=512 is shorter than the window"),
    (["--features.hop_ms", "0.00001"], "win_ms and hop_ms must be at least one sample at 16000 Hz"),
    (["--features.kind", "mfcc", "--features.n_mfcc", "90"], "n_mfcc=90 exceeds n_mels=80"),
])
def test_bad_settings_are_one_line_user_errors(args, message):
    with pytest.raises(UserError, match=message):
        load_config(None, args)


@pytest.mark.parametrize("kind, ctc_weight, message", [
    ("joint", "0", "a joint model needs 0 < model.ctc_weight <= 1"),
    ("las", "1", "a las model with model.ctc_weight 1 would train no speller"),
    ("las", ".nan", "model.ctc_weight must be a finite number"),
])
def test_a_ctc_weight_the_kind_cannot_take_is_one_line(kind, ctc_weight, message):
    tokenizer = Tokenizer("char", ("<blank>", "|", "a", "<sos/eos>"))
    with pytest.raises(UserError, match=message):
        load_config(None, ["--model.kind", kind, "--model.ctc_weight", ctc_weight]).model.new_model(40, tokenizer)


def test_missing_or_broken_yaml(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_config(bad)


def test_parse_overrides_nests():
    assert parse_overrides(["--a.b.c", "[1, 2]"]) == {"a": {"b": {"c": [1, 2]}}}


def test_a_model_too_large_for_memory_is_one_line_before_training(spoken_words, tmp_path, capsys):
    """An absurd size is refused with the model's size, for acoustic, embedding and language models alike
    (an allocator's traceback before)."""
    data = ["--data.train", str(spoken_words / "train.jsonl"), "--data.dev", str(spoken_words / "dev.jsonl")]
    for kind in ("ctc", "sa"):
        assert main(["train", "--out", str(tmp_path / kind), *data, "--model.kind", kind, "--model.hidden", "100000",
                     "--tokenizer.kind", "word"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"asr: error: a {kind} model of these settings has ")
        assert "GB to train, more than this machine's" in err[0] and not (tmp_path / kind / "model.pt").exists()
    (tmp_path / "text.txt").write_text("one two three\nfour five six\n")
    assert main(["lm", "train", str(tmp_path / "text.txt"), "--out", str(tmp_path / "lm.pt"), "--lm.hidden", "100000",
                 "--tokenizer.kind", "word"]) == 2
    assert "a lstm_lm model of these settings has " in capsys.readouterr().err
