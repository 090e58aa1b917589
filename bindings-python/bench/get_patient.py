"""10,000 sequential ``get_patient`` calls on ``memory:``, per build of the
package, in one process so the builds run side by side under the same load.

    python bench/get_patient.py                    # the installed carebase
    python bench/get_patient.py /tmp/new /tmp/old  # these builds' folders

A folder holds a ``carebase`` package with its native module (an unpacked
wheel); each is loaded under its own name. Rounds alternate between the
builds; each reports its best and median round. Prints figures; asserts
nothing about time.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, List

CALLS = 10_000
ROUNDS = 5


def load(folder: str, alias: str) -> Any:
    """The ``carebase`` package under ``folder``, imported as ``alias``."""
    package = Path(folder).resolve() / "carebase"
    spec = importlib.util.spec_from_file_location(
        alias, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None, f"no carebase package in {folder}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def main(folders: List[str]) -> None:
    builds = []
    for i, folder in enumerate(folders or [""]):
        cb = load(folder, f"carebase_bench_{i}") if folder else importlib.import_module("carebase")
        clinic = cb.open("memory:")
        desk = cb.Actor.new(cb.Role.FRONT_DESK)
        details = cb.PatientDetails(
            names=[cb.HumanName(family="Okafor", given=["Amara"])], birth_date=date(1990, 3, 4), gender=cb.Gender.FEMALE
        )
        patient = clinic.register_patient(desk, details)
        for _ in range(500):  # warm up
            clinic.get_patient(desk, patient.id)
        builds.append((folder or cb.__file__, clinic, desk, patient.id, []))
    for _ in range(ROUNDS):
        for _, clinic, desk, pid, rounds in builds:
            start = time.perf_counter()
            for _ in range(CALLS):
                clinic.get_patient(desk, pid)
            rounds.append((time.perf_counter() - start) * 1000)
    for name, _, _, _, rounds in builds:
        ordered = sorted(rounds)
        median = ordered[len(ordered) // 2]
        print(
            f"{name}: {CALLS} get_patient on memory: best {ordered[0]:.0f} ms, "
            f"median {median:.0f} ms ({CALLS / median * 1000:.0f} calls/s)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
