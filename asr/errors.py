"""The one exception type the command line turns into a one-line message."""


class UserError(Exception):
    """A mistake in the user's input (a bad path, an unreadable file, a wrong option).

    The CLI prints ``asr: error: <message>`` and exits with status 2 instead of a traceback.
    """
