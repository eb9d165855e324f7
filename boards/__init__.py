"""Ember: boards — one JSON data file per board (boards/data/<name>.json) and its loader.

A board file holds facts from the vendor's datasheet (CPU, FPU, float ABI, RAM and
flash sizes, clock, the memory map used to link) and how to emulate it (QEMU machine)
when that is possible. Code never branches on a board's name: it reads these fields.
"""
from __future__ import annotations

import functools
import json
import pathlib
from dataclasses import dataclass, field

from ember.errors import EmberError

DATA = pathlib.Path(__file__).resolve().parent / "data"


class BoardError(EmberError):
    """An unknown board name or a malformed board file."""


@dataclass(frozen=True)
class Board:
    name: str
    kind: str                      # "mcu" (bare metal, ember micro) or "linux" (host interpreter)
    cpu: str
    arch: str
    clock_hz: int
    ram_bytes: int
    flash_bytes: int | None = None
    vendor: str = ""
    board: str = ""
    soc: str = ""
    fpu: str | None = None
    float_abi: str | None = None
    cflags: tuple = ()
    memory: dict | None = None
    toolchain: str | None = None
    emulator: dict | None = None
    project_only: bool = False
    ram_note: str = ""
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def emulated(self):
        return bool(self.emulator)

    @property
    def has_fpu(self):
        return self.float_abi == "hard"

    def as_dict(self):
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        d["cflags"] = list(self.cflags)
        d["emulated"] = self.emulated
        return d


_REQUIRED = ("name", "kind", "cpu", "arch", "clock_hz", "ram_bytes")


def _load(path):
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise BoardError(f"board file {path}: {e}") from None
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise BoardError(f"board file {path}: missing {', '.join(missing)}")
    if raw["name"] != path.stem:
        raise BoardError(f"board file {path}: name {raw['name']!r} does not match the file name")
    known = set(Board.__dataclass_fields__)
    kw = {k: v for k, v in raw.items() if k in known}
    kw["cflags"] = tuple(raw.get("cflags") or ())
    kw["extra"] = {k: v for k, v in raw.items() if k not in known}
    return Board(**kw)


@functools.lru_cache(maxsize=1)
def _all():
    return {p.stem: _load(p) for p in sorted(DATA.glob("*.json"))}


def names():
    return list(_all())


def all_boards():
    return list(_all().values())


def get(name):
    """The Board called `name`; BoardError listing the known ones otherwise."""
    boards = _all()
    if name not in boards:
        raise BoardError(f"unknown board {name!r}; known boards: {', '.join(boards)}")
    return boards[name]
