"""Read BAG buildings from the PDOK/Kadaster GeoPackages.

Two products are read:

``bag-light.gpkg`` (the national BAG GeoPackage, :func:`read_bag_gpkg`)
    Layers ``pand`` (polygons: ``identificatie``, ``bouwjaar``, ``status``, ...)
    and ``verblijfsobject`` (points: ``identificatie``, ``pand_identificatie``,
    ``gebruiksdoel``, ``oppervlakte``, ``status``, ...). The units are
    aggregated per pand.
bag-light pand view (:func:`read_bag_light`)
    One polygon layer with the uses already summarised per pand
    (``gebruiksdoel`` comma-joined, ``oppervlakte_min``, ``oppervlakte_max``,
    ``aantal_verblijfsobjecten``), as served by the PDOK BAG WFS.

Both return the canonical ``buildings`` layer (see
:mod:`kansenkaart.model.schema`) in EPSG:28992. The helpers that turn BAG
verblijfsobjecten into per-pand columns live here too and are shared with
:mod:`kansenkaart.io.bag_xml`.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.errors import DataSourceError, KansenkaartWarning
from kansenkaart.io._vector import layer_info, list_layers, read_vector
from kansenkaart.model.schema import BAG_USE_COLUMNS, BUILDINGS
from kansenkaart.model.validate import OnInvalid, require_columns, validate_layer

__all__ = ["read_bag_gpkg", "read_bag_light"]

logger = logging.getLogger(__name__)

#: 3DBAG and the BAG linked-data views prefix the pand identificatie with this.
PAND_ID_PREFIX = "NL.IMBAG.Pand."
_BAG_ID_PREFIX = r"^NL\.IMBAG\.[A-Za-z]+\."

#: Verblijfsobject statuses that mean the unit does not (or no longer) exist;
#: such units are not counted in ``n_units``, uses or floor area.
VBO_GONE_STATUSES: tuple[str, ...] = (
    "Niet gerealiseerd verblijfsobject",
    "Verblijfsobject ingetrokken",
    "Verblijfsobject ten onrechte opgevoerd",
)

_USE_COLUMNS = list(BAG_USE_COLUMNS.values())
_PAND_REQUIRED = ["identificatie", "bouwjaar", "status"]
_VBO_REQUIRED = ["identificatie", "pand_identificatie", "gebruiksdoel", "oppervlakte"]
_LIGHT_REQUIRED = [
    "identificatie",
    "bouwjaar",
    "status",
    "gebruiksdoel",
    "oppervlakte_max",
    "aantal_verblijfsobjecten",
]


# --------------------------------------------------------------------------
# shared helpers (also used by bag_xml and threedbag)
# --------------------------------------------------------------------------


def layer_source(path: str | Path, layer: str) -> str:
    """Return the ``"file (layer name)"`` label used in messages."""
    return f"{path} (layer {layer})"


def strip_bag_prefix(values: pd.Series) -> pd.Series:
    """BAG ids as text without blanks and without an ``NL.IMBAG.<Type>.`` prefix."""
    return (
        values.astype("string")
        .str.strip()
        .str.replace(_BAG_ID_PREFIX, "", regex=True, case=False)
    )


def clean_building_ids(values: pd.Series) -> pd.Series:
    """Return BAG ids (pand or verblijfsobject) as 16-character strings.

    The one BAG-id cleaning of all readers: strips blanks and the
    ``NL.IMBAG.Pand.`` (3DBAG) or any other ``NL.IMBAG.<Type>.`` prefix, and
    restores leading zeros lost when a source stored the id as a number.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = pd.Series(["NL.IMBAG.Pand.0537100000024633", 363100012345678])
    >>> clean_building_ids(ids)
    0    0537100000024633
    1    0363100012345678
    dtype: string
    """
    ids = strip_bag_prefix(values)
    numeric = ids.str.fullmatch(r"\d{1,16}").fillna(value=False)
    return ids.where(~numeric, ids.str.zfill(16))


def year_built_from(values: pd.Series) -> pd.Series:
    """Return ``bouwjaar`` as ``Int64``, null for 9999 (unknown) or missing."""
    years = pd.to_numeric(values, errors="coerce").astype("Float64")
    years = years.mask(years.isna() | (years == 9999) | (years <= 0))
    return years.round().astype("Int64")


def split_multi(values: pd.Series) -> pd.Series:
    """Explode comma-separated values into one stripped value per row.

    The index is repeated per value; empty and missing values are dropped.
    """
    parts = values.astype("string").str.split(",").explode().str.strip()
    return parts[parts.notna() & (parts != "")]


def _use_flags(
    building_ids: pd.Series, uses: pd.Series, index: pd.Index
) -> pd.DataFrame:
    """Boolean ``use_*`` columns per building from (building, use) pairs."""
    columns = uses.map(BAG_USE_COLUMNS)
    unknown = sorted(set(uses[columns.isna()].dropna()))
    if unknown:
        msg = (
            f"unknown BAG gebruiksdoel value(s) {', '.join(map(repr, unknown))} were "
            f"ignored; known values are {', '.join(BAG_USE_COLUMNS)}. Check the "
            "spelling in the source."
        )
        warnings.warn(msg, KansenkaartWarning, stacklevel=3)
    pairs = pd.DataFrame(
        {"building_id": building_ids.to_numpy(), "column": columns.to_numpy()}
    ).dropna()
    if not len(pairs):
        return pd.DataFrame(False, index=index, columns=_USE_COLUMNS, dtype="boolean")
    # a (building, use) pair that occurs -> True; every other cell False
    present = pd.crosstab(pairs["building_id"], pairs["column"]) > 0
    flags = present.reindex(index=index, columns=_USE_COLUMNS, fill_value=False)
    return flags.astype("boolean")


def _residential_area(units: pd.DataFrame, building_ids: pd.Index) -> pd.Series:
    """Floor area of the units with a woonfunctie per pand (null without areas)."""
    area = pd.to_numeric(units["floor_area_m2"], errors="coerce")
    dwelling = units["uses"].astype("string").str.contains("woonfunctie", regex=False)
    known = area.groupby(units["building_id"], sort=False).sum(min_count=1)
    homes = area.where(dwelling.fillna(False).to_numpy(bool), 0.0)
    per_pand = homes.groupby(units["building_id"], sort=False).sum(min_count=1)
    return per_pand.where(known.notna()).reindex(building_ids).astype("Float64")


def aggregate_units(units: pd.DataFrame, building_ids: pd.Index) -> pd.DataFrame:
    """Summarise verblijfsobjecten per pand.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per (unit, pand) pair with columns ``unit_id``,
        ``building_id``, ``uses`` (comma-separated BAG gebruiksdoelen) and
        ``floor_area_m2``. A unit in two panden has two rows and counts fully
        in both.
    building_ids : pandas.Index
        Unique pand ids to report on, in the canonical 16-digit form.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``building_ids``: the ``use_*`` booleans (all False for a
        pand without units), ``floor_area_m2`` (sum of the unit areas, null
        when the pand has no units with an area), ``residential_area_m2``
        (the part of it in units with a woonfunctie) and ``n_units``.
    """
    units = units.drop_duplicates(["unit_id", "building_id"])
    units = units[units["building_id"].isin(building_ids)]
    exploded = split_multi(units["uses"])
    flags = _use_flags(units.loc[exploded.index, "building_id"], exploded, building_ids)
    grouped = units.groupby("building_id", sort=False)
    area = pd.to_numeric(units["floor_area_m2"], errors="coerce").groupby(
        units["building_id"], sort=False
    )
    flags["floor_area_m2"] = (
        area.sum(min_count=1).reindex(building_ids).astype("Float64")
    )
    flags["residential_area_m2"] = _residential_area(units, building_ids)
    n_units = grouped["unit_id"].nunique().reindex(building_ids).fillna(0)
    flags["n_units"] = n_units.astype("Int64")
    return flags


# --------------------------------------------------------------------------
# bag-light.gpkg: pand + verblijfsobject layers
# --------------------------------------------------------------------------


def _find_layer(path: Path, name: str, layers: list[str]) -> str:
    for layer in layers:
        if layer.lower() == name:
            return layer
    msg = (
        f"{path}: has no layer {name!r}; a BAG GeoPackage holds the layers 'pand' "
        f"and 'verblijfsobject'. Layers found: {', '.join(layers) or '(none)'}."
    )
    raise DataSourceError(msg)


def _read_units(path: Path, layer: str) -> pd.DataFrame:
    fields = [str(f) for f in layer_info(path, layer)["fields"]]
    require_columns(fields, _VBO_REQUIRED, source=layer_source(path, layer))
    columns = [*_VBO_REQUIRED, *(["status"] if "status" in fields else [])]
    vbo = read_vector(path, layer, columns=columns, read_geometry=False)
    if "status" in vbo.columns:
        vbo = vbo[~vbo["status"].isin(VBO_GONE_STATUSES)]
    pand_refs = split_multi(vbo["pand_identificatie"])
    units = pd.DataFrame(
        {
            "unit_id": vbo.loc[pand_refs.index, "identificatie"].astype("string"),
            "building_id": clean_building_ids(pand_refs),
            "uses": vbo.loc[pand_refs.index, "gebruiksdoel"].astype("string"),
            "floor_area_m2": vbo.loc[pand_refs.index, "oppervlakte"],
        }
    )
    return units.reset_index(drop=True)


def read_bag_gpkg(
    path: str | Path, *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read the PDOK/Kadaster BAG GeoPackage (``bag-light.gpkg``) as buildings.

    Every polygon of layer ``pand`` becomes one building. The points of layer
    ``verblijfsobject`` are joined to their pand(en) through
    ``pand_identificatie`` (a unit in several panden is listed once per pand,
    or with comma-separated ids; both are handled) and summarised per pand:
    ``use_*`` from ``gebruiksdoel`` (multi-valued, comma-separated),
    ``floor_area_m2`` as the sum of ``oppervlakte`` and ``n_units`` as the
    number of distinct units. A unit that lies in two panden counts fully in
    both. Units with a status that means they do not exist (see
    :data:`VBO_GONE_STATUSES`) are left out. A pand without units gets all
    ``use_*`` False, ``n_units`` 0 and a null ``floor_area_m2``.

    The product holds only current objects (one voorkomen per object, no
    history columns), so no date filter is applied. Pand statuses are kept as
    the register spells them; demolished panden are filtered later, not here.

    Parameters
    ----------
    path : str or Path
        The GeoPackage, in EPSG:28992.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid pand polygons (see
        :func:`kansenkaart.model.validate.validate_layer`).

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical buildings (polygons, EPSG:28992), ``source`` ``"bag-gpkg"``.

    Raises
    ------
    DataSourceError
        When the file cannot be read or lacks the ``pand`` or
        ``verblijfsobject`` layer.
    SchemaError
        When a required column is missing (the message lists those found).

    Warns
    -----
    KansenkaartWarning
        For gebruiksdoel values that are not BAG gebruiksdoelen.
    GeometryRepairedWarning
        When invalid polygons were repaired or dropped.

    See :func:`read_bag_light` for an example on the embedded data (no BAG
    GeoPackage with verblijfsobjecten is embedded).
    """
    path = Path(path)
    layers = list_layers(path)
    pand_layer = _find_layer(path, "pand", layers)
    vbo_layer = _find_layer(path, "verblijfsobject", layers)
    source = layer_source(path, pand_layer)
    fields = [str(f) for f in layer_info(path, pand_layer)["fields"]]
    require_columns(fields, _PAND_REQUIRED, source=source)
    panden = read_vector(path, pand_layer, columns=_PAND_REQUIRED)
    units = _read_units(path, vbo_layer)
    ids = clean_building_ids(panden["identificatie"])
    per_pand = aggregate_units(units, pd.Index(ids.dropna().unique()))
    n_orphans = int((~units["building_id"].isin(per_pand.index)).sum())
    if n_orphans:
        logger.info(
            "%s: %d unit-pand links point to panden not in the file", path, n_orphans
        )
    frame = pd.DataFrame(
        {
            "building_id": ids.to_numpy(),
            "year_built": year_built_from(panden["bouwjaar"]).to_numpy(),
            "status": panden["status"].astype("string").to_numpy(),
        }
    ).join(per_pand, on="building_id")
    frame["source"] = "bag-gpkg"
    gdf = gpd.GeoDataFrame(frame, geometry=_polygons_2d(panden), crs=panden.crs)
    return validate_layer(gdf, BUILDINGS, source=source, on_invalid=on_invalid)


def _polygons_2d(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Geometries of ``gdf`` without Z, as a numpy array."""
    return shapely.force_2d(np.asarray(gdf.geometry.values))


# --------------------------------------------------------------------------
# bag-light pand view (one layer, uses summarised per pand)
# --------------------------------------------------------------------------


def _light_layer(path: Path, layer: str | None) -> str:
    layers = list_layers(path)
    if layer is not None:
        return layer  # read_vector reports a missing layer with the list
    if len(layers) == 1:
        return layers[0]
    for name in ("panden", "pand"):
        if name in layers:
            return name
    msg = (
        f"{path}: holds several layers ({', '.join(layers)}) and none is called "
        "'panden' or 'pand'. Pass layer= with the pand layer."
    )
    raise DataSourceError(msg)


def _light_uses(gebruiksdoel: pd.Series, n_units: pd.Series) -> pd.DataFrame:
    index = pd.RangeIndex(len(gebruiksdoel))
    uses = split_multi(gebruiksdoel.reset_index(drop=True))
    flags = _use_flags(pd.Series(uses.index, index=uses.index), uses, index)
    # no gebruiksdoel at all while the pand has units: uses unknown, not False
    unknown = (gebruiksdoel.isna() & (n_units.fillna(0) > 0)).to_numpy()
    flags.loc[unknown, :] = pd.NA
    return flags


def read_bag_light(
    path: str | Path, *, layer: str | None = None, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read the PDOK "bag-light" pand view as buildings.

    The view has one polygon per pand with ``identificatie``, ``bouwjaar``,
    ``status``, ``gebruiksdoel`` (the uses of its verblijfsobjecten,
    comma-joined; empty when it has none), ``oppervlakte_min``,
    ``oppervlakte_max`` and ``aantal_verblijfsobjecten``.

    ``floor_area_m2`` is ``oppervlakte_max``: the area of the *largest* unit,
    because the view does not carry the sum. It equals the total for a pand
    with one unit and is a lower bound for a pand with several units (the
    total lies between ``oppervlakte_max`` and ``oppervlakte_max * n_units``);
    read the full BAG GeoPackage (:func:`read_bag_gpkg`) when the total
    matters. A pand without units gets all ``use_*`` False, ``n_units`` 0 and
    a null ``floor_area_m2``.

    Parameters
    ----------
    path : str or Path
        GeoPackage (or any vector file) holding the view, in EPSG:28992.
    layer : str, optional
        Layer name; by default the only layer, or ``panden`` / ``pand``.
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical buildings (polygons, EPSG:28992), ``source`` ``"bag-light"``.

    Raises
    ------
    DataSourceError
        When the file or layer cannot be read.
    SchemaError
        When a required column is missing (the message lists those found).

    Warns
    -----
    KansenkaartWarning
        For gebruiksdoel values that are not BAG gebruiksdoelen.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> b = read_bag_light(data_path("amsterdam_BU03638600_bag_panden.gpkg"))
    >>> len(b), int(b["use_office"].sum())
    (464, 11)
    """
    path = Path(path)
    layer = _light_layer(path, layer)
    source = layer_source(path, layer)
    raw = read_vector(path, layer)
    require_columns(raw.columns, _LIGHT_REQUIRED, source=source)
    n_units = pd.to_numeric(raw["aantal_verblijfsobjecten"], errors="coerce")
    frame = pd.DataFrame(
        {
            "building_id": clean_building_ids(raw["identificatie"]).to_numpy(),
            "year_built": year_built_from(raw["bouwjaar"]).to_numpy(),
            "status": raw["status"].astype("string").to_numpy(),
            "floor_area_m2": pd.to_numeric(raw["oppervlakte_max"], errors="coerce")
            .astype("Float64")
            .to_numpy(),
            "n_units": n_units.astype("Int64").to_numpy(),
        }
    )
    frame = frame.join(_light_uses(raw["gebruiksdoel"], n_units))
    frame["source"] = "bag-light"
    gdf = gpd.GeoDataFrame(frame, geometry=_polygons_2d(raw), crs=raw.crs)
    return validate_layer(gdf, BUILDINGS, source=source, on_invalid=on_invalid)


def read_bag_gpkg_units(path: str | Path) -> pd.DataFrame:
    """The verblijfsobjecten of a BAG GeoPackage: one row per (unit, pand).

    Columns ``unit_id``, ``building_id``, ``uses`` and ``floor_area_m2``, as
    :func:`read_bag_gpkg` joins them to the panden.

    Raises
    ------
    DataSourceError
        When the file has no ``verblijfsobject`` layer.
    """
    path = Path(path)
    return _read_units(path, _find_layer(path, "verblijfsobject", list_layers(path)))
