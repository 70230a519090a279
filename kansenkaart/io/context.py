"""Readers for context layers and user-supplied tables.

Context layers are the vector layers a scan measures against (Natura 2000
areas, rijksmonumenten, CBS gemeente/wijk/buurt boundaries, or any other
GeoPackage, GeoJSON or FlatGeobuf). They are validated once with
:func:`kansenkaart.layers.validate.validate_layer` and arrive in EPSG:28992.

Two tables come from the user rather than from open data:

* an **ownership** table (parcel -> owner class). Ownership of land is not
  open data and a BRK extract names natural persons. Columns that may hold
  names of natural persons are therefore never read (not even into memory):
  only the parcel id, the owner class and, for a GeoPackage, the geometry are
  kept. Dropped columns are logged by name only.
* a **vacancy** table (BAG id -> vacant since).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import shapely

from kansenkaart.errors import DataSourceError, KansenkaartWarning, SchemaError
from kansenkaart.io._vector import layer_info, list_layers, read_vector
from kansenkaart.layers.schema import OWNER_CLASSES
from kansenkaart.layers.validate import (
    Finding,
    OnInvalid,
    validate_layer,
)

__all__ = [
    "BOUNDARY_LEVELS",
    "OWNER_CLASSES",
    "read_boundaries",
    "read_context",
    "read_monuments",
    "read_natura2000",
    "read_ownership",
    "read_vacancy",
]

logger = logging.getLogger(__name__)

PathLike = str | Path
BoundaryLevel = Literal["gemeente", "wijk", "buurt"]


#: CBS code prefix -> boundary level.
BOUNDARY_LEVELS: dict[str, str] = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}

_N_SHOWN = 5
_NATURA2000_NAMES = ("naam", "naam_n2k", "naamn2k", "sitename", "site_name", "name")
_MONUMENT_IDS = ("rijksmonumentnummer", "monumentnummer", "monument_id", "rmnr")
_MONUMENT_FUNCTIONS = ("functie", "hoofdfunctie", "oorspronkelijke_functie", "function")
_BOUNDARY_CODES = ("buurtcode", "wijkcode", "gemeentecode", "statcode", "code")
_BOUNDARY_NAMES = ("buurtnaam", "wijknaam", "gemeentenaam", "statnaam", "naam", "name")
_CBS_CODE = re.compile(r"^(GM\d{4}|WK\d{6}|BU\d{8})$")
_MERGE_DISTANCE_M = 1.0

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
#: Parts of a column name that suggest it may hold data on natural persons.
_PERSON_PARTS = (
    "naam",
    "name",
    "eigenaar",
    "owner",
    "gerechtigde",
    "tenaamstelling",
    "persoon",
    "person",
    "voorletter",
    "initialen",
    "geboorte",
    "birth",
    "bsn",
)
#: Clear owner-class labels (lower case) -> owner class.
_OWNER_LABELS: dict[str, str] = {
    **{c: c for c in OWNER_CLASSES},
    "province": "provincie",
    "municipality": "gemeente",
    "rijksoverheid": "rijk",
    "staat": "rijk",
    "staat der nederlanden": "rijk",
    "state": "rijk",
    "hoogheemraadschap": "waterschap",
    "wetterskip": "waterschap",
    "water board": "waterschap",
    "woningcorporatie": "corporatie",
    "woningbouwcorporatie": "corporatie",
    "toegelaten instelling": "corporatie",
    "housing association": "corporatie",
    "natuurlijk persoon": "particulier",
    "prive": "particulier",
    "privé": "particulier",
    "private": "particulier",
    "overige": "overig",
    "other": "overig",
}
#: "Provincie Zuid-Holland", "Gemeente Ede", "Waterschap Vallei en Veluwe", ...
_OWNER_PREFIX = re.compile(
    r"^(provincie|gemeente|waterschap|hoogheemraadschap|wetterskip) \S"
)
_AKR_PARCEL = re.compile(
    r"^(?P<akr>[A-Z]{3}\d{2})[\s\-_.]*(?P<section>[A-Z]{1,2})[\s\-_.]*0*(?P<number>\d{1,5})$"
)

#: A parcel id already in the form :data:`_AKR_PARCEL` rewrites to.
_AKR_CANONICAL = r"^[A-Z]{3}\d{2}-[A-Z]{1,2}-[1-9]\d{0,4}$"

_BUILDING_ALIASES = ("building_id", "pand_id", "pandid", "pand_identificatie")
_UNIT_ALIASES = ("unit_id", "verblijfsobject_id", "verblijfsobjectid", "vbo_id")
_GENERIC_BAG_ALIASES = ("identificatie", "bag_id", "bagid")
_VACANT_ALIASES = ("vacant_since", "leeg_sinds", "leegstand_sinds", "leegstaand_sinds")
_BAG_TYPE = {"10": "building_id", "01": "unit_id"}


# --------------------------------------------------------------------------
# helpers


def _key(column: str) -> str:
    return str(column).strip().lstrip("\ufeff").lower()


def _pick(columns: Iterable[str], candidates: Sequence[str]) -> str | None:
    """Return the first column whose lower-cased name is in ``candidates``."""
    by_key = {_key(c): c for c in columns}
    return next((by_key[c] for c in candidates if c in by_key), None)


def _pick_required(
    columns: Sequence[str], candidates: Sequence[str], *, source: str
) -> str:
    found = _pick(columns, candidates)
    if found is None:
        msg = (
            f"{source}: none of the columns {', '.join(candidates)} was found. "
            f"Columns found: {', '.join(map(str, columns)) or '(none)'}. Rename the "
            f"column to {candidates[0]!r}."
        )
        raise SchemaError(msg)
    return found


def _show(labels: Sequence[object]) -> str:
    shown = ", ".join(str(x) for x in labels[:_N_SHOWN])
    more = f" and {len(labels) - _N_SHOWN} more" if len(labels) > _N_SHOWN else ""
    return f"{shown}{more}"


def _source(path: Path, layer: str | None) -> str:
    return f"{path.name} (layer {layer})" if layer else path.name


def _first_layer(path: Path, layer: str | None) -> str | None:
    """Name the layer to read, so pyogrio never has to guess (and warn)."""
    if layer is not None or path.suffix.lower() in (".csv", ".geojson", ".json"):
        return layer
    layers = list_layers(path)
    if len(layers) > 1:
        logger.info(
            "%s: %d layers, reading the first (%s)", path, len(layers), layers[0]
        )
    return layers[0] if layers else None


def _read_raw(
    path: PathLike, layer: str | None, columns: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, str]:
    path = Path(path)
    layer = _first_layer(path, layer)
    gdf = read_vector(path, layer, columns=columns)
    return gdf, _source(path, layer)


def _warn_finding(df: pd.DataFrame, finding: Finding) -> None:
    df.attrs["findings"] = [*df.attrs.get("findings", []), finding]
    warnings.warn(finding.message, KansenkaartWarning, stacklevel=3)


def _drop_duplicate_ids(df: pd.DataFrame, id_col: str, *, source: str) -> pd.DataFrame:
    dup = df[id_col].duplicated(keep="first")
    if not dup.any():
        return df
    ids = sorted(df.loc[dup, id_col].astype(str).unique())
    msg = (
        f"{source}: {len(ids)} duplicate id(s) in column {id_col!r} ({_show(ids)}); "
        "only the first row of each was kept. Remove the duplicates from the table."
    )
    out = df.loc[~dup]
    out.attrs = dict(df.attrs)
    _warn_finding(out, Finding("warning", "duplicate_id", msg, tuple(ids)))
    return out


# --------------------------------------------------------------------------
# vector context layers


def read_context(
    path: PathLike, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read any vector context layer and validate it.

    Parameters
    ----------
    path : str or Path
        GeoPackage, GeoJSON (also WGS84 files such as the CBS boundaries) or
        FlatGeobuf.
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries (see :func:`validate_layer`).

    Returns
    -------
    geopandas.GeoDataFrame
        All columns of the source, geometries valid and in EPSG:28992; the
        validation findings (e.g. ``reprojected``) in ``attrs["findings"]``.

    Raises
    ------
    DataSourceError
        When the file or layer cannot be read.
    CRSError
        When the layer has no CRS.
    GeometryError
        When geometries are invalid and ``on_invalid="raise"``.

    Warns
    -----
    GeometryRepairedWarning
        When invalid geometries were repaired or dropped.
    """
    gdf, source = _read_raw(path, layer)
    return validate_layer(gdf, source=source, on_invalid=on_invalid)


def read_natura2000(
    path: PathLike, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read Natura 2000 areas as ``name`` and geometry.

    The name is taken from ``naam`` (the project's own extract),
    ``naam_n2k``/``naamN2K`` (RVO via PDOK) or ``sitename`` (INSPIRE
    Protected Sites, EEA), whichever is found first (case-insensitive).

    Parameters
    ----------
    path : str or Path
        Vector file with the area outlines.
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``name`` (string) and ``geometry`` in EPSG:28992.

    Raises
    ------
    SchemaError
        When no name column is found.
    """
    gdf, source = _read_raw(path, layer)
    name_col = _pick_required(list(gdf.columns), _NATURA2000_NAMES, source=source)
    out = gpd.GeoDataFrame(
        {"name": gdf[name_col].astype("string")},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    return validate_layer(out, source=source, on_invalid=on_invalid)


def _merge_repeated_monuments(
    gdf: gpd.GeoDataFrame, *, source: str
) -> gpd.GeoDataFrame:
    """Merge rows that repeat a monument at (almost) the same location.

    Extracts made per Natura 2000 area list a monument once per nearby area;
    the copies lie within centimetres of each other.
    """
    ids = gdf["monument_id"]
    first = ~ids.duplicated(keep="first")
    reference = gdf.geometry[first.to_numpy()].set_axis(ids[first]).reindex(ids)
    dist = shapely.distance(
        np.asarray(gdf.geometry.values), np.asarray(reference.values)
    )
    repeated = (~first).to_numpy() & (dist <= _MERGE_DISTANCE_M)
    if not repeated.any():
        return gdf
    merged = sorted(ids[repeated].unique())
    msg = (
        f"{source}: {int(repeated.sum())} row(s) repeat a monument within "
        f"{_MERGE_DISTANCE_M:g} m of an earlier row ({len(merged)} monuments, e.g. "
        f"{_show(merged)}) and were merged."
    )
    out = gdf.loc[~repeated]
    finding = Finding("info", "merged_rows", msg, tuple(merged))
    out.attrs = {"findings": [*gdf.attrs.get("findings", []), finding]}
    logger.info(msg)
    return out


def read_monuments(
    path: PathLike, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read rijksmonumenten as ``monument_id``, ``function`` and geometry.

    Only what the scans need is kept: addresses and other columns are not
    returned. Rows that repeat a monument within 1 m (an extract made per
    Natura 2000 area lists a monument once per nearby area) are merged and
    reported as an ``info`` finding; other repeated ids are reported by
    :func:`validate_layer`.

    Parameters
    ----------
    path : str or Path
        Vector file with one feature per monument, e.g. the Rijksdienst voor
        het Cultureel Erfgoed extract (``rijksmonumentnummer``, ``functie``).
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        ``monument_id`` (rijksmonumentnummer as string), ``function``
        (string, null when the source has none) and ``geometry`` in
        EPSG:28992, one row per monument.

    Raises
    ------
    SchemaError
        When no monument number column is found.
    """
    gdf, source = _read_raw(path, layer)
    columns = list(gdf.columns)
    id_col = _pick_required(columns, _MONUMENT_IDS, source=source)
    function_col = _pick(columns, _MONUMENT_FUNCTIONS)
    ids = gdf[id_col].astype("string").str.strip().str.removesuffix(".0")
    function = (
        gdf[function_col].astype("string")
        if function_col
        else pd.Series(pd.NA, index=gdf.index, dtype="string")
    )
    out = gpd.GeoDataFrame(
        {"monument_id": ids, "function": function},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    out = validate_layer(out, source=source, on_invalid=on_invalid)
    out = _merge_repeated_monuments(out, source=source)
    return validate_layer(
        out, source=source, id_column="monument_id", on_invalid=on_invalid
    )


def _boundary_levels(codes: pd.Series, *, source: str, code_col: str) -> pd.Series:
    bad = ~codes.fillna("").str.match(_CBS_CODE)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        msg = (
            f"{source}: column {code_col!r} holds {len(rows)} value(s) that are not "
            f"CBS codes like GM0363, WK036386 or BU03638600 (features {_show(rows)}). "
            "Fix the codes or remove those features."
        )
        raise SchemaError(msg)
    return codes.str[:2].map(BOUNDARY_LEVELS).astype("string")


def read_boundaries(
    path: PathLike,
    *,
    level: BoundaryLevel | None = None,
    layer: str | None = None,
    on_invalid: OnInvalid = "fix",
) -> gpd.GeoDataFrame:
    """Read CBS gemeente, wijk or buurt boundaries.

    The code column is the most specific one found (``buurtcode``, then
    ``wijkcode``, ``gemeentecode``, ``statcode``, ``code``); the level of each
    feature follows from its code prefix (GM, WK, BU).

    Parameters
    ----------
    path : str or Path
        CBS boundaries, e.g. the PDOK "gebiedsindelingen" GeoJSON in WGS84
        (reprojected) or a GeoPackage in EPSG:28992.
    level : {"gemeente", "wijk", "buurt"}, optional
        Keep only features of this level; all levels when omitted.
    layer : str, optional
        Layer name; the first layer when omitted.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid geometries.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code`` (e.g. ``GM0363``, ``BU03638600``), ``name``, ``level`` and
        ``geometry`` in EPSG:28992; duplicate codes are reported.

    Raises
    ------
    SchemaError
        When no code column is found, codes are not CBS codes, or no feature
        has the requested ``level``.
    """
    if level is not None and level not in BOUNDARY_LEVELS.values():
        allowed = ", ".join(BOUNDARY_LEVELS.values())
        msg = f"level must be one of {allowed}, not {level!r}"
        raise SchemaError(msg)
    gdf, source = _read_raw(path, layer)
    columns = list(gdf.columns)
    code_col = _pick_required(columns, _BOUNDARY_CODES, source=source)
    name_col = _pick(columns, _BOUNDARY_NAMES)
    codes = gdf[code_col].astype("string").str.strip().str.upper()
    levels = _boundary_levels(codes, source=source, code_col=code_col)
    names = (
        gdf[name_col].astype("string")
        if name_col
        else pd.Series(pd.NA, index=gdf.index, dtype="string")
    )
    out = gpd.GeoDataFrame(
        {"code": codes, "name": names, "level": levels},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    if level is not None:
        keep = (levels == level).to_numpy()
        if not keep.any():
            msg = (
                f"{source}: holds no {level} boundaries (levels found: "
                f"{', '.join(sorted(levels.unique()))}). Pass the {level} file or "
                "omit level."
            )
            raise SchemaError(msg)
        out = out.loc[keep]
    return validate_layer(out, source=source, id_column="code", on_invalid=on_invalid)


# --------------------------------------------------------------------------
# CSV tables


def _sniff_separator(path: Path) -> str:
    with path.open("rb") as fh:
        header = fh.readline().decode("utf-8-sig", "replace")
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    sep = max(counts, key=counts.__getitem__)
    return sep if counts[sep] else ","


def _read_csv(path: Path, *, keep: Callable[[str], bool] | None = None) -> pd.DataFrame:
    """Read a CSV as text columns; ``;``/``,``/tab separated, BOM or not.

    ``keep`` (a callable on the column name) selects the columns to parse;
    the others are never parsed. Values are read as text, leading blanks
    stripped, and empty values are null. Arrow's multi-threaded reader does
    the work; a file it refuses for its layout (rows of unequal length) is
    read with pandas, which fills short rows.
    """
    sep = _sniff_separator(path)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return _read_csv_as(path, sep=sep, encoding=encoding, keep=keep)
        except UnicodeDecodeError:
            logger.info("%s: not %s, trying the next encoding", path, encoding)
        except OSError as err:
            msg = f"{path}: cannot be read as a CSV table ({err}). Export it again."
            raise DataSourceError(msg) from err
    msg = f"{path}: cannot be decoded as UTF-8 or Windows-1252. Save it as UTF-8."
    raise DataSourceError(msg)


def _read_csv_as(
    path: Path, *, sep: str, encoding: str, keep: Callable[[str], bool] | None
) -> pd.DataFrame:
    """The CSV in one encoding; UnicodeDecodeError when it is not in it."""
    names = _csv_header(path, encoding=encoding)
    wanted = [c for c in names if keep is None or keep(c)]
    try:
        return _read_csv_arrow(
            path, sep=sep, encoding=encoding, names=names, wanted=wanted
        )
    except pa.ArrowInvalid as err:
        if "UTF8" in str(err) or "UTF-8" in str(err):
            raise UnicodeDecodeError(encoding, b"", 0, 1, str(err)) from err
        logger.info("%s: read with pandas (%s)", path, err)
    return _read_csv_pandas(path, sep=sep, encoding=encoding, keep=keep)


def _read_csv_arrow(
    path: Path, *, sep: str, encoding: str, names: list[str], wanted: list[str]
) -> pd.DataFrame:
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(
            encoding="utf8" if encoding == "utf-8-sig" else encoding,
            column_names=names,
            skip_rows=1,
        ),
        parse_options=pcsv.ParseOptions(delimiter=sep),
        convert_options=pcsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str"
    columns = {}
    for name in wanted:
        values = pc.utf8_ltrim_whitespace(table.column(name))
        values = pc.if_else(pc.equal(values, ""), None, values)
        columns[name] = pd.array(values, dtype=text)
    return pd.DataFrame(columns, columns=wanted)


def _read_csv_pandas(
    path: Path, *, sep: str, encoding: str, keep: Callable[[str], bool] | None
) -> pd.DataFrame:
    try:
        df = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            encoding=encoding,
            usecols=None
            if keep is None
            else (lambda c: keep(str(c).strip().lstrip("\ufeff"))),
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except UnicodeDecodeError:  # not this encoding: the caller tries the next
        raise
    except (OSError, pd.errors.ParserError, ValueError) as err:
        msg = f"{path}: cannot be read as a CSV table ({err}). Export it again."
        raise DataSourceError(msg) from err
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    return df


def _row_labels(mask: pd.Series | np.ndarray, *, csv: bool) -> list[str]:
    """1-based row labels of ``mask``: CSV line numbers (header = line 1)."""
    pos = np.flatnonzero(np.asarray(mask))
    return [f"line {p + 2}" for p in pos] if csv else [f"row {p + 1}" for p in pos]


# --------------------------------------------------------------------------
# ownership


def _may_hold_person_data(column: str) -> bool:
    """True for columns that may hold names (or other data) of natural persons."""
    key = _key(column)
    if key in _PARCEL_ALIASES or key in _OWNER_CLASS_ALIASES:
        return False
    return any(part in key for part in _PERSON_PARTS)


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
    parcel = _pick(keep, _PARCEL_ALIASES)
    owner = _pick(keep, _OWNER_CLASS_ALIASES)
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
        rows = _row_labels(bad, csv=csv)
        msg = (
            f"{source}: {len(rows)} parcel id(s) are not a kadastrale aanduiding "
            f"like 'STN02 D 1234' ({_show(rows)}). Use the AKR code of the "
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
    by_label = key.map(_OWNER_LABELS).fillna(
        key.str.extract(_OWNER_PREFIX)[0].map(_OWNER_LABELS)
    )
    mapped = pc.take(pa.array(by_label.array, type=pa.string()), encoded.indices)
    bad = pc.is_null(mapped).to_numpy(zero_copy_only=False)
    if bad.any():
        rows = _row_labels(bad, csv=csv)
        msg = (
            f"{source}: {len(rows)} owner class value(s) are not one of "
            f"{', '.join(OWNER_CLASSES)} ({_show(rows)}; values are not shown as "
            "they may be personal data). Replace them with one of those classes."
        )
        raise SchemaError(msg)
    return pd.Series(pd.array(mapped, dtype="string"), index=labels.index)


def _csv_header(path: Path, *, encoding: str | None = None) -> list[str]:
    """Column names of a CSV, read from its first line only.

    Undecodable bytes are replaced unless an ``encoding`` is given.
    """
    sep = _sniff_separator(path)
    with path.open("rb") as fh:
        raw = fh.readline()
    line = (
        raw.decode("utf-8-sig", "replace") if encoding is None else raw.decode(encoding)
    ).strip("\r\n")
    return [c.strip().strip('"').strip().lstrip("\ufeff") for c in line.split(sep)]


def _read_ownership_raw(path: Path) -> tuple[pd.DataFrame, str, list[str], bool]:
    """Read only the parcel and owner class columns (and the geometry)."""
    if path.suffix.lower() == ".csv":
        source = path.name
        wanted = _ownership_columns(_csv_header(path), source=source)
        df = _read_csv(path, keep=lambda c: c in wanted)
        return df, source, wanted, True
    layer = _first_layer(path, None)
    source = _source(path, layer)
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
        out = _drop_duplicate_ids(table, "parcel_id", source=source)
        logger.info("%s: %d parcels with an owner class", source, len(out))
        return out
    gdf = gpd.GeoDataFrame(table, geometry=geometry.values, crs=raw.crs)
    return validate_layer(
        gdf, source=source, id_column="parcel_id", on_invalid=on_invalid
    )


# --------------------------------------------------------------------------
# vacancy


def _vacancy_columns(
    columns: Sequence[str], *, source: str
) -> tuple[str, str, str | None]:
    """Return (id column, vacant-since column, id kind or None if inferred)."""
    id_col, kind = None, None
    for aliases, alias_kind in (
        (_BUILDING_ALIASES, "building_id"),
        (_UNIT_ALIASES, "unit_id"),
        (_GENERIC_BAG_ALIASES, None),
    ):
        id_col, kind = _pick(columns, aliases), alias_kind
        if id_col is not None:
            break
    date_col = _pick(columns, _VACANT_ALIASES)
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
    ids = (
        values.astype("string")
        .str.strip()
        .str.replace(r"^NL\.IMBAG\.[A-Za-z]+\.", "", regex=True, case=False)
    )
    short = ids.str.fullmatch(r"\d{13,15}").fillna(False)
    if short.any():
        rows = _row_labels(short, csv=True)
        warnings.warn(
            f"{source}: {len(rows)} BAG id(s) have fewer than 16 digits "
            f"({_show(rows)}); leading zeros were restored. Keep the column as "
            "text when editing the file in a spreadsheet.",
            KansenkaartWarning,
            stacklevel=4,
        )
        ids = ids.where(~short, ids.str.zfill(16))
    bad = ~ids.str.fullmatch(r"\d{16}").fillna(False)
    if bad.any():
        rows = _row_labels(bad, csv=True)
        msg = (
            f"{source}: {len(rows)} value(s) are not 16-digit BAG ids ({_show(rows)}). "
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
        rows = _row_labels(bad, csv=True)
        what = {"building_id": "pand (type 10)", "unit_id": "verblijfsobject (01)"}
        what = what[expected]
        msg = (
            f"{source}: column {id_col!r} is read as {what} ids, but {len(rows)} id(s) "
            f"have another object type code at positions 5-6 ({_show(rows)}). Put "
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
        rows = _row_labels(bad, csv=True)
        msg = (
            f"{source}: column {column!r} has {len(rows)} missing or unreadable "
            f"date(s) ({_show(rows)}). Write dates as 2023-01-31 or 31-01-2023."
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
        and ``vacant_since`` (datetime64). Duplicate ids are reported and the
        first row is kept.

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
    df = _read_csv(path)
    id_col, date_col, kind = _vacancy_columns(list(df.columns), source=source)
    ids = _normalise_bag_ids(df[id_col], source=source)
    kind = _bag_id_kind(ids, kind, source=source, id_col=id_col)
    dates = _parse_dates(df[date_col], source=source, column=date_col)
    out = pd.DataFrame({kind: ids, "vacant_since": dates})
    out = _drop_duplicate_ids(out, kind, source=source)
    logger.info("%s: %d vacant %s", source, len(out), kind.removesuffix("_id") + "s")
    return out
