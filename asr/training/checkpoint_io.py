"""Checkpoints written beside their final name and renamed into place, so a process killed mid-write
leaves the previous checkpoint of that name whole.

Lightning's own writer (fsspec) writes to a temporary file in the system's temp folder and moves it
into place. Where that folder is another filesystem (a tmpfs /tmp, a node-local disk under a shared
checkpoint folder) the move is a copy into the final name, which a kill can cut short, and a
multi-gigabyte checkpoint can fill a small /tmp.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from asr.utils.atomic_file import PARTIAL_SUFFIX, replaced_whole


class SameFolderCheckpointIO(TorchCheckpointIO):
    """Lightning's torch checkpoint IO with a rename in the checkpoint's own folder as the last step."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        if storage_options is not None:
            raise TypeError("storage_options are not supported for local checkpoints")
        # the bytes are on disk before the name points at them; a failed write (a full disk) leaves nothing
        with replaced_whole(path, "wb", fsync=True) as f:
            torch.save(checkpoint, f)


def remove_partial_checkpoints(folder: Path) -> None:
    """Delete what a killed write left behind (never a complete checkpoint)."""
    for leftover in folder.glob("*" + PARTIAL_SUFFIX):
        leftover.unlink(missing_ok=True)
