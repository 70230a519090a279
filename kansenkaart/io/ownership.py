"""Read a user-supplied ownership table: parcel -> owner class.

Ownership of land is not open data and a BRK extract names natural persons.
Columns that may hold names or other data of natural persons
(:func:`kansenkaart.model.privacy.may_hold_person_data`) are therefore never
read, not even into memory: only the parcel id, the owner class and, for a
GeoPackage, the geometry are kept. Dropped columns are logged by name only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kansenkaart.errors import SchemaError
from kansenkaart.io._csv import csv_header, read_csv_text
from kansenkaart.io._fields import (
    column_key,
    drop_duplicate_ids,
    first_layer,
    pick,
    row_labels,
    show,
    source_label,
)
from kansenkaart.io._vector import layer_info, read_vector
from kansenkaart.model.privacy import OWNER_CLASSES, OWNER_LABELS, may_hold_person_data
from kansenkaart.model.validate import OnInvalid, validate_layer

__all__ = ["read_ownership"]

logger = logging.getLogger(__name__)

PathLike = str | Path

_PARCEL_ALIASES = (
    "parcel_id",
    "perceel",
    "perceel_id",
    "perceelid",
    "kadastrale_aanduiding",
    "kadastraleaanduiding",
    "kadastraal_perceel",
    "aanduiding",
)
_OWNER_CLASS_ALIASES = (
    "owner_class",
    "eigenaarklasse",
    "eigenaar_klasse",
    "eigenaarsklasse",
    "eigenaar_type",
    "eigenaartype",
    "type_eigenaar",
    "soort_eigenaar",
    "eigenaarscategorie",
    "eigenaar_categorie",
    "owner_type",
)
#: "Provincie Zuid-Holland", "Gemeente Ede", "Waterschap Vallei en Veluwe", ...
_OWNER_PREFIX = re.compile(
    r"^(provincie|gemeente|waterschap|hoogheemraadschap|wetterskip) \S"
)
_AKR_PARCEL = re.compile(
    r"^(?P<akr>[A-Z]{3}\d{2})[\s\-_.]*(?P<section>[A-Z]{1,2})[\s\-_.]*0*(?P<number>\d{1,5})$"
)
#: A parcel id already in the form :data:`_AKR_PARCEL` rewrites to.
_AKR_CANONICAL = r"^[A-Z]{3}\d{2}-[A-Z]{1,2}-[1-9]\d{0,4}$"


def _may_hold_person_data(column: str) -> bool:
    """True for columns that may hold names (or other data) of natural persons."""
    key = column_key(column)
    if key in _PARCEL_ALIASES or key in _OWNER_CLASS_ALIASES:
        return False
    return may_hold_person_data(key)


def _ownership_columns(columns: Sequence[str], *, source: str) -> list[str]:
    """Columns to read: parcel id and owner class; log the dropped ones."""
    dropped = [c for c in columns if _may_hold_person_data(c)]
    for col in dropped:
        logger.info(
            "%s: column %r dropped on read: it may hold names of natural persons",
            source,
            col,
        )
    keep = [c for c in columns if c not in dropped]
    parcel = pick(keep, _PARCEL_ALIASES)
    owner = pick(keep, _OWNER_CLASS_ALIASES)
    if parcel is None or owner is None:
        hint = f" Dropped (may hold person names): {', '.join(dropped)}." * bool(
            dropped
        )
        msg = (
            f"{source}: an ownership table needs a parcel column (one of "
            f"{', '.join(_PARCEL_ALIASES)}) and an owner class column (one of "
            f"{', '.join(_OWNER_CLASS_ALIASES)}). Columns found: "
            f"{', '.join(keep) or '(none)'}.{hint}"
        )
        raise SchemaError(msg)
    return [parcel, owner]


def _normalise_parcel_ids(ids: pd.Series, *, source: str, csv: bool) -> pd.Series:
    """``STN02 D 1234``, ``STN02D01234`` -> ``STN02-D-1234``."""
    # all in Arrow (RE2), without a Python string per id
    text = pc.utf8_upper(pc.utf8_trim_whitespace(pa.array(ids.astype("string").array)))
    canonical = pc.fill_null(pc.match_substring_regex(text, _AKR_CANONICAL), False)
    if pc.all(canonical).as_py():  # already AKR-section-number: nothing to rewrite
        return pd.Series(pd.array(text, dtype="string"), index=ids.index)
    found = pc.extract_regex(text, _AKR_PARCEL.pattern)
    akr, section, number = (
        pc.struct_field(found, name) for name in ("akr", "section", "number")
    )
    bad = pd.Series(pc.is_null(akr).to_numpy(zero_copy_only=False), index=ids.index)

    if bad.any():
        rows = row_labels(bad, csv=csv)
        msg = (
            f"{source}: {len(rows)} parcel id(s) are not a kadastrale aanduiding "
            f"like 'STN02 D 1234' ({show(rows)}). Use the AKR code of the "
            "kadastrale gemeente, the section and the parcel number."
        )
        raise SchemaError(msg)
    joined = pc.binary_join_element_wise(
        *(a.cast(pa.string()) for a in (akr, section, number)), "-"
    )
    return pd.Series(
        joined.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get).array,
        index=ids.index,
    )


def _normalise_owner_classes(labels: pd.Series, *, source: str, csv: bool) -> pd.Series:
    # map the few distinct labels, then spread them over the rows in Arrow
    values = pa.array(labels.astype("string").array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)
    uniq = pd.Series(encoded.dictionary.to_pylist(), dtype="string")
    key = uniq.str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    by_label = key.map(OWNER_LABELS).fillna(
        key.str.extract(_OWNER_PREFIX)[0].map(OWNER_LABELS)
    )
    mapped = pc.take(pa.array(by_label.array, type=pa.string()), encoded.indices)
    bad = pc.is_null(mapped).to_numpy(zero_copy_only=False)
    if bad.any():
        rows = row_labels(bad, csv=csv)
        msg = (
            f"{source}: {len(rows)} owner class value(s) are not one of "
            f"{', '.join(OWNER_CLASSES)} ({show(rows)}; values are not shown as "
            "they may be personal data). Replace them with one of those classes."
        )
        raise SchemaError(msg)
    return pd.Series(pd.array(mapped, dtype="string"), index=labels.index)


def _read_ownership_raw(path: Path) -> tuple[pd.DataFrame, str, list[str], bool]:
    """Read only the parcel and owner class columns (and the geometry)."""
    if path.suffix.lower() == ".csv":
        source = path.name
        wanted = _ownership_columns(csv_header(path), source=source)
        df = read_csv_text(path, keep=lambda c: c in wanted)
        return df, source, wanted, True
    layer = first_layer(path, None)
    source = source_label(path, layer)
    fields = [str(f) for f in layer_info(path, layer)["fields"]]
    wanted = _ownership_columns(fields, source=source)
    return read_vector(path, layer, columns=wanted), source, wanted, False


def read_ownership(
    path: PathLike, *, on_invalid: OnInvalid = "fix"
) -> pd.DataFrame | gpd.GeoDataFrame:
    """Read a user-supplied ownership table: parcel -> owner class.

    Columns that may hold names or other data of natural persons (any column
    whose name contains ``naam``, ``name``, ``eigenaar``, ``owner``,
    ``gerechtigde``, ``tenaamstelling``, ``persoon``, ...; the owner class
    column excepted) are **never read**: they are dropped on read, are not in
    the result nor in its ``attrs``, and only their column name is logged
    (INFO). All other extra columns are left out as well.

    Parameters
    ----------
    path : str or Path
        CSV (``;`` or ``,`` separated, with or without BOM) or GeoPackage.
        Parcel column: ``parcel_id``, ``perceel``, ``kadastrale_aanduiding``,
        ...; owner class column: ``owner_class``, ``eigenaarklasse``, ...
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries of a GeoPackage.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        ``parcel_id`` (``AKR-sectie-nummer``, e.g. ``STN02-D-1234``) and
        ``owner_class`` (one of :data:`OWNER_CLASSES`), both strings; plus the
        geometry in EPSG:28992 for a GeoPackage layer with geometries.
        Duplicate parcel ids are reported and the first row is kept.

    Raises
    ------
    SchemaError
        When the parcel or owner class column is missing, a parcel id is not
        a kadastrale aanduiding, or an owner class is not a clear label of one
        of the classes (e.g. ``Provincie``, ``Gemeente Ede``,
        ``Woningcorporatie``). The message names the rows, not the values.

    Warns
    -----
    KansenkaartWarning
        When parcel ids are repeated.
    """
    path = Path(path)
    raw, source, (parcel_col, owner_col), csv = _read_ownership_raw(path)
    parcel_id = _normalise_parcel_ids(raw[parcel_col], source=source, csv=csv)
    owner_class = _normalise_owner_classes(raw[owner_col], source=source, csv=csv)
    table = pd.DataFrame({"parcel_id": parcel_id, "owner_class": owner_class})
    geometry = raw.geometry if isinstance(raw, gpd.GeoDataFrame) else None
    if geometry is None or geometry.isna().all():
        out = drop_duplicate_ids(table, "parcel_id", source=source)
        logger.info("%s: %d parcels with an owner class", source, len(out))
        return out
    gdf = gpd.GeoDataFrame(table, geometry=geometry.values, crs=raw.crs)
    return validate_layer(
        gdf, source=source, id_column="parcel_id", on_invalid=on_invalid
    )
