"""Read a user-supplied vacancy table: BAG id -> date since when it is vacant."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from kansenkaart.errors import KansenkaartWarning, SchemaError
from kansenkaart.io._csv import read_csv_text
from kansenkaart.io._fields import drop_duplicate_ids, pick, row_labels, show
from kansenkaart.io.bag import clean_building_ids, strip_bag_prefix
from kansenkaart.model.validate import OnInvalid

__all__ = ["read_vacancy"]

logger = logging.getLogger(__name__)

PathLike = str | Path

_BUILDING_ALIASES = ("building_id", "pand_id", "pandid", "pand_identificatie")
_UNIT_ALIASES = ("unit_id", "verblijfsobject_id", "verblijfsobjectid", "vbo_id")
_GENERIC_BAG_ALIASES = ("identificatie", "bag_id", "bagid")
_VACANT_ALIASES = ("vacant_since", "leeg_sinds", "leegstand_sinds", "leegstaand_sinds")
_BAG_TYPE = {"10": "building_id", "01": "unit_id"}


def _vacancy_columns(
    columns: Sequence[str], *, source: str
) -> tuple[str, str, str | None]:
    """Return (id column, vacant-since column, id kind or None if inferred)."""
    id_col, kind = None, None
    for aliases, alias_kind in (  # units first: with both, pand is the relation
        (_UNIT_ALIASES, "unit_id"),
        (_BUILDING_ALIASES, "building_id"),
        (_GENERIC_BAG_ALIASES, None),
    ):
        id_col, kind = pick(columns, aliases), alias_kind
        if id_col is not None:
            break
    date_col = pick(columns, _VACANT_ALIASES)
    if id_col is None or date_col is None:
        msg = (
            f"{source}: a vacancy table needs a BAG id column (one of "
            f"{', '.join(_BUILDING_ALIASES + _UNIT_ALIASES + _GENERIC_BAG_ALIASES)}) "
            f"and a date column (one of {', '.join(_VACANT_ALIASES)}). Columns "
            f"found: {', '.join(columns) or '(none)'}."
        )
        raise SchemaError(msg)
    return id_col, date_col, kind


def _normalise_bag_ids(values: pd.Series, *, source: str) -> pd.Series:
    """Strip ``NL.IMBAG.Pand.`` prefixes; restore leading zeros lost to Excel."""
    raw = strip_bag_prefix(values)
    short = raw.str.fullmatch(r"\d{13,15}").fillna(False)
    if short.any():
        rows = row_labels(short, csv=True)
        warnings.warn(
            f"{source}: {len(rows)} BAG id(s) have fewer than 16 digits "
            f"({show(rows)}); leading zeros were restored. Keep the column as "
            "text when editing the file in a spreadsheet.",
            KansenkaartWarning,
            stacklevel=4,
        )
    ids = clean_building_ids(values)
    bad = ~raw.str.fullmatch(r"\d{13,16}").fillna(False)
    if bad.any():
        rows = row_labels(bad, csv=True)
        msg = (
            f"{source}: {len(rows)} value(s) are not 16-digit BAG ids ({show(rows)}). "
            "Use the BAG identificatie, e.g. 0363100012345678."
        )
        raise SchemaError(msg)
    return ids


def _bag_id_kind(ids: pd.Series, kind: str | None, *, source: str, id_col: str) -> str:
    """Return ``building_id`` (objecttype 10) or ``unit_id`` (01)."""
    found = ids.str[4:6].map(_BAG_TYPE)
    inferred = found.iloc[0] if len(found) and pd.notna(found.iloc[0]) else None
    expected = kind or inferred or "building_id"
    bad = (found != expected).fillna(True)
    if bad.any():
        rows = row_labels(bad, csv=True)
        what = {"building_id": "pand (type 10)", "unit_id": "verblijfsobject (01)"}
        what = what[expected]
        msg = (
            f"{source}: column {id_col!r} is read as {what} ids, but {len(rows)} id(s) "
            f"have another object type code at positions 5-6 ({show(rows)}). Put "
            "pand ids in a 'building_id' column and verblijfsobject ids in a "
            "'unit_id' column, in separate files."
        )
        raise SchemaError(msg)
    return expected


def _parse_dates(values: pd.Series, *, source: str, column: str) -> pd.Series:
    """Parse ISO (2023-01-31) or Dutch (31-01-2023, 31/01/2023) dates."""
    text = values.astype("string").str.strip()
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    dutch = pd.to_datetime(
        text.str.replace(r"[/.]", "-", regex=True), format="%d-%m-%Y", errors="coerce"
    )
    dates = iso.fillna(dutch)
    bad = dates.isna()
    if bad.any():
        rows = row_labels(bad, csv=True)
        msg = (
            f"{source}: column {column!r} has {len(rows)} missing or unreadable "
            f"date(s) ({show(rows)}). Write dates as 2023-01-31 or 31-01-2023."
        )
        raise SchemaError(msg)
    return dates


def read_vacancy(path: PathLike, *, on_invalid: OnInvalid = "fix") -> pd.DataFrame:
    """Read a vacancy table: BAG id -> date since when it is vacant.

    Parameters
    ----------
    path : str or Path
        CSV, ``;``, ``,`` or tab separated, with or without BOM. Id column:
        ``building_id``/``pand_id`` (BAG pand), ``unit_id``/
        ``verblijfsobject_id``/``vbo_id`` (BAG verblijfsobject) or
        ``identificatie``/``bag_id`` (kind taken from the object type code at
        positions 5-6: ``10`` pand, ``01`` verblijfsobject). Date column:
        ``vacant_since``, ``leeg_sinds`` or ``leegstand_sinds``, as
        ``2023-01-31`` or ``31-01-2023``.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Accepted for a uniform reader signature; a table has no geometries.

    Returns
    -------
    pandas.DataFrame
        ``building_id`` or ``unit_id`` (16-digit string, leading zeros kept)
        and ``vacant_since`` (datetime64); a table of verblijfsobject ids
        that also has a pand column keeps it as ``building_id`` (the unit ->
        pand relation, see :mod:`kansenkaart.sources.units`). Duplicate ids
        are reported and the first row is kept.

    Raises
    ------
    SchemaError
        When a column is missing, an id is not a 16-digit BAG id of the
        expected kind, or a date is missing or unreadable (naming the lines).

    Warns
    -----
    KansenkaartWarning
        When ids are repeated, or ids lost their leading zeros (restored).
    """
    del on_invalid  # a table has no geometries
    path = Path(path)
    source = path.name
    df = read_csv_text(path)
    id_col, date_col, kind = _vacancy_columns(list(df.columns), source=source)
    ids = _normalise_bag_ids(df[id_col], source=source)
    kind = _bag_id_kind(ids, kind, source=source, id_col=id_col)
    dates = _parse_dates(df[date_col], source=source, column=date_col)
    out = pd.DataFrame({kind: ids, "vacant_since": dates})
    pand_col = pick(list(df.columns), _BUILDING_ALIASES)
    if kind == "unit_id" and pand_col is not None:  # the unit -> pand relation
        out["building_id"] = _normalise_bag_ids(df[pand_col], source=source)
    out = drop_duplicate_ids(out, kind, source=source)
    logger.info("%s: %d vacant %s", source, len(out), kind.removesuffix("_id") + "s")
    return out
