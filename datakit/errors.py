"""Errors that end a command with a message for the user (never a traceback)."""

from __future__ import annotations


class DatakitError(Exception):
    """A problem the user can fix: bad configuration, unreadable input, missing vocabulary.

    ``exit_code`` follows the CLI convention: 2 for usage or configuration errors.
    """

    exit_code: int = 2

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return self.message if self.fix is None else f"{self.message}\n  fix: {self.fix}"


class ConfigError(DatakitError):
    """Invalid ``[tool.datakit]`` configuration or command-line options."""


class InputError(DatakitError):
    """An input file cannot be read at all (missing, a directory, not decodable)."""


class VocabularyError(DatakitError):
    """The Qwen BPE vocabulary is missing, unreadable or not the expected file."""
