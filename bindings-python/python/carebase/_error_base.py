"""The base of every carebase exception and the one mapping from core's
serialized error to its class (the classes are generated: ``_errors.py``).
Messages and attributes never carry patient data."""

from __future__ import annotations

import collections.abc
import inspect
import json
import typing
from typing import Any, List

from ._convert import decode


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


#: ``typing.List`` for a subscript built at run time (a ``Sequence``
#: parameter decodes as a list).
_LIST: Any = List


def _from_native(code: str, message: str, detail_json: str) -> CarebaseError:
    """The exception for a core error (called by the native module only),
    built from core's serialized form generically: the class of its
    ``code``, each detail decoded by the annotation of the constructor
    parameter of the same name (core's snake_case field names)."""
    from ._errors import _BY_CODE

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
