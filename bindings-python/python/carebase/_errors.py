"""The carebase exceptions: one class per core error code.

The native module builds every exception through ``_from_native`` (its one
error mapping); messages and attributes never carry patient data.
"""

from __future__ import annotations

import collections.abc
import inspect
import json
import typing
from typing import Any, Dict, List, Optional, Sequence, Type
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

    def __init__(self, message: str, reason: DenyReason) -> None:
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
    ``kind`` says what a host can do about it (e.g. retry when
    ``StorageKind.RETRYABLE``), ``problem`` what failed (no patient data)."""

    code = "storage"

    def __init__(self, message: str, kind: StorageKind = StorageKind.OTHER, problem: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.problem = problem


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


#: ``typing.List`` for a subscript built at run time (a ``Sequence``
#: parameter decodes as a list).
_LIST: Any = List


def _from_native(code: str, message: str, detail_json: str) -> CarebaseError:
    """The exception for a core error (called by the native module only),
    built from core's serialized form generically: the class of its
    ``code``, each detail decoded by the annotation of the constructor
    parameter of the same name (core's snake_case field names)."""
    detail = json.loads(detail_json)
    cls = _BY_CODE.get(code)
    if cls is None:
        err = CarebaseError(message)
        err.code = code
        return err
    hints = typing.get_type_hints(cls.__init__)
    details = {}
    for name in list(inspect.signature(cls.__init__).parameters)[2:]:
        if name in detail:
            hint: Any = hints[name]
            if typing.get_origin(hint) is collections.abc.Sequence:
                hint = _LIST[typing.get_args(hint)[0]]
            details[name] = decode(hint, detail[name])
    return cls(message, **details)
