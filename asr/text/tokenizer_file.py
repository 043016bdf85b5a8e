"""A tokenizer on its own, as a small JSON file: learnt once (`asr tokenizer train`) and shared by the
acoustic model and the language model a recipe trains, so that both predict the same ids.

The file is data only: its kind and symbols, or a SentencePiece model as base64 text.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from asr.errors import UserError
from asr.text.tokenizer import AnyTokenizer, tokenizer_from_dict
from asr.utils.atomic_file import replaced_whole

FORMAT = "asr-tokenizer-1"


def save_tokenizer(tokenizer: AnyTokenizer, path: str | Path) -> None:
    """Write `tokenizer` to `path` (replaced whole: a reader never sees half a file)."""
    fields = {k: base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v
              for k, v in tokenizer.to_dict().items()}
    binary = [k for k, v in tokenizer.to_dict().items() if isinstance(v, bytes)]
    with replaced_whole(path) as f:
        f.write(json.dumps({"format": FORMAT, "base64": binary, "tokenizer": fields}, ensure_ascii=False))


def load_tokenizer(path: str | Path) -> AnyTokenizer:
    """The tokenizer `save_tokenizer` wrote; UserError naming the file when it is missing or not one."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"tokenizer file not found: {path}")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format") != FORMAT:
            raise ValueError("no asr-tokenizer-1 format mark")
        fields = dict(payload["tokenizer"])
        for key in payload.get("base64", []):
            fields[key] = base64.b64decode(fields[key])
        return tokenizer_from_dict(fields)
    except (ValueError, KeyError, TypeError, AttributeError, RuntimeError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not a tokenizer file written by asr tokenizer train ({err})") from None
