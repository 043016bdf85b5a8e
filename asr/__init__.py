"""asr: a small, readable speech-recognition toolkit.

  import asr
  model = asr.load_model("exp/mini/model.pt")
  try:
      result = model.transcribe("talk.flac")    # .text, .segments, .words (see asr.transcription.recognizer)
  except asr.UserError as err:                  # unreadable audio, a wrong shape or rate, an unknown option
      print(err)                                # one line
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["TranscriptionErrors", "UserError", "load_model"]


def __getattr__(name: str):
    # `import asr` stays free of torch: the command line imports this package before it knows the command.
    if name == "load_model":
        from asr.transcription.recognizer import load_model

        return load_model
    if name in ("UserError", "TranscriptionErrors"):
        from asr import errors  # plain Python: no torch

        return getattr(errors, name)
    raise AttributeError(f"module 'asr' has no attribute {name!r}")
