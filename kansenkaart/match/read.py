"""Read sites, unit batches and demand from CSV, XLSX or GeoPackage, validated.

Every problem in a file is collected before anything is raised: the message
names the file, the column, the rows (as Excel numbers them, the header being
row 1; features are counted from 1 in a GeoPackage) and how to fix it.
Coordinates are RD New (EPSG:28992); a GeoPackage in another CRS is
reprojected, and a GeoPackage without ``x``/``y`` columns gives each feature's
representative point. CSV files go through the readers' one CSV engine
(:mod:`kansenkaart.io._csv`: ``;``/``,``/tab, UTF-8 or Windows-1252);
columns whose names suggest person data are never parsed.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kansenkaart.crs import ensure_rd_new
from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io._csv import read_csv_text
from kansenkaart.match.model import BatchTable, DemandTable, SiteTable
from kansenkaart.model.privacy import may_hold_person_data

__all__ = ["read_demand", "read_sites", "read_units", "sha256_of"]

logger = logging.getLogger(__name__)

_VECTOR = {".gpkg", ".geojson", ".json", ".fgb", ".shp"}
_TABLE = {".csv", ".xlsx", ".xls"}


def sha256_of(*paths: Path) -> str:
    """Return the sha256 (hex) of the bytes of one or more files, in order."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class _Problems:
    """Collects every problem of one file; raises them together."""

    def __init__(self, source: str, *, first_row: int) -> None:
        self.source = source
        self.first_row = first_row
        self.items: list[str] = []

    def rows(self, column: str, bad: pd.Series, what: str, fix: str) -> None:
        if not bad.any():
            return
        numbers = np.flatnonzero(bad.to_numpy()) + self.first_row
        shown = ", ".join(map(str, numbers[:5])) + (" …" if len(numbers) > 5 else "")
        self.items.append(
            f"column {column!r}, row {shown} ({len(numbers)} in all): {what}. {fix}"
        )

    def add(self, text: str) -> None:
        self.items.append(text)

    def raise_any(self) -> None:
        if self.items:
            lines = "\n  - ".join(self.items)
            msg = f"{self.source}: {len(self.items)} problem(s):\n  - {lines}"
            raise SchemaError(msg)


def _read_raw(path: Path) -> tuple[pd.DataFrame, Any, int]:
    """Return (columns as read, geometry or None, number of the first data row)."""
    if not path.is_file():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = read_csv_text(path, keep=lambda c: not may_hold_person_data(c))
        return frame.astype(object).where(frame.notna(), ""), None, 2
    if suffix in {".xlsx", ".xls"}:
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        return frame, None, 2
    if suffix in _VECTOR:
        from kansenkaart.io._vector import read_vector  # noqa: PLC0415

        gdf = ensure_rd_new(read_vector(path), source=str(path))
        frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        points = gdf.geometry.representative_point()
        if "x" not in frame:
            frame["x"] = points.x.to_numpy()
        if "y" not in frame:
            frame["y"] = points.y.to_numpy()
        return frame.astype(object), gdf.geometry, 1
    msg = (
        f"{path}: unknown format {suffix!r}; give a CSV, XLSX or GeoPackage "
        f"({', '.join(sorted(_TABLE | _VECTOR))})."
    )
    raise DataSourceError(msg)


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype(str).str.strip() == "")


def _numbers(
    frame: pd.DataFrame,
    column: str,
    problems: _Problems,
    *,
    default: float | None = None,
    whole: bool = False,
) -> pd.Series:
    """Parse a numeric column (decimal comma allowed); blanks take ``default``."""
    if column not in frame:
        return pd.Series(default, index=frame.index, dtype=float)
    raw = frame[column].astype(str).str.strip().str.replace(",", ".", regex=False)
    blank = _blank(frame[column])
    values = pd.to_numeric(raw.where(~blank), errors="coerce")
    bad = (~blank & values.isna()) | (values < 0)
    if whole:
        bad |= values.notna() & (values % 1 != 0)
    if default is None:
        problems.rows(column, blank, "empty", "Fill in a value.")
    kind = "a whole number >= 0" if whole else "a number >= 0"
    problems.rows(column, bad, f"not {kind}", f"Write {kind}, e.g. 24.")
    return values.where(~blank, default).astype(float)


def _dates(
    frame: pd.DataFrame, column: str, problems: _Problems, *, required: bool
) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    blank = _blank(frame[column])
    values = pd.to_datetime(
        frame[column].astype(str).str.strip().where(~blank),
        errors="coerce",
        format="mixed",
    )
    problems.rows(
        column,
        ~blank & values.isna(),
        "not a date",
        "Write an ISO date such as 2031-07-01.",
    )
    if required:
        problems.rows(column, blank, "empty", "Fill in an ISO date.")
    return values


def _texts(frame: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    if column not in frame:
        return pd.Series(default, index=frame.index, dtype=object)
    return frame[column].astype(str).str.strip().where(~_blank(frame[column]), default)


def _sets(frame: pd.DataFrame, column: str) -> pd.Series:
    texts = _texts(frame, column)
    return texts.map(lambda t: frozenset(p.strip() for p in t.split(";") if p.strip()))


def _require(
    frame: pd.DataFrame, columns: tuple[str, ...], problems: _Problems, hint: str
) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        problems.add(
            f"missing column(s) {', '.join(missing)}. {hint} "
            f"(found: {', '.join(map(str, frame.columns)) or 'none'})"
        )


def _unique_ids(frame: pd.DataFrame, column: str, problems: _Problems) -> pd.Series:
    ids = _texts(frame, column)
    problems.rows(column, ids == "", "empty id", "Give every row an id.")
    problems.rows(
        column,
        ids.duplicated(keep="first") & (ids != ""),
        "id used before",
        "Make the ids unique.",
    )
    return ids


def read_sites(path: str | Path, *, prep_eur_per_site: float = 150_000.0) -> SiteTable:
    """Read temporary sites from a CSV, XLSX or GeoPackage file.

    Parameters
    ----------
    path : str or Path
        Columns ``site_id``, ``x``, ``y`` (RD New metres; or a geometry),
        ``capacity`` (units), ``available_from``, ``available_to`` (ISO
        dates; the site must be empty from ``available_to`` on). Optional:
        ``score`` (0-100), ``municipality`` or ``region``, ``province``,
        ``prep_eur`` (one-off cost of opening the site), ``unit_types`` and
        ``target_groups`` (allowed values separated by ``;``; empty allows
        all).
    prep_eur_per_site : float, default 150000
        One-off cost of opening a site where ``prep_eur`` is empty.

    Returns
    -------
    SiteTable

    Raises
    ------
    DataSourceError
        When the file is missing or of an unknown format.
    SchemaError
        Listing every missing column and bad value with its rows.
    """
    path = Path(path)
    raw, geometry, first = _read_raw(path)
    problems = _Problems(str(path), first_row=first)
    _require(
        raw,
        ("site_id", "x", "y", "capacity", "available_from", "available_to"),
        problems,
        "Sites need an id, RD New x/y, capacity and a term.",
    )
    problems.raise_any()
    frame = pd.DataFrame({"site_id": _unique_ids(raw, "site_id", problems)})
    for column in ("x", "y"):
        frame[column] = _numbers(raw, column, problems)
    frame["capacity"] = _numbers(raw, "capacity", problems, whole=True)
    frame["available_from"] = _dates(raw, "available_from", problems, required=True)
    frame["available_to"] = _dates(raw, "available_to", problems, required=True)
    problems.rows(
        "available_to",
        frame.available_to <= frame.available_from,
        "not after available_from",
        "The term must end after it starts.",
    )
    frame["score"] = _numbers(raw, "score", problems, default=np.nan)
    problems.rows("score", frame.score > 100, "above 100", "Scores run from 0 to 100.")
    region = _texts(raw, "region")
    frame["region"] = region.where(region != "", _texts(raw, "municipality"))
    frame["province"] = _texts(raw, "province")
    prep = _numbers(raw, "prep_eur", problems, default=np.nan)
    frame["prep_eur"] = prep.fillna(float(prep_eur_per_site))
    frame["unit_types"] = _sets(raw, "unit_types")
    frame["target_groups"] = _sets(raw, "target_groups")
    problems.raise_any()
    frame["capacity"] = frame.capacity.astype(np.int64)
    logger.info("read %d sites from %s (EPSG:28992)", len(frame), path)
    return SiteTable(
        frame=frame, source=str(path), sha256=sha256_of(path), geometry=geometry
    )


def read_units(path: str | Path) -> BatchTable:
    """Read unit batches from a CSV, XLSX or GeoPackage file.

    Parameters
    ----------
    path : str or Path
        Columns ``batch_id``, ``units``, ``unit_type``, ``x``, ``y`` (where
        the batch stands or is stored, RD New), ``free_from`` (ISO date).
        Optional: ``target_group``, ``life_until`` (end of technical life),
        ``in_storage`` (yes/no; no means it must be dismantled first),
        ``region``, ``province``, ``dismantle_eur``, ``assemble_eur``,
        ``transport_eur_per_km`` (per unit; the policy's defaults when empty).

    Returns
    -------
    BatchTable

    Raises
    ------
    DataSourceError, SchemaError
        As :func:`read_sites`.
    """
    path = Path(path)
    raw, _, first = _read_raw(path)
    problems = _Problems(str(path), first_row=first)
    _require(
        raw,
        ("batch_id", "units", "unit_type", "x", "y", "free_from"),
        problems,
        "Batches need an id, a number of units, a type, RD New x/y and a date.",
    )
    problems.raise_any()
    frame = pd.DataFrame({"batch_id": _unique_ids(raw, "batch_id", problems)})
    frame["units"] = _numbers(raw, "units", problems, whole=True)
    problems.rows("units", frame.units == 0, "zero units", "Leave the row out.")
    frame["unit_type"] = _texts(raw, "unit_type")
    problems.rows(
        "unit_type", frame.unit_type == "", "empty", "Name the type, e.g. studio."
    )
    frame["target_group"] = _texts(raw, "target_group")
    for column in ("x", "y"):
        frame[column] = _numbers(raw, column, problems)
    frame["free_from"] = _dates(raw, "free_from", problems, required=True)
    frame["life_until"] = _dates(raw, "life_until", problems, required=False)
    storage = _texts(raw, "in_storage", "no").str.lower()
    problems.rows(
        "in_storage",
        ~storage.isin(["yes", "no", "ja", "nee", "true", "false", "1", "0"]),
        "not yes/no",
        "Write yes or no.",
    )
    frame["in_storage"] = storage.isin(["yes", "ja", "true", "1"])
    frame["region"] = _texts(raw, "region")
    frame["province"] = _texts(raw, "province")
    for column in ("dismantle_eur", "assemble_eur", "transport_eur_per_km"):
        frame[column] = _numbers(raw, column, problems, default=np.nan)
    problems.raise_any()
    frame["units"] = frame.units.astype(np.int64)
    logger.info(
        "read %d batches (%d units) from %s", len(frame), int(frame.units.sum()), path
    )
    return BatchTable(frame=frame, source=str(path), sha256=sha256_of(path))


def read_demand(path: str | Path) -> DemandTable:
    """Read demand: units needed per period, per region and target group.

    Parameters
    ----------
    path : str or Path
        Columns ``region`` (as in the sites' ``region``/``municipality``) and
        ``units`` (needed in every period). Optional ``target_group`` (empty:
        any group) and ``from``/``to`` (ISO dates; the whole horizon when
        empty).

    Returns
    -------
    DemandTable

    Raises
    ------
    DataSourceError, SchemaError
        As :func:`read_sites`.
    """
    path = Path(path)
    raw, _, first = _read_raw(path)
    problems = _Problems(str(path), first_row=first)
    _require(
        raw,
        ("region", "units"),
        problems,
        "Demand needs a region and the units needed per period.",
    )
    problems.raise_any()
    frame = pd.DataFrame({"region": _texts(raw, "region")})
    problems.rows("region", frame.region == "", "empty", "Name the region.")
    frame["target_group"] = _texts(raw, "target_group")
    frame["units"] = _numbers(raw, "units", problems)
    frame["from"] = _dates(raw, "from", problems, required=False)
    frame["to"] = _dates(raw, "to", problems, required=False)
    problems.rows(
        "to",
        frame["to"] <= frame["from"],
        "not after from",
        "The need must end after it starts.",
    )
    problems.raise_any()
    return DemandTable(frame=frame, source=str(path), sha256=sha256_of(path))
