"""The carebase exceptions: one class per core error code.

The native module builds every exception through ``_from_native`` (its one
error mapping); messages and attributes never carry patient data.
"""

from __future__ import annotations

import json
from typing import Dict, List, Optional, Sequence, Type
from uuid import UUID

from ._convert import decode
from ._types import ConflictDetail, DenyReason, FieldError, StorageKind

__all__ = [
    "CarebaseError",
    "ValidationError",
    "NotFoundError",
    "ConflictError",
    "DoubleBookingError",
    "ForbiddenError",
    "InvalidPolicyError",
    "UnsupportedStoreError",
    "StorageError",
]


class CarebaseError(Exception):
    """Base of every carebase error; ``code`` is the stable machine code."""

    code: str = "carebase"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ValidationError(CarebaseError, ValueError):
    """Input broke one or more rules; ``fields`` lists every failing field."""

    code = "validation"

    def __init__(self, message: str, fields: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.fields: List[FieldError] = list(fields)


class NotFoundError(CarebaseError, KeyError):
    """The entity does not exist (or the actor may not know it exists);
    ``field`` names the input that referred to it when the operation would
    have stored the reference (e.g. ``practitioner``), else ``None``."""

    code = "not_found"

    def __init__(self, message: str, entity: str = "", field: Optional[str] = None) -> None:
        super().__init__(message)
        self.entity = entity
        self.field = field


class ConflictError(CarebaseError):
    """The change lost against the current state; nothing was written."""

    code = "conflict"

    def __init__(self, message: str, detail: Optional[ConflictDetail] = None) -> None:
        super().__init__(message)
        self.detail = detail


class DoubleBookingError(CarebaseError):
    """The practitioner, room or patient (``resource``) already has an active
    appointment overlapping the requested time; nothing was written.
    ``appointment`` is its id, or ``None`` when the actor may not read that
    appointment (another patient's booking: only that the time is taken)."""

    code = "double_booking"

    def __init__(
        self, message: str, resource: str = "", appointment: Optional[UUID] = None
    ) -> None:
        super().__init__(message)
        self.resource = resource
        self.appointment = appointment


class ForbiddenError(CarebaseError):
    """The access policy denied the request; ``reason`` says which rules were
    considered (``reason.permission``, ``reason.steps``)."""

    code = "forbidden"

    def __init__(self, message: str, reason: Optional[DenyReason] = None) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidPolicyError(CarebaseError, ValueError):
    """A policy document could not be loaded; ``location`` names the line,
    column and/or field path, ``problem`` what is wrong there."""

    code = "invalid_policy"

    def __init__(self, message: str, location: str = "", problem: str = "") -> None:
        super().__init__(message)
        self.location = location
        self.problem = problem


class UnsupportedStoreError(CarebaseError, ValueError):
    """The store URL names no supported backend."""

    code = "unsupported_store"

    def __init__(self, message: str, scheme: str = "") -> None:
        super().__init__(message)
        self.scheme = scheme


class StorageError(CarebaseError):
    """The backend failed (I/O, database, corruption); nothing was written.
    ``kind`` says what a host can do about it (retry, wait for the server,
    restore a backup, upgrade carebase)."""

    code = "storage"

    def __init__(self, message: str, kind: StorageKind = StorageKind.OTHER) -> None:
        super().__init__(message)
        self.kind = kind


_BY_CODE: Dict[str, Type[CarebaseError]] = {
    cls.code: cls
    for cls in (
        ValidationError,
        NotFoundError,
        ConflictError,
        DoubleBookingError,
        ForbiddenError,
        InvalidPolicyError,
        UnsupportedStoreError,
        StorageError,
    )
}


def _storage_kind(raw: object) -> StorageKind:
    """A storage failure's kind; one this package does not know (a newer
    core) is ``OTHER``."""
    try:
        return StorageKind(raw)
    except ValueError:
        return StorageKind.OTHER


def _from_native(code: str, message: str, detail_json: str) -> CarebaseError:
    """The exception for a core error (called by the native module only)."""
    detail = json.loads(detail_json)
    cls = _BY_CODE.get(code)
    if cls is ValidationError:
        return ValidationError(message, decode(List[FieldError], detail.get("fields", [])))
    if cls is NotFoundError:
        return NotFoundError(message, detail.get("entity", ""), detail.get("field"))
    if cls is ConflictError:
        return ConflictError(message, decode(Optional[ConflictDetail], detail.get("detail")))
    if cls is DoubleBookingError:
        return DoubleBookingError(
            message, detail.get("resource", ""), decode(Optional[UUID], detail.get("appointment"))
        )
    if cls is ForbiddenError:
        return ForbiddenError(message, decode(Optional[DenyReason], detail.get("reason")))
    if cls is InvalidPolicyError:
        return InvalidPolicyError(message, detail.get("location", ""), detail.get("problem", ""))
    if cls is UnsupportedStoreError:
        return UnsupportedStoreError(message, detail.get("scheme", ""))
    if cls is StorageError:
        return StorageError(message, _storage_kind(detail.get("kind")))
    err = CarebaseError(message)
    err.code = code
    return err
