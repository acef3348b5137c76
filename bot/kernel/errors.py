"""Problems a person can fix: a polite message and, where it helps, a correct example."""

from __future__ import annotations


class UserError(Exception):
    """Input the bot cannot act on. Nothing is stored when one is raised."""

    def __init__(self, message: str, example: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.example = example
        self.field = field


class NotAllowed(UserError):
    """The person may not do this; the message says who can."""


class NotFound(UserError):
    """The reference does not match a record."""


class Conflict(UserError):
    """The record's state does not allow this now (no places left, already withdrawn)."""


class StaleVersion(UserError):
    """Someone changed the record since this person looked at it."""


class FieldErrors(UserError):
    """Several form fields are wrong at once; shown beside each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Please check the highlighted fields.")
        self.errors = errors
