"""A trained model as one self-contained file: weights, model config, tokenizer, feature settings
and normalisation statistics. Loading uses ``torch.load(weights_only=True)``, which only rebuilds
tensors and plain containers, so opening a model file never runs code from it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from asr.errors import UserError
from asr.features.frontend import FeatureConfig
from asr.features.pipeline import FeaturePipeline
from asr.models.ctc_model import CTCModel, CTCModelConfig
from asr.text.tokenizer import AnyTokenizer, tokenizer_from_dict

FORMAT = "asr-ctc-model/1"


@dataclass
class LoadedModel:
    model: CTCModel
    features: FeaturePipeline
    tokenizer: AnyTokenizer
    info: dict  # training config, data sizes and final metrics, for people to read


def save_model_file(path: str | Path, model: CTCModel, features: FeaturePipeline, tokenizer: AnyTokenizer,
                    info: dict | None = None) -> None:
    """Write the model file atomically (a crash mid-write never leaves a truncated model)."""
    payload = {
        "format": FORMAT,
        "model_config": model.cfg.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "features": dataclasses.asdict(features.cfg),
        "cmvn": {"mean": features.mean.detach().cpu(), "std": features.std.detach().cpu()},
        "tokenizer": tokenizer.to_dict(),
        "info": info or {},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_model_file(path: str | Path, device: str | torch.device = "cpu") -> LoadedModel:
    """Rebuild model, features and tokenizer from a model file, in eval mode on `device`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"model file not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated, foreign or tampered file: one line, not a traceback
        raise UserError(f"{path}: not a readable model file ({type(err).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UserError(f"{path}: not an asr model file (expected format {FORMAT})")
    model = CTCModel(CTCModelConfig.from_dict(payload["model_config"]))
    model.load_state_dict(payload["state_dict"])
    features = FeaturePipeline(FeatureConfig(**payload["features"]), payload["cmvn"]["mean"], payload["cmvn"]["std"])
    tokenizer = tokenizer_from_dict(payload["tokenizer"])
    return LoadedModel(model.to(device).eval(), features.to(device).eval(), tokenizer, payload.get("info", {}))
