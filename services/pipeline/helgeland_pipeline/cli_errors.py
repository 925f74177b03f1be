"""The CLI's one error type: a one-line message, a non-zero exit."""


class CliError(Exception):
    """A one-line message for the user; the command exits non-zero."""
