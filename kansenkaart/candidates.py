"""Candidates of a scan: buildings, parcels, zoning areas or grid cells.

Every function returns a GeoDataFrame indexed by ``candidate_id`` (string)
in EPSG:28992 with a ``candidate_kind`` column. Helpers add the attributes
scans need that no single layer holds: uses derived from zoning for
buildings without BAG uses, and the municipality of each candidate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.crs import RD_NEW
from kansenkaart.errors import ConfigError
from kansenkaart.model.overlays import BROAD_GROUPS
from kansenkaart.model.schema import BAG_USE_COLUMNS
from kansenkaart.model.zoning import zoning_function_at, zoning_group_at
from kansenkaart.spatial import intersects_any

__all__ = [
    "assign_municipality",
    "build_candidates",
    "candidates_from_buildings",
    "candidates_from_grid",
    "candidates_from_parcels",
    "candidates_from_zoning",
    "derive_uses_from_zoning",
    "select_in_area",
]

logger = logging.getLogger(__name__)


def _index(gdf: gpd.GeoDataFrame, id_col: str, kind: str) -> gpd.GeoDataFrame:
    out = gdf.rename(columns={id_col: "candidate_id"}).set_index(
        "candidate_id", drop=True
    )
    out.index = out.index.astype(str)
    out.insert(0, "candidate_kind", kind)
    return out.sort_index(kind="stable")


def candidates_from_buildings(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Use each building (BAG pand) as a candidate."""
    out = _index(buildings, "building_id", "pand")
    out["use_derived"] = False
    return out


def candidates_from_parcels(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Use each cadastral parcel as a candidate."""
    return _index(parcels, "parcel_id", "perceel")


def candidates_from_zoning(
    zoning: gpd.GeoDataFrame, *, exclude: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Use each Enkelbestemming area as a candidate.

    Parameters
    ----------
    zoning : geopandas.GeoDataFrame
        Canonical zoning objects.
    exclude : geopandas.GeoDataFrame, optional
        Areas already covered by other candidates (parcels); zoning areas
        whose representative point lies in them are left out.
    """
    enkel = zoning[zoning["object_type"] == "Enkelbestemming"]
    enkel = enkel[["object_id", "main_group", "name", "plan_id", "geometry"]]
    if exclude is not None and len(exclude):
        pts = shapely.point_on_surface(np.asarray(enkel.geometry.values))
        # index the few points, not the many areas
        _, idx = shapely.STRtree(pts).query(
            np.asarray(exclude.geometry.values), predicate="contains"
        )
        enkel = enkel[~np.isin(np.arange(len(enkel)), idx)]
    return _index(enkel, "object_id", "bestemmingsvlak")


def candidates_from_grid(
    area: gpd.GeoSeries, *, cell_size_m: float
) -> gpd.GeoDataFrame:
    """Cover ``area`` with square cells; keep the cells that intersect it.

    Cell ids read ``E{x}N{y}`` with the RD coordinates of the lower-left
    corner in metres.
    """
    xmin, ymin, xmax, ymax = area.total_bounds
    x0 = np.floor(xmin / cell_size_m) * cell_size_m
    y0 = np.floor(ymin / cell_size_m) * cell_size_m
    xs = np.arange(x0, xmax, cell_size_m)
    ys = np.arange(y0, ymax, cell_size_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    cells = shapely.box(gx, gy, gx + cell_size_m, gy + cell_size_m)
    keep = np.zeros(len(cells), dtype=bool)
    idx, _ = shapely.STRtree(np.asarray(area.values)).query(
        cells, predicate="intersects"
    )
    keep[idx] = True
    cells = shapely.intersection(
        cells[keep], shapely.union_all(np.asarray(area.values))
    )
    ids = [f"E{int(x)}N{int(y)}" for x, y in zip(gx[keep], gy[keep], strict=True)]
    gdf = gpd.GeoDataFrame({"cell_id": ids}, geometry=cells, crs=RD_NEW)
    return _index(gdf, "cell_id", "rastercel")


def _refined_group(
    cand: gpd.GeoDataFrame,
    zoning: gpd.GeoDataFrame,
    mapping: dict[str, tuple[str, ...]],
) -> tuple[pd.Series, pd.Series]:
    """Main group per building, refined by a Functieaanduiding where broad.

    A broad bestemming (*gemengd*, *centrum*, ...; see
    :data:`~kansenkaart.model.overlays.BROAD_GROUPS`) allows several uses; a
    Functieaanduiding on the spot that names one of the scan's groups (e.g.
    *bedrijventerrein*) says which applies there.
    """
    group = zoning_group_at(cand, zoning)
    broad = group.isin(BROAD_GROUPS).to_numpy(bool, na_value=False)
    function = pd.Series(pd.NA, index=cand.index, dtype="string")
    if broad.any():
        function[broad] = zoning_function_at(cand[broad], zoning, list(mapping))
    return group, function


def derive_uses_from_zoning(
    cand: gpd.GeoDataFrame,
    zoning: gpd.GeoDataFrame | None,
    mapping: dict[str, tuple[str, ...]],
) -> gpd.GeoDataFrame:
    """Fill the uses of buildings without BAG uses from the zoning main group.

    Buildings whose source carries no uses (3DBAG) get the uses that
    ``mapping`` gives for the main group of the Enkelbestemming they mostly
    lie in; ``use_derived`` marks them (*afgeleid*). In a broad bestemming
    (*gemengd*, *centrum*, ...) a Functieaanduiding that names one of the
    mapping's groups decides instead (*bedrijventerrein* is not *kantoor*);
    it is kept in ``zoning_function``. Buildings outside any plan keep
    unknown uses.
    """
    cols = list(BAG_USE_COLUMNS.values())
    no_uses = cand[cols].isna().all(axis=1)
    if zoning is None or not no_uses.any() or not mapping:
        return cand
    group, function = _refined_group(cand[no_uses], zoning, mapping)
    decisive = function.fillna(group)
    out = cand.copy()
    target = decisive.dropna()
    for col in cols:
        out.loc[target.index, col] = False
    for main_group, uses in mapping.items():
        ids = target.index[target == main_group]
        for use in uses:
            out.loc[ids, BAG_USE_COLUMNS[use]] = True
    out.loc[target.index, "use_derived"] = True
    for name, values in (("zoning_group", group), ("zoning_function", function)):
        out[name] = pd.Series(pd.NA, index=out.index, dtype="string")
        out.loc[values.index, name] = values
    logger.info(
        "derived uses from zoning for %d buildings without BAG uses (%d by a "
        "functieaanduiding)",
        len(target),
        int(function.notna().sum()),
    )
    return out


def assign_municipality(
    cand: gpd.GeoDataFrame, municipalities: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """Add ``municipality_code`` and ``municipality_name`` by representative point."""
    out = cand.copy()
    out["municipality_code"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["municipality_name"] = pd.Series(pd.NA, index=out.index, dtype="string")
    if municipalities is None or not len(cand):
        return out
    pts = shapely.point_on_surface(np.asarray(cand.geometry.values))
    tree = shapely.STRtree(np.asarray(municipalities.geometry.values))
    left, right = tree.query(pts, predicate="within")
    first = pd.Series(right, index=left).groupby(level=0).min()
    out.iloc[first.index, out.columns.get_loc("municipality_code")] = municipalities[
        "code"
    ].to_numpy()[first.to_numpy()]
    out.iloc[first.index, out.columns.get_loc("municipality_name")] = municipalities[
        "name"
    ].to_numpy()[first.to_numpy()]
    return out


def _plan_area(zoning: gpd.GeoDataFrame | None) -> gpd.GeoSeries | None:
    if zoning is None:
        return None
    area = zoning[zoning["object_type"] == "Bestemmingsplangebied"].geometry
    return area if len(area) else None


def _fallback_frames(
    zoning: gpd.GeoDataFrame | None,
    covered: gpd.GeoDataFrame | None,
    fallback: str | None,
    grid_size_m: float,
) -> list[gpd.GeoDataFrame]:
    """Zoning areas or grid cells where no parcel covers the ground."""
    if fallback == "zoning" and zoning is not None:
        return [candidates_from_zoning(zoning, exclude=covered)]
    area = _plan_area(zoning) if fallback == "grid" else None
    if area is None:
        return []
    grid = candidates_from_grid(area, cell_size_m=grid_size_m)
    if covered is not None:
        taken = candidates_from_zoning(zoning, exclude=covered).index
        grid = grid[~grid.index.isin(taken)]
    return [grid]


def build_candidates(
    layers: Mapping[str, object],
    *,
    unit: str,
    fallback_unit: str | None = None,
    grid_size_m: float = 100.0,
    derive_uses: Mapping[str, tuple[str, ...]] | None = None,
    scan_name: str = "scan",
) -> gpd.GeoDataFrame:
    """Make a scan's candidates from its unit, with a fallback where needed.

    Parameters
    ----------
    layers : mapping
        The scan's layers (``buildings``, ``parcels``, ``zoning``, ...).
    unit : {"buildings", "parcels", "zoning", "grid"}
        What a candidate is.
    fallback_unit : {"zoning", "grid"}, optional
        For a parcel scan: the unit used where no parcel covers the ground.
    grid_size_m : float, default 100
        Cell size of grid candidates (m).
    derive_uses : mapping, optional
        Zoning main group -> BAG uses, for buildings without BAG uses.
    scan_name : str
        Used in messages.

    Raises
    ------
    ConfigError
        When the layers needed for the unit are missing.
    """
    zoning = layers.get("zoning")
    if unit == "buildings":
        if "buildings" not in layers:
            raise ConfigError(f"scan {scan_name!r} scans buildings: pass --buildings")
        cand = candidates_from_buildings(layers["buildings"])
        return derive_uses_from_zoning(cand, zoning, dict(derive_uses or {}))
    parcels = layers.get("parcels") if unit == "parcels" else None
    frames = [candidates_from_parcels(parcels)] if parcels is not None else []
    fallback = fallback_unit if unit == "parcels" else unit
    frames += _fallback_frames(zoning, parcels, fallback, grid_size_m)
    if not frames:
        msg = (
            f"scan {scan_name!r} needs candidates: pass --parcels, or --zoning "
            "for zoning areas / grid cells where parcels are missing"
        )
        raise ConfigError(msg)
    return gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs)


def select_in_area(cand: gpd.GeoDataFrame, area: Any) -> gpd.GeoDataFrame:
    """The candidates whose representative point lies in ``area`` (a GeoSeries
    or an array of geometries, as a partition job carries it)."""
    pts = shapely.point_on_surface(np.asarray(cand.geometry.values))
    return cand[intersects_any(pts, np.asarray(area))]
