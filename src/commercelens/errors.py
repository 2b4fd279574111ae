"""Errors with exit codes: 1 user error, 2 data-quality failure, 3 internal error.

The CLI maps these to exit codes in one place (`cli/app.py`); library code raises them
with a message a user can act on (file, line, field), never a traceback.
"""

from __future__ import annotations


class CommerceLensError(Exception):
    """Base class; an unexpected failure inside CommerceLens (exit code 3)."""

    exit_code = 3
    code = "internal_error"


class UserError(CommerceLensError):
    """Bad input from the user: a flag, a setting or a file they pointed at (exit code 1)."""

    exit_code = 1
    code = "user_error"


class ConfigError(UserError):
    code = "config_error"


class InputFileError(UserError):
    """A whole-file problem: missing file, wrong header, unreadable encoding.

    The message names the file, and the line and field when they are known.
    """

    code = "input_file_error"

    def __init__(self, file: str, problem: str, line: int | None = None, field: str | None = None):
        self.file, self.problem, self.line, self.field = file, problem, line, field
        where = file if line is None else f"{file} line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")


class DataQualityError(CommerceLensError):
    """The data broke a configured quality limit (exit code 2)."""

    exit_code = 2
    code = "data_quality_error"
