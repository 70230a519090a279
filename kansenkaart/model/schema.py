"""Canonical layer model: the columns every reader returns.

This module is the one place where Dutch register field names (BAG, BRK/DKK,
IMRO) meet the English snake_case names used everywhere else. Each canonical
layer is in EPSG:28992 and holds its identifier as a string (leading zeros
kept).

``buildings``
    ``building_id`` (BAG pand identificatie, 16 digits), ``year_built``
    (``Int64``, null for 9999 / unknown), ``status`` (BAG pand status as
    spelled by the register), one nullable boolean per BAG gebruiksdoel
    (see :data:`BAG_USE_COLUMNS`; null means the source has no uses, as in
    3DBAG), ``floor_area_m2`` (sum of verblijfsobject areas, or the bag-light
    maximum), ``residential_area_m2`` (the part of it in verblijfsobjecten
    with a woonfunctie; null where unit areas are unknown), ``n_units``
    (number of verblijfsobjecten), ``height_m`` (roof height above ground,
    3DBAG 70th percentile), ``storeys`` (3DBAG ``b3_bouwlagen``) and
    ``source`` (the reader that produced the row).
``parcels``
    ``parcel_id`` (kadastrale aanduiding ``AKR-sectie-perceelnummer``, e.g.
    ``STN02-D-1234``), ``cadastral_object_id`` (the 14-digit Kadaster object
    id), ``municipality_cadastral`` (kadastrale gemeente name), ``section``,
    ``parcel_number``, ``registered_area_m2``, ``area_m2`` (of the polygon),
    ``source``.
``zoning``
    ``object_id``, ``object_type`` (IMRO name: ``Enkelbestemming``,
    ``Dubbelbestemming``, ``Gebiedsaanduiding``, ``Functieaanduiding``,
    ``Bouwvlak``, ``Bouwaanduiding``, ``Maatvoering``, ``Bestemmingsplangebied``),
    ``name`` (IMRO ``naam``), ``main_group`` (bestemmingshoofdgroep or
    gebiedsaanduidinggroep), ``value`` and ``value_type`` (Maatvoering waarde
    and waardeType, several joined with ``"; "``), ``overlay_class`` and
    ``overlay_kind`` (canonical class of an overlay, see
    :mod:`kansenkaart.model.overlays`), the Maatvoering values
    ``max_height_m``, ``max_gutter_height_m``, ``max_coverage_share`` (0-1)
    and ``max_storeys``, ``plan_id``,
    ``plan_name``, ``plan_status``, ``plan_date``, ``imro_version``, ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "BAG_DEMOLISHED_STATUSES",
    "BAG_USE_COLUMNS",
    "BUILDINGS",
    "PARCELS",
    "POLYGONAL",
    "SCHEMAS",
    "ZONING",
    "Bound",
    "LayerSchema",
]

#: BAG gebruiksdoel (as the register spells it) -> canonical boolean column.
BAG_USE_COLUMNS: dict[str, str] = {
    "woonfunctie": "use_residential",
    "bijeenkomstfunctie": "use_assembly",
    "celfunctie": "use_cell",
    "gezondheidszorgfunctie": "use_health",
    "industriefunctie": "use_industry",
    "kantoorfunctie": "use_office",
    "logiesfunctie": "use_lodging",
    "onderwijsfunctie": "use_education",
    "sportfunctie": "use_sport",
    "winkelfunctie": "use_retail",
    "overige gebruiksfunctie": "use_other",
}

#: BAG pand statuses that mean the building does not (or no longer) exist.
BAG_DEMOLISHED_STATUSES: tuple[str, ...] = (
    "Pand gesloopt",
    "Sloopvergunning verleend",
    "Niet gerealiseerd pand",
    "Pand ten onrechte opgevoerd",
)


@dataclass(frozen=True, slots=True)
class Bound:
    """Plausible range of a canonical numeric column (inclusive).

    Values outside it are set to missing at the reading boundary (with a
    warning naming ids and counts), never used to rank.

    Attributes
    ----------
    low, high : float
        Smallest and largest plausible value.
    reason : str
        Where the range comes from (a register's catalogue or a physical
        limit), for the warning and the documentation.
    """

    low: float
    high: float
    reason: str


#: Geometry types of a layer of areas (buildings, parcels).
POLYGONAL: tuple[str, ...] = ("Polygon", "MultiPolygon")

#: Latest plausible bouwjaar: BAG records buildings under construction with
#: their planned year, a few years ahead at most.
_LAST_YEAR = date.today().year + 5


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerSchema:
    """Columns and dtypes of one canonical layer.

    Parameters
    ----------
    name : str
        Layer kind (``buildings``, ``parcels``, ``zoning``).
    id_column : str
        Column that identifies a feature; duplicates are reported.
    dtypes : dict of str to str
        Every canonical column (except ``geometry``) and its pandas dtype.
    bounds : dict of str to Bound
        Plausible range of numeric columns (values outside become missing).
    geometry_types : tuple of str
        Accepted geometry types (any when empty).
    """

    name: str
    id_column: str
    dtypes: dict[str, str]
    bounds: dict[str, Bound] = field(default_factory=dict)
    geometry_types: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Column order of the canonical frame, geometry last."""
        return [*self.dtypes, "geometry"]


BUILDINGS = LayerSchema(
    name="buildings",
    id_column="building_id",
    dtypes={
        "building_id": "string",
        "year_built": "Int64",
        "status": "string",
        **dict.fromkeys(BAG_USE_COLUMNS.values(), "boolean"),
        "floor_area_m2": "Float64",
        "residential_area_m2": "Float64",
        "n_units": "Int64",
        "height_m": "Float64",
        "storeys": "Int64",
        "source": "string",
    },
    bounds={
        "year_built": Bound(
            1000,
            _LAST_YEAR,
            "BAG oorspronkelijk bouwjaar: the oldest standing buildings date from "
            "about 1000; planned buildings a few years ahead",
        ),
        "floor_area_m2": Bound(
            1,
            1e6,
            "BAG oppervlakte is 1..999999 m² per verblijfsobject (Catalogus BAG "
            "2018); no building in the Netherlands has 1e6 m² of floor area",
        ),
        "n_units": Bound(0, 10_000, "no BAG pand holds 10,000 verblijfsobjecten"),
        "height_m": Bound(
            -10,
            400,
            "the tallest building in the Netherlands is 220 m; 3DBAG roofs can lie "
            "a few metres below its ground estimate where AHN has few ground points",
        ),
        "storeys": Bound(0, 150, "the tallest building in the Netherlands has 64"),
    },
    geometry_types=POLYGONAL,
)

PARCELS = LayerSchema(
    name="parcels",
    id_column="parcel_id",
    dtypes={
        "parcel_id": "string",
        "cadastral_object_id": "string",
        "municipality_cadastral": "string",
        "section": "string",
        "parcel_number": "string",
        "registered_area_m2": "Float64",
        "area_m2": "Float64",
        "source": "string",
    },
    bounds={
        "registered_area_m2": Bound(
            1,
            1e8,
            "BRK kadastrale grootte is a whole number of m² of at least 1; the "
            "largest parcels (Waddenzee) stay below 1e8 m²",
        ),
    },
    geometry_types=POLYGONAL,
)

ZONING = LayerSchema(
    name="zoning",
    id_column="object_id",
    dtypes={
        "object_id": "string",
        "object_type": "string",
        "name": "string",
        "main_group": "string",
        "value": "string",
        "value_type": "string",
        "overlay_class": "string",
        "overlay_kind": "string",
        "max_height_m": "Float64",
        "max_gutter_height_m": "Float64",
        "max_coverage_share": "Float64",
        "max_storeys": "Float64",
        "plan_id": "string",
        "plan_name": "string",
        "plan_status": "string",
        "plan_date": "string",
        "imro_version": "string",
        "source": "string",
    },
)

SCHEMAS: dict[str, LayerSchema] = {s.name: s for s in (BUILDINGS, PARCELS, ZONING)}
