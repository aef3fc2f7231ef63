"""HTTP errors of the endpoint: a status and a message naming the problem, in the client's format.

The body is JSON ``{"error": message, "status": code}`` when the client prefers JSON (``Accept``
application/json or application/sparql-results+json, or ``format=json``), else plain text with
the message. Never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import Response, request

JSON_TYPES = ("application/json", "application/sparql-results+json")


class HttpError(Exception):
    """An HTTP error answer: ``status``, ``message`` (shown to the client) and extra headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def prefers_json() -> bool:
    """Whether the client of the current request would rather read an error as JSON."""
    formats = [v.strip().lower() for v in request.values.getlist("format")] if _has_values() else []
    if formats:
        return formats[0] in ("json", "srj", *JSON_TYPES)
    return request.accept_mimetypes.best_match(["text/plain", *JSON_TYPES]) in JSON_TYPES


def _has_values() -> bool:
    """Whether the request's parameters can be read (a body too large cannot be: 413)."""
    if request.method == "GET" or request.content_length is None:
        return True
    limit = request.max_content_length
    return limit is None or request.content_length <= limit


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The answer of an error, JSON or plain text as the client prefers."""
    if prefers_json():
        body = json.dumps({"error": message, "status": status}, ensure_ascii=False) + "\n"
        response = Response(body, status=status, content_type="application/json; charset=utf-8")
    else:
        response = Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Vary"] = "Accept"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
