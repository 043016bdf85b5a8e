"""asr: a small, readable speech-recognition toolkit."""

__version__ = "0.1.0"
