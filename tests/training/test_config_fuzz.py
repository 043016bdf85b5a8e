"""Fuzzing the config loader (hypothesis): any YAML text, any sections, keys and values, and any
command-line overrides give a typed Config or one UserError, never another exception; YAML tags
that would build Python objects are refused and build nothing."""

import dataclasses
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asr.errors import UserError
from asr.training.config import Config, load_config

# derandomize: CI runs the same 1000 cases each time (new ones come from changing the strategies)
FUZZ = settings(max_examples=1000, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
SECTIONS = {f.name: [g.name for g in dataclasses.fields(f.default_factory())] for f in dataclasses.fields(Config)}
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=12))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=4), SCALARS, max_size=2))
KEYS = st.sampled_from([(s, k) for s, keys in SECTIONS.items() for k in keys] + [("model", "nope"), ("nope", "x")])
CONFIGS = st.one_of(
    st.dictionaries(KEYS, VALUES, max_size=5).map(
        lambda d: {s: {k: v for (s2, k), v in d.items() if s2 == s} for (s, _) in d}).map(yaml.safe_dump),
    st.text(max_size=80),
    VALUES.map(yaml.safe_dump))
OVERRIDES = st.lists(st.one_of(KEYS.map(lambda sk: f"--{sk[0]}.{sk[1]}"), st.text(max_size=10)), max_size=4)


def _load_or_refuse(paths: list[Path], overrides: list[str]) -> None:
    try:
        cfg = load_config(paths, overrides)
    except UserError as err:
        assert "\n" not in str(err).strip()
        return
    assert isinstance(cfg, Config)
    for section in SECTIONS:  # every value has its default's type (ints stand in for floats)
        for f in dataclasses.fields(getattr(Config(), section)):
            default, value = getattr(getattr(Config(), section), f.name), getattr(getattr(cfg, section), f.name)
            expected = (int, float) if isinstance(default, float) else type(default)
            assert isinstance(value, expected), (section, f.name, value)


@FUZZ
@given(text=CONFIGS, overrides=OVERRIDES)
def test_any_config_and_overrides_give_a_config_or_one_line(text: str, overrides: list[str], tmp_path: Path) -> None:
    path = tmp_path / "conf.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_or_refuse([path], overrides)


@FUZZ
@given(content=st.binary(max_size=200))
def test_any_bytes_give_a_config_or_one_line(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "conf.yaml"
    path.write_bytes(content)
    _load_or_refuse([path], [])


@pytest.mark.parametrize("tagged", ["model: !!python/object/apply:os.system ['touch {marker}']",
                                    "!!python/object/new:os.system ['touch {marker}']",
                                    "train: {{lr: !!python/name:os.system }}"])
def test_yaml_tags_that_build_objects_are_refused_and_build_nothing(tagged: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "conf.yaml"
    path.write_text(tagged.format(marker=marker))
    with pytest.raises(UserError, match="conf.yaml: not valid YAML"):
        load_config(path)
    with pytest.raises(UserError):
        load_config(None, ["--model.hidden", f"!!python/object/apply:os.system ['touch {marker}']"])
    assert not marker.exists()
