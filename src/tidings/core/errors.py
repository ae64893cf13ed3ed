"""Domain errors. Each maps to one HTTP status in the API and to a readable message."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The input the message is about (a form puts the message next to it), if one.
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class InvalidInput(DomainError):
    status_code = 422


class InvalidTransition(DomainError):
    status_code = 409


class TooManyRequests(DomainError):
    status_code = 429
