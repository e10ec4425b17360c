"""The one error type the REST layer turns into Hub's `{"status": "fail", "message": ...}` envelope."""

from __future__ import annotations


class ApiError(Exception):
    """A request Hub would refuse; `status` is the HTTP code, `message` goes to the client verbatim."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
