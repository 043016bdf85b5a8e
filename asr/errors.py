"""The exception types a user of ``asr`` catches: the command line turns them into a one-line message.

``asr.UserError`` is what the Python API raises for a mistake in what it was given (``import asr`` gives
it without loading torch); ``TranscriptionErrors`` is the one ``transcribe`` raises for a list of inputs
of which some failed, with every result and every error kept.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input (a bad path, an unreadable file, a wrong option, audio of a wrong shape).

    The CLI prints ``asr: error: <message>`` and exits with status 2 instead of a traceback.
    """


class TranscriptionErrors(UserError):
    """Some inputs of a list could not be transcribed; the others were.

    results: one entry per input, in order: its TranscriptionResult, or the UserError that stopped it.
    """

    def __init__(self, results: list) -> None:
        self.results = results
        failed = self.errors
        first, error = failed[0]
        # one line, as every UserError: the count, then the first failure (`.results` holds them all)
        super().__init__(f"{len(failed)} of {len(results)} inputs could not be transcribed "
                         f"(input {first}: {error}); .results holds each input's result or error")

    def __reduce__(self):
        return type(self), (self.results,)  # rebuilt from its results (pickling, multiprocessing)

    @property
    def errors(self) -> list[tuple[int, UserError]]:
        """(index, error) of each input that failed."""
        return [(i, r) for i, r in enumerate(self.results) if isinstance(r, UserError)]


class Interrupted(Exception):
    """A run stopped by a signal (SIGTERM from a scheduler, SIGINT from Ctrl-C) after saving what resumes it.

    The CLI prints ``asr: <message>`` and exits with the shell's status for that signal (128 + its
    number: 143 for SIGTERM, 130 for SIGINT), so that a script never takes a stopped run for a finished one.
    """

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_status = 128 + signum
