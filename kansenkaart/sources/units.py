"""Verblijfsobjecten (BAG units) and the panden they lie in.

A vacancy table may list verblijfsobject ids (a municipality's register of
vacant units) while the object scan judges panden. :func:`vacancy_by_building`
aggregates such a table to panden through the BAG unit -> pand relation,
taken from, in this order: a pand column in the table itself, the ``units``
layer (a BAG verblijfsobject file: LV-BAG VBO XML or a BAG GeoPackage), or
the buildings files when they are BAG GeoPackages or LV-BAG XML extracts
that carry their verblijfsobjecten. The canonical buildings frame keeps only
per-pand totals (``n_units``, ``floor_area_m2``), not the relation, so it is
read again from the source here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io.bag import clean_building_ids, read_bag_gpkg_units
from kansenkaart.io.bag_xml import read_lvbag_units
from kansenkaart.io.detect import detect_format

if TYPE_CHECKING:
    from kansenkaart.sources.layers import ScanInputs

__all__ = ["read_unit_relation", "vacancy_by_building"]

logger = logging.getLogger(__name__)

_RELATION_FORMATS = ("bag-gpkg", "lvbag-xml")


def read_unit_relation(path: str | Path) -> pd.DataFrame:
    """The unit -> pand relation of a BAG file (columns unit_id, building_id).

    Parameters
    ----------
    path : str or Path
        An LV-BAG VBO XML part, folder or zip, or a BAG GeoPackage with a
        ``verblijfsobject`` layer.

    Raises
    ------
    DataSourceError
        When the file holds no verblijfsobjecten.
    """
    path = Path(path)
    try:
        units = read_lvbag_units(path)
    except DataSourceError:
        units = read_bag_gpkg_units(path)
    out = units[["unit_id", "building_id"]].dropna().drop_duplicates()
    out["unit_id"] = clean_building_ids(out["unit_id"].astype("string"))
    return out.reset_index(drop=True)


def _relation_from(paths: Iterable[Path]) -> pd.DataFrame | None:
    found = []
    for path in paths:
        try:
            fmt = detect_format(path).format
        except DataSourceError:
            continue
        if fmt not in _RELATION_FORMATS:
            continue
        try:
            found.append(read_unit_relation(path))
        except DataSourceError as err:  # a pand file without its VBO part
            logger.info("%s: no verblijfsobjecten (%s)", path, err)
    return pd.concat(found, ignore_index=True) if found else None


def _relation(table: pd.DataFrame, inputs: ScanInputs) -> pd.DataFrame:
    if "building_id" in table.columns:
        return table[["unit_id", "building_id"]]
    if "units" in inputs.layers:
        return read_unit_relation(inputs.layers["units"])
    relation = _relation_from(inputs.buildings)
    if relation is None:
        msg = (
            f"vacancy table {inputs.layers.get('vacancy')}: it lists verblijfsobject "
            "ids, but the scan has no BAG unit -> pand relation to judge panden "
            "by. The buildings given (e.g. 3DBAG or bag-light) do not carry their "
            "verblijfsobjecten. Fix: add a pand column (pand_id) next to the "
            "verblijfsobject ids in the table, or pass the BAG verblijfsobjecten "
            "with --layer units=FILE (LV-BAG VBO XML or BAG GeoPackage)."
        )
        raise SchemaError(msg)
    return relation


def vacancy_by_building(table: pd.DataFrame, inputs: ScanInputs) -> pd.DataFrame:
    """A vacancy table by pand: ``building_id``, ``vacant_since`` (the
    earliest date of its vacant units), ``vacant_units``, ``n_units`` and
    ``vacant_share`` (the share of the pand's units that are vacant).

    A table keyed by pand ids is returned as it is (its ``vacant_share`` is
    taken as 1: the pand is vacant).

    Raises
    ------
    SchemaError
        When the table lists verblijfsobject ids and no unit -> pand relation
        is available (the message says how to provide one).
    """
    if "unit_id" not in table.columns:
        return table
    relation = _relation(table, inputs)
    all_units = relation.groupby("building_id")["unit_id"].nunique()
    vacant = table[["unit_id", "vacant_since"]].merge(
        relation.drop_duplicates(), on="unit_id", how="left"
    )
    lost = vacant["building_id"].isna()
    if lost.any():
        logger.warning(
            "%d vacant verblijfsobject(en) not found in the BAG relation; left out",
            int(vacant.loc[lost, "unit_id"].nunique()),
        )
    per = vacant[~lost].groupby("building_id")
    out = pd.DataFrame(
        {
            "vacant_since": per["vacant_since"].min(),
            "vacant_units": per["unit_id"].nunique(),
        }
    )
    out["n_units"] = all_units.reindex(out.index).fillna(out["vacant_units"])
    out["vacant_share"] = (out["vacant_units"] / out["n_units"]).clip(0, 1)
    out = out.reset_index()
    out["building_id"] = out["building_id"].astype("string")
    logger.info("vacancy: %d verblijfsobjecten in %d panden", len(table), len(out))
    return out
