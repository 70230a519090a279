"""Idiomatic geopandas version of the ``locatiescan`` site scan (benchmark baseline).

This is the comparison point of ``benchmarks/scan_scale.py``: the scan as an
analyst-programmer would write it with geopandas -- ``gpd.overlay`` plus
``groupby`` for zoning shares and building cover, ``gpd.sjoin_nearest`` for
proximity, then vetoes, a weighted score and a rank. It is written plainly,
neither slowed down on purpose nor hand-tuned.

It implements the rules of ``scans/locatiescan.toml`` listed in
:data:`RULES` (those the synthetic province can decide without plan overlays
or context layers); the thresholds below are copied from that file, and
``benchmarks/scan_scale.py`` runs the shipped scan restricted to these rules.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["RULES", "baseline_scan"]

UNITS_PER_HA = 30
MIN_UNITS = 15
TARGET_UNITS = 48
MAX_COVER_SHARE = 0.3
BUILT_SHARE = 0.5
FULL_SCORE_M = 50
ZERO_SCORE_M = 500
VETO_GROUPS = {
    "LOC-WATER-NATUUR": ["water", "natuur", "bos"],
    "LOC-GEBRUIK": ["verkeer", "tuin"],
}
HOUSING_GROUPS = ["wonen", "woongebied", "gemengd", "centrum"]
NO_EXEMPTION_GROUPS = ["natuur", "water", "bos"]
OWNER_SCORES = {
    "provincie": 1.0,
    "rijk": 0.8,
    "gemeente": 0.8,
    "waterschap": 0.6,
    "corporatie": 0.6,
    "overig": 0.2,
    "particulier": 0.0,
}
WEIGHTS = {
    "capacity": 20,
    "cover": 20,
    "owner": 25,
    "proximity": 15,
    "zoning": 20,
}
#: The rules of the shipped scan this baseline implements (vetoes, then
#: the score rules in the order of ``WEIGHTS``).
RULES = (
    *VETO_GROUPS,
    "LOC-CAPACITEIT",
    "LOC-BEBOUWD",
    "LOC-CAPACITEIT-SCORE",
    "LOC-BEBOUWING",
    "LOC-EIGENDOM",
    "LOC-NUTS",
    "LOC-BESTEMMING",
)


def _zoning_measures(
    parcels: gpd.GeoDataFrame, area: pd.Series, zoning: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, pd.Series]:
    """Share of each parcel per zoning main group, and the largest-overlap group."""
    enkel = zoning.loc[
        zoning["object_type"] == "Enkelbestemming", ["main_group", "geometry"]
    ]
    pieces = gpd.overlay(parcels, enkel, how="intersection", keep_geom_type=True)
    pieces["overlap_m2"] = pieces.area
    shares = pieces.pivot_table(
        index="parcel_id",
        columns="main_group",
        values="overlap_m2",
        aggfunc="sum",
        fill_value=0.0,
    )
    shares = shares.div(area, axis=0)
    shares = shares.reindex(parcels["parcel_id"], fill_value=0.0)
    largest = pieces.loc[pieces.groupby("parcel_id")["overlap_m2"].idxmax()]
    main_group = largest.set_index("parcel_id")["main_group"]
    return shares, main_group.reindex(parcels["parcel_id"])


def _building_cover(
    parcels: gpd.GeoDataFrame, area: pd.Series, buildings: gpd.GeoDataFrame
) -> pd.Series:
    """Share (0-1) of each parcel covered by buildings."""
    pieces = gpd.overlay(parcels, buildings, how="intersection", keep_geom_type=True)
    built = pieces.area.groupby(pieces["parcel_id"]).sum()
    built = built.reindex(parcels["parcel_id"], fill_value=0.0)
    return (built / area).clip(upper=1.0)


def _nearest_building_m(
    parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> pd.Series:
    """Distance to the nearest building (inf beyond the zero-score distance)."""
    joined = gpd.sjoin_nearest(
        parcels,
        buildings,
        how="left",
        max_distance=ZERO_SCORE_M,
        distance_col="distance_m",
    )
    dist = joined.groupby("parcel_id")["distance_m"].min()
    return dist.reindex(parcels["parcel_id"]).fillna(np.inf)


def baseline_scan(
    files: dict[str, Path], *, min_units: float = MIN_UNITS
) -> pd.DataFrame:
    """Run the scan with plain geopandas.

    Parameters
    ----------
    files : dict of str to Path
        ``parcels``, ``buildings`` and ``zoning`` GeoParquet files and the
        ``ownership`` CSV (``parcel_id``, ``owner_class``).
    min_units : float, default 15
        Minimum homes of the capacity veto.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``parcel_id``: ``outcome`` (``excluded``, ``scored`` or
        ``unknown``), ``score`` (0-100, NaN unless scored) and ``rank``
        (1 = best, among scored parcels only).
    """
    parcels = gpd.read_parquet(files["parcels"])
    buildings = gpd.read_parquet(files["buildings"])
    zoning = gpd.read_parquet(files["zoning"])
    ownership = pd.read_csv(files["ownership"])

    parcels = parcels[["parcel_id", "geometry"]]
    buildings = buildings[["geometry"]]
    area = parcels.set_index("parcel_id").area

    shares, main_group = _zoning_measures(parcels, area, zoning)
    cover = _building_cover(parcels, area, buildings)
    distance = _nearest_building_m(parcels, buildings)

    covered = shares.sum(axis=1) > 0
    capacity = area / 10_000 * UNITS_PER_HA
    owner = area.index.map(ownership.set_index("parcel_id")["owner_class"])

    vetoes = pd.DataFrame(
        {
            rule: shares.reindex(columns=groups, fill_value=0.0).sum(axis=1) >= 0.5
            for rule, groups in VETO_GROUPS.items()
        }
    )
    vetoes["LOC-CAPACITEIT"] = capacity < min_units
    vetoes["LOC-BEBOUWD"] = cover > BUILT_SHARE
    excluded = vetoes.any(axis=1)

    values = pd.DataFrame(index=area.index)
    values["capacity"] = (capacity / TARGET_UNITS).clip(upper=1.0)
    values["cover"] = (1 - cover / MAX_COVER_SHARE).clip(0.0, 1.0)
    values["owner"] = pd.Series(owner, index=area.index).map(OWNER_SCORES)
    span = ZERO_SCORE_M - FULL_SCORE_M
    values["proximity"] = ((ZERO_SCORE_M - distance) / span).clip(0.0, 1.0)
    values["zoning"] = np.select(
        [main_group.isin(HOUSING_GROUPS), main_group.isin(NO_EXEMPTION_GROUPS)],
        [1.0, 0.0],
        default=0.5,
    )
    values.loc[main_group.isna().to_numpy(), "zoning"] = np.nan

    unknown = ~excluded & (~covered | values["owner"].isna())
    weights = pd.Series(WEIGHTS)
    score = 100 * (values[weights.index] * weights).sum(axis=1) / weights.sum()

    out = pd.DataFrame(index=area.index)
    out["outcome"] = np.select([excluded, unknown], ["excluded", "unknown"], "scored")
    out["score"] = score.round(6).where(out["outcome"] == "scored")
    out["raw_score"] = score.round(6)
    ranked = (
        out[out["outcome"] == "scored"]
        .reset_index()
        .sort_values(["score", "parcel_id"], ascending=[False, True])
    )
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    out["rank"] = ranked.set_index("parcel_id")["rank"].astype("Int64")
    return out
