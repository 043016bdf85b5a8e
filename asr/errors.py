"""The one exception type the command line turns into a one-line message."""


class UserError(Exception):
    """A mistake in the user's input (a bad path, an unreadable file, a wrong option).

    The CLI prints ``asr: error: <message>`` and exits with status 2 instead of a traceback.
    """


class Interrupted(Exception):
    """A run stopped by a signal (SIGTERM from a scheduler, SIGINT from Ctrl-C) after saving what resumes it.

    The CLI prints ``asr: <message>`` and exits with the shell's status for that signal (128 + its
    number: 143 for SIGTERM, 130 for SIGINT), so that a script never takes a stopped run for a finished one.
    """

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_status = 128 + signum
