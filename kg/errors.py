"""Errors that carry their CLI exit code and HTTP status, so every interface reports them alike.

The exit codes are part of the public interface (../shared/INTERFACE.md):
0 success, 1 validation violations, 2 bad input or usage, 3 runtime error.
"""

from __future__ import annotations

from typing import Any


class AgoraError(Exception):
    """Base class: a message meant for a person, plus machine-readable details."""

    exit_code = 3
    http_status = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        status = details.pop("status", None)
        if status is not None:
            self.http_status = int(status)
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": self.message, **self.details}


class BadInput(AgoraError):
    """The caller sent something we cannot use (unknown format, bad name, unparsable file...)."""

    exit_code = 2
    http_status = 400


class RDFSyntaxError(BadInput):
    """An RDF document does not parse; carries the line and column where the parser stopped."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        where = ""
        if line is not None:
            where = f" at line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{source or 'input'}: syntax error{where}: {message}", source=source,
                         line=line, column=column)


class SourceExists(BadInput):
    """Loading into an existing source needs an explicit --replace."""

    http_status = 409


class SourceNotFound(BadInput):
    http_status = 404


class ValidationFailed(AgoraError):
    """The data violates the shapes; the report says which focus nodes, paths and shapes."""

    exit_code = 1
    http_status = 422

    def __init__(self, message: str, report: Any) -> None:
        super().__init__(message)
        self.report = report


class StoreUnavailable(AgoraError):
    """The store cannot be opened (locked by another process, corrupt, unwritable)."""

    exit_code = 3
    http_status = 503


class QueryTimeout(AgoraError):
    exit_code = 3
    http_status = 503


class Forbidden(AgoraError):
    exit_code = 2
    http_status = 403


class Unauthorized(AgoraError):
    exit_code = 2
    http_status = 401


def io_failure(exc: Exception, doing: str) -> StoreUnavailable:
    """A StoreUnavailable for an operating-system error while `doing` something with the data directory,
    saying in plain words what is wrong (disk full, not writable, file size limit)."""
    text = str(exc)
    low = text.lower()
    errno = getattr(exc, "errno", None)
    hint = ""
    if errno == 28 or "no space left" in low or "disk is full" in low:
        hint = "the disk is full: free some space and retry"
    elif errno == 27 or "file too large" in low:
        hint = "a file reached the size limit of this process (ulimit -f)"
    elif errno in (13, 30) or "permission denied" in low or "read-only" in low or "readonly" in low:
        hint = "the data directory is not writable by this process"
    elif "unable to open database file" in low:
        hint = "the data directory is missing or not writable by this process"
    return StoreUnavailable(f"{doing} failed: {text}" + (f" ({hint})" if hint else ""))
