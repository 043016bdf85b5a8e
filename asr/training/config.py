"""Training configuration: typed dataclasses filled from a small YAML file and `--section.key value` overrides.

A recipe's YAML lists only what differs from these defaults, e.g.::

    data: {train: data/train.jsonl, dev: data/dev.jsonl}
    model: {hidden: 256, layers: 3}
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from torch import nn

from asr.errors import UserError
from asr.features.frontend import FeatureConfig
from asr.features.specaugment import SpecAugmentConfig
from asr.models.attention_model import AttentionSettings
from asr.models.kinds import ACOUSTIC_KINDS, EMBEDDING_KINDS, TRAINING, build_model, kind_of, new_config
from asr.models.lstm_lm import LSTMLMConfig
from asr.models.rnn_encoder import EncoderConfig, EncoderSettings
from asr.models.seq_autoencoder import AutoencoderSettings
from asr.text.tokenizer import AnyTokenizer


@dataclass
class DataConfig:
    train: str = ""  # JSON-lines manifest (asr prepare)
    dev: str = ""
    max_batch_seconds: float = 160.0  # padded audio per batch: batch size x longest utterance
    max_batch_size: int = 64
    max_duration: float = 30.0  # longer training utterances are skipped (counted)
    cmvn_utterances: int = 1000  # training utterances sampled for the normalisation statistics
    num_workers: int = 0  # on 2 CPU cores a loader worker only takes time from the model
    speed_perturb: list[float] = field(default_factory=list)  # e.g. [0.9, 1.0, 1.1]: a speed per training read
    noise_snr: list[float] = field(default_factory=list)  # e.g. [0, 20]: noise at an SNR (dB) drawn per training read
    noise_dir: str = ""  # noise recordings (any folder tree; MUSAN's taken as it is); empty: white noise
    noise_prob: float = 1.0  # share of training reads with noise added (when noise_snr is set)
    rir_dir: str = ""  # room impulse responses (any folder tree; RIRS_NOISES's taken); empty: simulated rooms
    rir_prob: float = 0.0  # share of training reads played in a room (convolved with an impulse response)
    recompute_cmvn: bool = False  # fine-tuning: measure the statistics on this training set, not keep the base's
    cache_audio: bool = False  # keep decoded training audio in memory (float16, 2 bytes a sample)
    pair_across_speakers: bool = True  # cae: the word's other instance comes from another speaker when it can


@dataclass
class TokenizerConfig:
    kind: str = "char"  # "char", "word" (closed sets such as digits), or SentencePiece "bpe" / "unigram"
    vocab_size: int = 256  # SentencePiece pieces (bpe, unigram), learnt from the training transcripts
    file: str = ""  # a tokenizer written by `asr tokenizer train`, used as it is (kind and vocab_size then unused)


@dataclass
class ModelConfig:
    """The model: its kind and the settings of its parts. A recipe may write a part's settings at the
    section's level (`model: {hidden: 256, decoder_hidden: 128}`, as every recipe does) or in the
    part's own section (`model: {encoder: {hidden: 256}}`); one written at the section's level goes
    to every part that has it (decoder_hidden: the speller's and the autoencoder's)."""

    kind: str = "ctc"  # "ctc", "las" (attention decoder), "joint" (CTC head + attention decoder), or the
    # Audio Word2Vec autoencoders "sa", "dsa" (masked input) and "cae" (another instance of the word out)
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    # las, joint; ctc_weight is λ in λ·CTC + (1-λ)·attention (joint 0.3 unless set; las 0: no CTC head)
    speller: AttentionSettings = field(default_factory=AttentionSettings)
    autoencoder: AutoencoderSettings = field(default_factory=AutoencoderSettings)  # sa, dsa, cae
    # a trained model file to start from: an autoencoder for sa, dsa, cae (cae starts from an sa); an acoustic
    # model for ctc, las, joint (fine-tuning: its features, its tokenizer unless tokenizer.file names another)
    init_from: str = ""

    PARTS = ("encoder", "speller", "autoencoder")  # sections whose settings may be written at this level

    def __post_init__(self) -> None:
        if self.kind not in ACOUSTIC_KINDS + EMBEDDING_KINDS:
            raise ValueError(f"model.kind must be one of {', '.join(ACOUSTIC_KINDS + EMBEDDING_KINDS)}, "
                             f"not {self.kind!r}")

    def model_config(self, input_dim: int, vocab_size: int = 0, eos_id: int | None = None) -> Any:
        """The frozen config of the model this describes, for features of `input_dim` and a tokenizer."""
        entry = kind_of(self.kind)
        # the part whose settings the kind's config extends (none for ctc: an encoder and a head)
        settings = next((getattr(self, p) for p in self.PARTS[1:] if issubclass(entry.config, type(getattr(self, p)))),
                        None)
        encoder = EncoderConfig(**dataclasses.asdict(self.encoder), input_dim=input_dim)
        return new_config(self.kind, settings, encoder=encoder, vocab_size=vocab_size,
                          eos_id=-1 if eos_id is None else eos_id)

    def new_model(self, input_dim: int, tokenizer: AnyTokenizer | None = None) -> nn.Module:
        """A new model as this section describes, for features of `input_dim` (and a tokenizer's ids);
        UserError for settings that cannot build one."""
        vocab = dict(vocab_size=len(tokenizer), eos_id=tokenizer.eos_id) if tokenizer is not None else {}
        try:
            model = build_model(self.kind, self.model_config(input_dim, **vocab).to_dict(), TRAINING)
        except ValueError as err:  # a bad value in the config
            raise UserError(str(err)) from None
        if model.kind != self.kind:  # an attention model without a CTC weight is a LAS model
            raise UserError(f"a {self.kind} model needs 0 < model.ctc_weight <= 1, not {model.cfg.ctc_weight}")
        return model


@dataclass
class LMConfig:
    """The LSTM language model (`asr lm train`) and how it is trained."""

    embed_dim: int = 256
    hidden: int = 512
    layers: int = 2
    dropout: float = 0.2
    max_epochs: int = 20
    max_minutes: float = 0.0  # wall-clock budget; 0 = none
    lr: float = 2e-3
    batch_size: int = 64  # sentences
    dev_fraction: float = 0.05  # sentences held out to pick the best epoch (perplexity)
    max_sentences: int = 0  # train on a random sample of this many sentences; 0 = all (LibriSpeech's LM text has 40 M)

    def model_config(self, vocab_size: int, eos_id: int | None) -> LSTMLMConfig:
        """The LSTM LM's frozen config over a tokenizer; ValueError for settings that cannot train."""
        if not 0 <= self.dev_fraction < 1:
            raise ValueError(f"lm.dev_fraction must be at least 0 and below 1, not {self.dev_fraction}")
        if self.batch_size < 1 or self.max_epochs < 1:
            raise ValueError("lm.batch_size and lm.max_epochs must be at least 1")
        return LSTMLMConfig(vocab_size=vocab_size, eos_id=-1 if eos_id is None else eos_id, embed_dim=self.embed_dim,
                            hidden=self.hidden, layers=self.layers, dropout=self.dropout)


@dataclass
class TrainConfig:
    max_epochs: int = 30
    max_minutes: float = 0.0  # wall-clock budget for fitting (the lr schedule anneals by it too); 0 = none
    lr: float = 2e-3
    warmup_steps: int = 200
    final_lr_ratio: float = 0.05  # cosine decay from lr to lr * this over the planned steps
    weight_decay: float = 0.0
    grad_clip: float = 5.0
    freeze_encoder_epochs: int = 0  # fine-tuning: the encoder keeps the base's weights for this many epochs
    freeze_encoder_steps: int = 0  # ... or steps (frozen while either holds)
    checkpoint_every: int = 500  # steps; a checkpoint is also written at the end of every epoch
    log_every: int = 10  # steps between rows of the training log (metrics.csv, TensorBoard)
    average_best: int = 1  # the model file holds the mean weights of this many best checkpoints
    seed: int = 0
    precision: str = "32-true"  # Lightning precision, e.g. "bf16-mixed" on a GPU
    accelerator: str = "auto"
    devices: int = 1  # processes per machine (GPUs, or CPU processes); more than 1 trains with DDP
    num_nodes: int = 1  # machines (SLURM or torchrun launch them; see README)
    threads: int = 0  # torch CPU threads; 0 = torch's default


@dataclass
class RecipeConfig:
    """What a recipe's run.sh does with a config; `asr train` reads none of it."""

    subsets: list[str] = field(default_factory=list)  # the corpus subsets: train, dev, then the test sets
    decoders: dict[str, str] = field(default_factory=dict)  # a name -> its `asr evaluate` decoding flags


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    specaugment: SpecAugmentConfig = field(default_factory=SpecAugmentConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    lm: LMConfig = field(default_factory=LMConfig)
    recipe: RecipeConfig = field(default_factory=RecipeConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _build(cls: type, values: dict[str, Any], where: str, written_above: frozenset[str] = frozenset(),
           base: Any = None) -> Any:
    """Instantiate dataclass `cls` from a dict, recursing into dataclass fields; unknown keys are errors.
    written_above: keys the user wrote one section up (a part's settings), named so in messages;
    base: the section's default (a field's default may differ from its class's: the speller's CTC weight)."""
    if not isinstance(values, dict):
        raise UserError(f"{where.removeprefix('config.')} must be a mapping, not {values!r}")
    values, moved = _route_to_parts(cls, values)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    defaults = base if base is not None else cls()
    kwargs = {}
    for key, value in values.items():
        if key not in fields:
            known = list(fields) + sorted(set().union(*_part_fields(cls).values()))
            raise UserError(f"unknown setting {where}.{key} (known: {', '.join(known)})".replace("config.", ""))
        default = getattr(defaults, key)
        shown = f"{where.rsplit('.', 1)[0] if key in written_above else where}.{key}".removeprefix("config.")
        if dataclasses.is_dataclass(default):
            kwargs[key] = _build(type(default), value, f"{where}.{key}", frozenset(moved.get(key, ())), default)
        else:
            kwargs[key] = _in_range(_coerce(value, default, shown, str(fields[key].type)),
                                    f"{where}.{key}".removeprefix("config."), shown)
    try:
        return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
    except (ValueError, TypeError) as err:  # a section's own check of its values
        raise UserError(f"{where.removeprefix('config.')}: {err}") from None


def _route_to_parts(cls: type, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """Settings of a section's parts (cls.PARTS) written at the section's level, moved into every part
    that has a field of that name (what the part's own section says wins); and which were moved where."""
    part_fields = _part_fields(cls)
    routed = {k: v for k, v in values.items() if not any(k in names for names in part_fields.values())}
    moved: dict[str, set[str]] = {}
    for part, names in part_fields.items():
        flat = {k: v for k, v in values.items() if k in names}
        given = values.get(part, {})
        if flat:
            routed[part] = flat | given if isinstance(given, dict) else given
            moved[part] = set(flat) - set(given if isinstance(given, dict) else ())
    return routed, moved


def _part_fields(cls: type) -> dict[str, set[str]]:
    """cls.PARTS -> the names of each part's settings that the section itself has no field for."""
    own = {f.name for f in dataclasses.fields(cls)}
    defaults = cls() if getattr(cls, "PARTS", ()) else None
    return {part: {f.name for f in dataclasses.fields(getattr(defaults, part))} - own
            for part in getattr(cls, "PARTS", ())}


# a type named in a field's annotation -> a value of it, to check against when the default is None
_STAND_INS = {"float": 0.0, "int": 0, "str": "", "bool": False}


def _coerce(value: Any, default: Any, where: str, annotation: str = "") -> Any:
    """Check a YAML value against the default's type (or, for a None default, the annotation's
    "T | None"); ints are accepted where floats are expected, and a list[float]'s items are checked."""
    if default is None:
        if value is None:
            return None
        default = _STAND_INS.get(annotation.split("|")[0].strip(), value)
    if value is None:
        raise UserError(f"{where} needs a value ({_kind(default)}), not null")
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise UserError(f"{where} must be true or false, not {value!r}")
        return value
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, float) and isinstance(value, str):  # YAML 1.1 reads 1e-5 (no dot) and nan as text
        try:
            return float(value)
        except ValueError:
            pass
    if not isinstance(value, type(default)):
        raise UserError(f"{where} must be {_kind(default)}, not {value!r}")
    items = {"list[float]": 0.0, "list[str]": "", "dict[str, str]": ""}  # a container's items: a stand-in of their type
    if annotation.startswith("list[") and annotation in items:
        return [_coerce(item, items[annotation], f"{where}[{i}]") for i, item in enumerate(value)]
    if annotation.startswith("dict[") and annotation in items:
        return {str(key): _coerce(item, items[annotation], f"{where}.{key}") for key, item in value.items()}
    return value


# What the readers take of a number, for every setting alike: finite, and at least 0 unless SIGNED;
# above 0 (an integer at least 1) where POSITIVE; below 1 where FRACTION. A value that cannot work, or
# can only give nonsense, is refused before any work starts.
SIGNED = {"data.noise_snr"}  # dB: noise louder than the speech is a negative SNR
POSITIVE = {
    "data.max_batch_seconds", "data.max_batch_size", "data.max_duration", "data.cmvn_utterances", "data.speed_perturb",
    "features.sample_rate", "features.n_mels", "features.n_mfcc", "features.win_ms", "features.hop_ms",
    "features.n_fft", "features.log_floor", "tokenizer.vocab_size",
    "model.encoder.hidden", "model.encoder.layers", "model.encoder.stack", "model.speller.attention_dim",
    "model.speller.decoder_hidden", "model.speller.decoder_layers", "model.speller.embed_dim",
    "model.autoencoder.vector_dim", "model.autoencoder.decoder_hidden", "model.autoencoder.decoder_layers",
    "train.max_epochs", "train.lr", "train.checkpoint_every", "train.log_every", "train.average_best",
    "train.devices", "train.num_nodes", "lm.embed_dim", "lm.hidden", "lm.layers", "lm.max_epochs", "lm.lr",
    "lm.batch_size",
}
PROBABILITY = {"data.noise_prob", "data.rir_prob"}  # at most 1
FRACTION = {"model.encoder.dropout", "model.speller.decoder_dropout", "model.speller.label_smoothing",
            "model.speller.sampling_prob", "lm.dropout", "lm.dev_fraction", "features.preemphasis"}


def _in_range(value: Any, name: str, shown: str) -> Any:
    """`value` when it is a number (or list of numbers) the setting `name` can take; else a UserError naming
    it as `shown`. Other values pass."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            _in_range(item, name, f"{shown}[{i}]")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if not math.isfinite(value):
        raise UserError(f"{shown} must be a finite number, not {value}")
    if name in POSITIVE and value <= 0:
        raise UserError(f"{shown} must be {'at least 1' if isinstance(value, int) else 'above 0'}, not {value}")
    if name not in SIGNED and value < 0:
        raise UserError(f"{shown} must be at least 0, not {value}")
    if name in PROBABILITY and value > 1:
        raise UserError(f"{shown} must be at most 1, not {value}")
    if name in FRACTION and value >= 1:
        raise UserError(f"{shown} must be below 1, not {value}")
    return value


def _kind(default: Any) -> str:
    """How a message names the type a setting needs: 'an integer', not 'a int'."""
    names = {int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a mapping"}
    return names.get(type(default), f"a {type(default).__name__}")


def parse_overrides(args: list[str]) -> dict[str, Any]:
    """`['--model.hidden', '512', '--data.train=x.jsonl']` -> nested dict; values are parsed as YAML scalars."""
    nested: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or "." not in arg:
            raise UserError(f"expected --section.key VALUE, got {arg!r}")
        if "=" in arg:
            key, raw = arg[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(args):
                raise UserError(f"{arg} needs a value")
            key, raw = arg[2:], args[i + 1]
            i += 2
        *sections, leaf = key.split(".")
        node = nested
        for section in sections:
            node = node.setdefault(section, {})
        try:
            node[leaf] = yaml.safe_load(raw)
        except yaml.YAMLError:  # not a YAML scalar (a tag, a control character): the text itself
            node[leaf] = raw
    return nested


def _merge(base: dict, update: dict) -> dict:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(paths: str | Path | list[str | Path] | None, overrides: list[str] | None = None) -> Config:
    """Read YAML configs (none: defaults), each listing what differs from the ones before it, apply
    command-line overrides, return a typed Config."""
    values: dict[str, Any] = {}
    if paths is not None and not isinstance(paths, list):
        paths = [paths]
    for path in map(Path, paths or []):
        if not path.is_file():
            raise UserError(f"config file not found: {path}")
        try:
            layer = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:  # safe_load refuses tags that would build Python objects
            raise UserError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(f"{path}: cannot read config ({err})") from None
        if not isinstance(layer, dict):
            raise UserError(f"{path}: a config is a mapping of sections, not {type(layer).__name__}")
        values = _merge(values, layer)
    values = _merge(values, parse_overrides(overrides or []))
    return _build(Config, values, "config")
