"""Starting a model from a trained one (model.init_from): the start's model file, checked for its kind,
and its weights copied after checking that their shapes fit, all of them or the encoder's alone.

Shared by the acoustic models' training (fine-tuning: `asr train --init-from BASE.pt`) and the
autoencoders' (a cae started from an sa).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from asr.errors import UserError
from asr.model_file import LoadedModel, load_model_file

ENCODER = "encoder."  # the state_dict prefix of every model's encoder (CTCModel, AttentionModel, SeqAutoencoder)


def load_start(path: str | Path, kinds: tuple[str, ...], what: str) -> LoadedModel:
    """The model file at `path`, which must be of one of `kinds` (`what` names them for people)."""
    loaded = load_model_file(path)
    if loaded.kind not in kinds:
        raise UserError(f"model.init_from: {path} is a {loaded.kind} model, not {what}")
    return loaded


def flat_fields(config: Any, prefix: str) -> dict[str, Any]:
    """A (nested) dataclass's fields as {"prefix.field": value}; nested ones flattened to their leaves
    under the outer prefix (a model config's encoder.hidden is the config's model.hidden)."""
    flat: dict[str, Any] = {}
    for key, value in (dataclasses.asdict(config) if dataclasses.is_dataclass(config) else config).items():
        if isinstance(value, dict):
            flat.update(flat_fields(value, prefix))
        else:
            flat[f"{prefix}.{key}"] = value
    return flat


def differences(base: Any, ours: Any, prefix: str, skip: Iterable[str] = ()) -> list[str]:
    """The fields in which two configs differ, as "model.hidden 128, this config 320" (skipping names in `skip`)."""
    theirs, mine = flat_fields(base, prefix), flat_fields(ours, prefix)
    skipped = set(skip)
    return [f"{key} {theirs.get(key)}, this config {mine.get(key)}" for key in sorted(theirs.keys() | mine.keys())
            if theirs.get(key) != mine.get(key) and key.rsplit(".", 1)[-1] not in skipped]


def _mismatched(ours: dict[str, torch.Tensor], theirs: dict[str, torch.Tensor]) -> bool:
    return ours.keys() != theirs.keys() or any(ours[k].shape != theirs[k].shape for k in ours)


def _encoder_part(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in state.items() if k.startswith(ENCODER)}


def fits_whole(model: torch.nn.Module, start: torch.nn.Module) -> bool:
    """Whether every weight of `start` has its place, of the same shape, in `model` (and no other)."""
    return not _mismatched(model.state_dict(), start.state_dict())


def take_all(model: torch.nn.Module, start: torch.nn.Module, refusal: str) -> None:
    """Copy every weight of `start` into `model`; UserError(`refusal`) when their names or shapes differ."""
    if not fits_whole(model, start):
        raise UserError(refusal)
    model.load_state_dict(start.state_dict())


def take_encoder(model: torch.nn.Module, start: torch.nn.Module, refusal: str) -> None:
    """Copy `start`'s encoder weights into `model`'s encoder (the rest keeps its new initial weights);
    UserError(`refusal`) when the encoders' names or shapes differ."""
    theirs = _encoder_part(start.state_dict())
    if not theirs or _mismatched(_encoder_part(model.state_dict()), theirs):
        raise UserError(refusal)
    missing, unexpected = model.load_state_dict(theirs, strict=False)
    assert not unexpected and not any(k.startswith(ENCODER) for k in missing)
