"""Option types shared by the commands, checked before any data is read.

Each type turns a bad value into one clear line that names the option, the
value and the fix (click's usage error, exit status 2), never a traceback
after minutes of reading.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import click

from kansenkaart.errors import ConfigError

__all__ = [
    "ISO_DATE",
    "NON_NEGATIVE",
    "InputFile",
    "IsoDate",
    "LayerPair",
    "OutputFolder",
    "PathOrUrl",
    "ZoningInput",
]

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_DB = ("postgresql://", "postgres://")


def _is_db(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(_DB)


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class IsoDate(click.ParamType):
    """A calendar date written ``YYYY-MM-DD`` (no other order is guessed)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        """Return the date as ISO text, or fail naming the expected form."""
        text = str(value).strip()
        try:
            if not _ISO.fullmatch(text):
                raise ValueError
            return date.fromisoformat(text).isoformat()
        except ValueError:
            self.fail(
                f"{value!r} is not a date written YYYY-MM-DD, e.g. 2026-01-31 "
                "(day-month orders such as 01-02-2024 are not guessed).",
                param,
                ctx,
            )


def _file_problem(path: Path, *, dir_okay: bool) -> str | None:
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "is a symbolic link that points to itself (a symlink loop)"
        except OSError:
            return "is a symbolic link to a file that does not exist"
    if not path.exists():
        return "file not found; check the path"
    if path.is_dir() and not dir_okay:
        return "is a folder, not a file; give the file inside it"
    if not path.is_dir() and path.stat().st_size == 0:
        return "is an empty file (0 bytes); download or export it again"
    return None


class InputFile(click.ParamType):
    """An existing input file (a folder too when ``dir_okay``; a PostGIS URL,
    kept as text, when ``db_ok``)."""

    name = "FILE"

    def __init__(self, *, dir_okay: bool = False, db_ok: bool = False) -> None:
        self.dir_okay = dir_okay
        self.db_ok = db_ok

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        """Return the path, or fail saying what is wrong with it."""
        if self.db_ok and _is_db(value):
            return str(value)
        path = Path(value)
        problem = _file_problem(path, dir_okay=self.dir_okay)
        if problem is not None:
            self.fail(f"{value}: {problem}.", param, ctx)
        return path


class ZoningInput(InputFile):
    """A plan file, a STOP/TPOD package folder (with manifest-ow.xml) or a URL."""

    def __init__(self) -> None:
        super().__init__(dir_okay=True, db_ok=True)

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        """Return the path; a folder only when it is a STOP/TPOD package."""
        out = super().convert(value, param, ctx)
        folder = isinstance(out, Path) and out.is_dir()
        if folder and not any(Path(out).rglob("manifest-ow.xml")):
            self.fail(
                f"{value}: is a folder, not a file (and not a STOP/TPOD package "
                "with manifest-ow.xml); give the plan file itself.",
                param,
                ctx,
            )
        return out


class PathOrUrl(click.ParamType):
    """Any path (not checked here), or a PostGIS URL kept as text."""

    name = "PATH|URL"

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        """Return the URL as text, anything else as a Path."""
        return str(value) if _is_db(value) else Path(value)


class LayerPair(click.ParamType):
    """``NAME=PATH`` of a named layer; the name is checked by the scan file."""

    name = "NAME=PATH"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, Path | str]:
        """Return ``(name, path)``, or fail naming the expected form."""
        if isinstance(value, tuple):
            return value
        name, sep, path = str(value).partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not path or not _NAME.fullmatch(name):
            self.fail(
                f"{value!r}: write NAME=PATH, e.g. natura2000=n2k.gpkg or "
                "buurten=buurten.gpkg.",
                param,
                ctx,
            )
        return name, InputFile(dir_okay=True, db_ok=True).convert(path, param, ctx)


class OutputFolder(click.ParamType):
    """An output folder whose parent can be written (checked at once); a
    PostGIS schema URL is kept as text when ``db_ok``."""

    name = "FOLDER"

    def __init__(self, *, db_ok: bool = False) -> None:
        self.db_ok = db_ok

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        """Return the path, or fail when it is a file or cannot be written."""
        from kansenkaart.results.folder import check_writable  # noqa: PLC0415

        if self.db_ok and _is_db(value):
            return str(value)
        path = Path(value)
        if path.exists() and not path.is_dir():
            self.fail(
                f"{value}: is a file, not a folder. Give a folder name.", param, ctx
            )
        try:
            check_writable(path, what="")
        except ConfigError as err:
            self.fail(str(err), param, ctx)
        return path


ISO_DATE = IsoDate()
NON_NEGATIVE = click.IntRange(min=0)
