"""A trained model as one self-contained file: its kind, weights, model config, tokenizer and, for
acoustic models, feature settings and normalisation statistics.

Loading uses ``torch.load(weights_only=True)``, which only rebuilds tensors and plain containers,
so opening a model file never runs code from it. The model is rebuilt from its kind and config
through one table (`asr.models.kinds`). Files written before kinds existed (format
``asr-ctc-model/1``) load as CTC models.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from asr.errors import UserError
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.models.kinds import build_model, kind_of
from asr.text.tokenizer import AnyTokenizer, tokenizer_from_dict
from asr.utils.atomic_file import replaced_whole

FORMAT = "asr-model/2"
FORMAT_V1 = "asr-ctc-model/1"  # CTC only, no kind recorded


@dataclass
class LoadedModel:
    model: nn.Module
    features: FeaturePipeline | None  # None for a language model
    tokenizer: AnyTokenizer | None  # None for an embedding model (speech in, vectors out)
    info: dict  # training config, data sizes and final metrics, for people to read

    @property
    def kind(self) -> str:
        return self.model.kind

    def require(self, kinds: tuple[str, ...], path: str | Path, purpose: str) -> LoadedModel:
        """Itself when its kind is one of `kinds`; else a UserError: "PATH is a KIND model: it cannot PURPOSE"."""
        if self.kind not in kinds:
            raise UserError(f"{path} is a {self.kind} model: it cannot {purpose} (that needs {', '.join(kinds)})")
        return self


def save_model_file(path: str | Path, model: nn.Module, features: FeaturePipeline | None,
                    tokenizer: AnyTokenizer | None, info: dict | None = None) -> None:
    """Write the model file atomically (a crash mid-write never leaves a truncated model)."""
    payload = {
        "format": FORMAT,
        "kind": model.kind,
        "model_config": model.cfg.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "tokenizer": tokenizer.to_dict() if tokenizer is not None else None,
        "info": info or {},
    }
    if features is not None:
        payload["features"] = dataclasses.asdict(features.cfg)
        payload["cmvn"] = {"mean": features.mean.detach().cpu(), "std": features.std.detach().cpu()}
    with replaced_whole(path, "wb", fsync=True) as f:  # on disk before the name points at it
        torch.save(payload, f)


def load_model_file(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild model, features and tokenizer from a model file, in eval mode on `device`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    if path.suffix == ".onnx":  # written by `asr export`, run by onnxruntime on the CPU
        from asr.export.onnx_model import load_onnx_model

        return load_onnx_model(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated, foreign or tampered file: one line, not a traceback
        raise UserError(f"{path}: not a readable model file ({type(err).__name__})") from None
    if isinstance(payload, dict) and "pytorch-lightning_version" in payload:
        raise UserError(f"{path}: a training checkpoint, not a model file (the run's model file is model.pt "
                        "in its output folder; `asr train` with the same --out continues from its checkpoints)")
    if not isinstance(payload, dict) or payload.get("format") not in (FORMAT, FORMAT_V1):
        raise UserError(f"{path}: not an asr model file (expected format {FORMAT})")
    try:
        return _rebuild(payload, device)
    except _Disagree as err:
        raise UserError(f"{path}: {err}") from None
    except (KeyError, TypeError, ValueError, RuntimeError) as err:  # a part missing, malformed or of another shape
        detail = f"missing {err}" if isinstance(err, KeyError) else str(err).splitlines()[0][:200]
        raise UserError(f"{path}: a damaged or inconsistent model file ({detail})") from None


class _Disagree(Exception):
    """Two parts of a model file that cannot belong together."""


MAX_VOCAB = 1 << 20  # output units; more is no tokenizer of ours, and the layer alone would take gigabytes


def _rebuild(payload: dict, device: str | torch.device) -> LoadedModel:
    """The model file's parts, checked against each other before the weights are built (cheap checks first)."""
    kind = payload.get("kind", "ctc")
    try:
        kind_of(kind)
    except ValueError as err:  # a kind this version does not know
        raise _Disagree(str(err)) from None
    config = payload["model_config"]
    vocab = config.get("vocab_size") if isinstance(config, dict) else None
    if isinstance(vocab, int) and not 0 < vocab <= MAX_VOCAB:
        raise _Disagree(f"its output layer would have {vocab} units (at most {MAX_VOCAB})")
    tokenizer = tokenizer_from_dict(payload["tokenizer"]) if payload.get("tokenizer") is not None else None
    if tokenizer is not None and vocab is not None and len(tokenizer) != vocab:
        raise _Disagree(f"its tokenizer has {len(tokenizer)} symbols but its output layer {vocab}")
    features = None
    if "features" in payload:
        features = FeaturePipeline(FeatureConfig(**payload["features"]), payload["cmvn"]["mean"],
                                   payload["cmvn"]["std"])
        if features.mean.shape != (features.dim,) or features.std.shape != (features.dim,):
            raise _Disagree(f"its normalisation statistics are for {features.mean.numel()} features, "
                            f"its frontend makes {features.dim}")
        features = features.to(device).eval()
    model = build_model(kind, config)
    encoder = getattr(model.cfg, "encoder", None)
    if features is not None and encoder is not None and encoder.input_dim != features.dim:
        raise _Disagree(f"its encoder reads {encoder.input_dim} features, its frontend makes {features.dim}")
    if tokenizer is not None and model.has_ctc and getattr(model.cfg, "blank_id", 0) != tokenizer.blank_id:
        raise _Disagree(f"its CTC blank is symbol {model.cfg.blank_id}, its tokenizer's {tokenizer.blank_id}")
    model.load_state_dict(payload["state_dict"])
    return LoadedModel(model.to(device).eval(), features, tokenizer, payload.get("info", {}))
