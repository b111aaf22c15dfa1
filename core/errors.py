"""Errors services raise for users: a human message, a machine code and an HTTP status."""

from __future__ import annotations


class ApplicationError(Exception):
    status_code = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class ConflictError(ApplicationError):
    status_code = 409
    code = "CONFLICT"
