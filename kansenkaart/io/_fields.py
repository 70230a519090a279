"""Column picking and reporting shared by the context, ownership and vacancy readers.

Column names are matched case-insensitively (a BOM and blanks ignored);
messages name at most :data:`N_SHOWN` rows or ids and a count.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from kansenkaart.errors import KansenkaartWarning, SchemaError
from kansenkaart.io._vector import list_layers, read_vector
from kansenkaart.model.validate import Finding

__all__ = [
    "N_SHOWN",
    "column_key",
    "drop_duplicate_ids",
    "first_layer",
    "pick",
    "pick_required",
    "read_raw",
    "row_labels",
    "show",
    "source_label",
    "warn_finding",
]

logger = logging.getLogger(__name__)

PathLike = str | Path
N_SHOWN = 5


def column_key(column: str) -> str:
    return str(column).strip().lstrip("\ufeff").lower()


def pick(columns: Iterable[str], candidates: Sequence[str]) -> str | None:
    """Return the first column whose lower-cased name is in ``candidates``."""
    by_key = {column_key(c): c for c in columns}
    return next((by_key[c] for c in candidates if c in by_key), None)


def pick_required(
    columns: Sequence[str], candidates: Sequence[str], *, source: str
) -> str:
    found = pick(columns, candidates)
    if found is None:
        msg = (
            f"{source}: none of the columns {', '.join(candidates)} was found. "
            f"Columns found: {', '.join(map(str, columns)) or '(none)'}. Rename the "
            f"column to {candidates[0]!r}."
        )
        raise SchemaError(msg)
    return found


def show(labels: Sequence[object]) -> str:
    shown = ", ".join(str(x) for x in labels[:N_SHOWN])
    more = f" and {len(labels) - N_SHOWN} more" if len(labels) > N_SHOWN else ""
    return f"{shown}{more}"


def source_label(path: Path, layer: str | None) -> str:
    return f"{path.name} (layer {layer})" if layer else path.name


def first_layer(path: Path, layer: str | None) -> str | None:
    """Name the layer to read, so pyogrio never has to guess (and warn)."""
    if layer is not None or path.suffix.lower() in (".csv", ".geojson", ".json"):
        return layer
    layers = list_layers(path)
    if len(layers) > 1:
        logger.info(
            "%s: %d layers, reading the first (%s)", path, len(layers), layers[0]
        )
    return layers[0] if layers else None


def read_raw(
    path: PathLike, layer: str | None, columns: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, str]:
    path = Path(path)
    layer = first_layer(path, layer)
    gdf = read_vector(path, layer, columns=columns)
    return gdf, source_label(path, layer)


def warn_finding(df: pd.DataFrame, finding: Finding) -> None:
    df.attrs["findings"] = [*df.attrs.get("findings", []), finding]
    warnings.warn(finding.message, KansenkaartWarning, stacklevel=3)


def drop_duplicate_ids(df: pd.DataFrame, id_col: str, *, source: str) -> pd.DataFrame:
    dup = df[id_col].duplicated(keep="first")
    if not dup.any():
        return df
    ids = sorted(df.loc[dup, id_col].astype(str).unique())
    msg = (
        f"{source}: {len(ids)} duplicate id(s) in column {id_col!r} ({show(ids)}); "
        "only the first row of each was kept. Remove the duplicates from the table."
    )
    out = df.loc[~dup]
    out.attrs = dict(df.attrs)
    warn_finding(out, Finding("warning", "duplicate_id", msg, tuple(ids)))
    return out


def row_labels(mask: pd.Series | np.ndarray, *, csv: bool) -> list[str]:
    """1-based row labels of ``mask``: CSV line numbers (header = line 1)."""
    pos = np.flatnonzero(np.asarray(mask))
    return [f"line {p + 2}" for p in pos] if csv else [f"row {p + 1}" for p in pos]
