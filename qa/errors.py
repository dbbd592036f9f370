"""The one exception type the CLI and UI turn into a message for the user."""


class QAError(Exception):
    """A user-facing error: says what went wrong, with which file or setting, and what to do.

    ``exit_code`` is what the CLI exits with; 2 is a usage or input problem, 3 a missing or
    mismatched index, 4 a missing model.
    """

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
