"""The result folder on disk: which files a command writes, and what may be replaced.

A result folder holds only the files of its kind (:data:`RESULT_FILES` for a
scan, :data:`MATCH_FILES` for a match; :data:`RESULT_KINDS`) and the marker
file :data:`MARKER` (JSON: format version, package version, kind, file list)
that says the folder is a kansenkaart result. ``--overwrite`` replaces a folder
only when it is empty, or holds the marker and nothing but those files; it
never replaces the working directory, a folder above it, or a folder that
holds (or is) one of the inputs. The swap is atomic: the new folder is
written beside the target, the old one is renamed aside, the new one renamed
in, and only the known files of the old one are removed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable
from pathlib import Path

from kansenkaart._version import __version__
from kansenkaart.errors import ConfigError
from kansenkaart.results.charts import CHART_NAMES

__all__ = [
    "MARKER",
    "MATCH_FILES",
    "RESULT_FILES",
    "RESULT_KINDS",
    "check_output_dir",
    "check_writable",
    "swap_into_place",
    "write_marker",
]

logger = logging.getLogger(__name__)

#: Every file a scan may write into its result folder (the one list).
RESULT_FILES: tuple[str, ...] = (
    "candidates.gpkg",
    "candidates.csv",
    "candidates.xlsx",
    "summary.json",
    "context.gpkg",
    "leave_one_rule_out.csv",
    "map.html",
    *(f"{name}.{kind}" for name in CHART_NAMES for kind in ("png", "svg")),
)
#: Every file ``kansenkaart match`` may write into its output folder.
MATCH_FILES: tuple[str, ...] = (
    "plan.csv",
    "moves.csv",
    "plan.xlsx",
    "chains.gpkg",
    "summary.json",
    "timeline.png",
    "timeline.svg",
    "map.html",
)
#: The files of each kind of result folder (the marker records the kind).
RESULT_KINDS: dict[str, tuple[str, ...]] = {
    "scan": RESULT_FILES,
    "match": MATCH_FILES,
}
#: Marker file that says a folder is a kansenkaart result.
MARKER = ".kansenkaart-result"
_MARKER_VERSION = 1
_OURS = frozenset((*(n for f in RESULT_KINDS.values() for n in f), MARKER))


def write_marker(folder: Path, *, kind: str = "scan") -> None:
    """Write the marker file listing the result files present in ``folder``.

    Parameters
    ----------
    folder : Path
        The complete result folder (before it is moved into place).
    kind : {"scan", "match"}, default "scan"
        Which command wrote it (:data:`RESULT_KINDS`).
    """
    known = RESULT_KINDS[kind]
    files = sorted(p.name for p in folder.iterdir() if p.name in known)
    data: dict[str, object] = {
        "kansenkaart_result": _MARKER_VERSION,
        "version": __version__,
        "kind": kind,
        "files": files,
    }
    (folder / MARKER).write_text(json.dumps(data, indent=2), encoding="utf-8")


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(path.anchor or ".")


def check_writable(out: Path, *, what: str = "--out") -> None:
    """Refuse an output path whose folder cannot be created or written.

    Raises
    ------
    ConfigError
        When a part of the path is a file, or the nearest existing folder
        above ``out`` does not accept new files.
    """
    out = Path(out)
    label = f"{what} {out}".strip()
    parent = _existing_ancestor(out.absolute().parent)
    if not parent.is_dir():
        msg = (
            f"{label}: {parent} is a file, not a folder. Choose an output "
            "path in an existing folder."
        )
        raise ConfigError(msg)
    try:
        probe = tempfile.mkdtemp(prefix=".kansenkaart-probe-", dir=parent)
        os.rmdir(probe)
    except OSError as err:
        msg = (
            f"{label}: cannot write in {parent} ({err.strerror or err}). "
            "Choose a folder you may write to."
        )
        raise ConfigError(msg) from None


def _refuse_protected(out: Path, inputs: Iterable[Path]) -> None:
    target = out.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        msg = (
            f"--out {out}: is the working directory or a folder above it; "
            "kansenkaart never replaces it. Give a new subfolder, e.g. --out resultaat."
        )
        raise ConfigError(msg)
    for item in inputs:
        src = Path(item).resolve()
        if src == target or target in src.parents:
            msg = (
                f"--out {out}: holds the input {item}; kansenkaart never "
                "replaces its own inputs. Give another --out folder."
            )
            raise ConfigError(msg)


def _first_foreign(out: Path) -> str | None:
    names = sorted(p.name for p in out.iterdir())
    if not names:
        return None
    if MARKER not in names:
        return names[0] if names else None
    for name in names:
        if name not in _OURS or not (out / name).is_file():
            return name
    return None


def check_output_dir(
    out_dir: Path, *, overwrite: bool, inputs: Iterable[Path] = ()
) -> None:
    """Refuse an output folder a scan or match must not write or replace.

    Parameters
    ----------
    out_dir : Path
        The result folder.
    overwrite : bool
        Whether an existing result folder may be replaced.
    inputs : iterable of Path
        The input files: a folder holding one is never replaced.

    Raises
    ------
    ConfigError
        When ``out_dir`` is a file, cannot be written, is the working directory
        (or above it) or holds an input, exists without ``overwrite``, or holds
        anything but a previous result (naming the first foreign file).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"--out {out_dir}: is a file, not a folder. Give a folder name."
        raise ConfigError(msg)
    check_writable(out_dir)
    _refuse_protected(out_dir, inputs)
    if not out_dir.exists():
        return
    if not overwrite:
        msg = (
            f"{out_dir} already exists. Choose another --out folder or add --overwrite."
        )
        raise ConfigError(msg)
    foreign = _first_foreign(out_dir)
    if foreign is not None:
        reason = (
            f"{foreign!r} was not written by kansenkaart"
            if (out_dir / MARKER).exists()
            else f"it is not a kansenkaart result folder (no {MARKER}; first file "
            f"{foreign!r})"
        )
        msg = (
            f"--out {out_dir}: will not overwrite: {reason}. --overwrite only "
            "replaces a folder kansenkaart wrote; move your own files or choose "
            "another --out folder."
        )
        raise ConfigError(msg)


def swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Move the complete folder ``tmp`` to ``out_dir``, replacing a previous result.

    The previous folder is renamed aside first, so a failure leaves it intact;
    afterwards only its known files are removed.
    """
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    aside = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
    out_dir.rename(aside)
    try:
        tmp.rename(out_dir)
    except BaseException:
        aside.rename(out_dir)
        raise
    for name in _OURS:
        (aside / name).unlink(missing_ok=True)
    try:
        aside.rmdir()
    except OSError:
        logger.warning(
            "left %s in place: it holds files kansenkaart did not write", aside
        )
