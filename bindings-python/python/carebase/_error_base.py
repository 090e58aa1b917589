"""The base of every carebase exception and the one mapping from core's
serialized error to its class (the classes are generated: ``_errors.py``).
Messages and attributes never carry patient data."""

from __future__ import annotations

import json
import typing
from typing import Any, Dict

from ._convert import codec


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


def _from_native(code: str, message: str, detail_json: str) -> CarebaseError:
    """The exception for a core error (called by the native module only):
    the class of its ``code``, each detail decoded by the annotation of the
    constructor parameter of the same name (core's snake_case field names)."""
    from ._errors import _BY_CODE

    detail, cls = {**json.loads(detail_json), "message": message}, _BY_CODE.get(code, CarebaseError)
    hints = typing.get_type_hints(cls.__init__)  # message, then the details
    details: Dict[str, Any] = {n: codec(h)[1](detail[n]) for n, h in hints.items() if detail.get(n) is not None}
    err = cls(**details)
    err.code = code
    return err
