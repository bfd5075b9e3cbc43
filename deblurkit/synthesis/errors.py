"""The error raised for bad synthesis input (a folder, a size, an option)."""

__all__ = ['SynthesisError']


class SynthesisError(ValueError):
    """Bad input to data synthesis; the message says what to change.

    The command-line tool prints it without a traceback and exits non-zero.
    """
