"""Errors: every error answer of exai-store becomes one of these, carrying its RFC 9457 problem details."""
from __future__ import annotations

import json
from typing import Any


class ExaiStoreError(Exception):
    """An error answer from exai-store, with its problem details."""

    def __init__(self, status: int, problem: dict[str, Any] | None = None):
        self.status = status
        self.problem = problem or {}
        self.type = self.problem.get("type")
        self.title = self.problem.get("title")
        self.detail = self.problem.get("detail")
        super().__init__(f"{status} {self.title or ''}: {self.detail or ''}".strip())


class BadRequest(ExaiStoreError):
    """400: the request was not valid."""


class Unauthorized(ExaiStoreError):
    """401: missing or wrong API key."""


class NotFound(ExaiStoreError):
    """404: no such session, file or route (or it belongs to another tenant)."""


class Conflict(ExaiStoreError):
    """409: the continuation_id exists."""


class TooLarge(ExaiStoreError):
    """413: content, body or file over the limit."""


class Unprocessable(ExaiStoreError):
    """422: an Idempotency-Key reused with another request."""


class ProviderFailed(ExaiStoreError):
    """502: a model provider failed."""


class Unavailable(ExaiStoreError):
    """503: the store is unavailable (retried before this is raised)."""


ERRORS = {400: BadRequest, 401: Unauthorized, 404: NotFound, 409: Conflict, 413: TooLarge, 422: Unprocessable,
          502: ProviderFailed, 503: Unavailable}


def from_status(status: int, payload: bytes) -> ExaiStoreError:
    """The error an answer's status stands for, with the problem details its body carried."""
    try:
        problem = json.loads(payload or b"{}")
    except ValueError:
        problem = {}
    return ERRORS.get(status, ExaiStoreError)(status, problem)


def from_http_error(error) -> ExaiStoreError:
    """The error an ``urllib.error.HTTPError`` answer stands for, with the problem details it carried."""
    return from_status(error.code, error.read())
