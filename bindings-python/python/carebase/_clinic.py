"""``carebase.open`` and ``Clinic``: the clinic's own accessors here; every
operation of ``carebase::Clinic`` is inherited from ``_operations.py``
(written by tools/codegen from api.json), each a ``_convert.bridge``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from . import _native
from ._convert import decode_json, encode, to_json
from ._operations import ClinicOperations
from ._types import Policy, Settings

__all__ = ["Clinic", "ManualClock", "open"]


class ManualClock:
    """A clock tests move by hand (e.g. to expire a break-the-glass grant)."""

    def __init__(self, start: datetime) -> None:
        self._native = _native.ManualClock(to_json({"at": encode(start, datetime, "start")}))

    def advance(self, by: timedelta) -> None:
        """Moves time forward (or back with a negative duration)."""
        encode(by, timedelta, "by")  # checks the type
        self._native.advance(to_json({"by": by // timedelta(microseconds=1)}))

    def set(self, at: datetime) -> None:
        """Jumps to an instant."""
        self._native.set(to_json({"at": encode(at, datetime, "at")}))

    def now(self) -> datetime:
        """The clock's current instant (UTC)."""
        return decode_json(datetime, self._native.now())

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now().isoformat()})"


def open(url: str, *, settings: Optional[Settings] = None, policy: Optional[Policy] = None,
         clock: Optional[ManualClock] = None, audit_key: Optional[bytes] = None) -> Clinic:
    """Opens the store ``url`` names (``memory:``, ``sqlite://relative.db``,
    ``sqlite:///absolute/path.db``, ``sqlite::memory:``, ``postgres://…``)
    with optional settings, access policy (default: core's) and clock.
    ``audit_key`` (32+ random bytes, kept outside the database) seals the
    audit trail against anyone who can write the database; without it the
    public development key is used (``keyed=False``): production sets one."""
    given = {"url": (url, str), "settings": (settings, Optional[Settings]), "policy": (policy, Optional[Policy])}
    encoded = {k: encode(v, hint, k) for k, (v, hint) in given.items()}
    args = to_json({k: v for k, v in encoded.items() if v is not None})
    if clock is not None and not isinstance(clock, ManualClock):
        raise TypeError(f"clock: expected ManualClock, got {type(clock).__name__}")
    if audit_key is not None and not isinstance(audit_key, (bytes, bytearray, memoryview)):
        raise TypeError(f"audit_key: expected bytes, got {type(audit_key).__name__}")
    key = bytes(audit_key) if audit_key is not None else None
    return Clinic(_native.open(args, clock._native if clock is not None else None, key))


class Clinic(ClinicOperations):
    """The clinic's rules over one store. Thread-safe: share one instance."""

    def __init__(self, native: _native.Clinic) -> None:
        self._native = native

    def __repr__(self) -> str:
        return "Clinic()"

    def settings(self) -> Settings:
        """The settings in force."""
        return decode_json(Settings, self._native.settings())

    def policy(self) -> Policy:
        """The access policy in force."""
        return decode_json(Policy, self._native.policy())

    def audit_key_id(self) -> str:
        """The public fingerprint of the audit key in use (for diagnostics)."""
        return self._native.audit_key_id()
