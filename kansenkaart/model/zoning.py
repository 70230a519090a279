"""Combine several bestemmingsplannen into one zoning layer, and summarise it.

Plans can overlap: a newer partial revision (``partiële herziening``) or a
draft next to the plan in force. :func:`combine_plans` decides which plan
applies where, with this precedence (highest first):

0. the omgevingsplan (``source == "stop-tpod"``, read by
   :mod:`kansenkaart.io.stop_tpod`) over an old IMRO bestemmingsplan: where the
   new part of the omgevingsplan assigns functions it replaces the *tijdelijk
   deel* (the old plans stay part of the omgevingsplan until they are replaced,
   RULES.md §5.3);
1. plan status, ranked by :data:`STATUS_RANK`: ``onherroepelijk`` (3) over
   ``vastgesteld`` / ``deels onherroepelijk`` / ``geconsolideerd`` (2) over
   ``ontwerp`` / ``voorontwerp`` / ``concept`` (1) over anything else (0);
2. then the newer ``plan_date`` (ISO date) over the older;
3. then the smaller ``plan_id`` (alphabetically), so the result never depends
   on the order of the inputs.

Every object of a lower-precedence plan is clipped to the part outside the
``Bestemmingsplangebied`` of every higher-precedence plan that overlaps it.
Each overlap is reported as a conflict record and as a
:class:`~kansenkaart.errors.KansenkaartWarning`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.errors import ConfigError, CRSError, GeometryError, KansenkaartWarning
from kansenkaart.model.overlays import OVERLAY_CLASSES, classify_overlays
from kansenkaart.model.schema import ZONING
from kansenkaart.model.validate import require_columns, to_canonical
from kansenkaart.spatial import largest_overlap_group, pair_overlap

__all__ = [
    "STATUS_RANK",
    "combine_plans",
    "plan_currency",
    "plan_precedence",
    "zoning_function_at",
    "zoning_group_at",
    "zoning_summary",
]

logger = logging.getLogger(__name__)

PLAN_AREA = "Bestemmingsplangebied"
#: ``source`` of zoning read from a STOP/TPOD omgevingsplan.
OMGEVINGSPLAN_SOURCE = "stop-tpod"
#: The Omgevingswet took effect on this date; older plans are part of the
#: *tijdelijk deel omgevingsplan* and may have been changed since.
OMGEVINGSWET_DATE = "2024-01-01"

#: plan_status (lower case) -> precedence rank; unknown statuses rank 0.
STATUS_RANK: dict[str, int] = {
    "onherroepelijk": 3,
    "geheel onherroepelijk in werking": 3,
    "vastgesteld": 2,
    "deels onherroepelijk": 2,
    "deels onherroepelijk in werking": 2,
    "geconsolideerd": 2,
    "ontwerp": 1,
    "voorontwerp": 1,
    "concept": 1,
}

OnConflict = Literal["resolve", "keep", "raise"]


def _check_frames(frames: Sequence[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    if not frames:
        msg = "combine_plans needs at least one zoning layer."
        raise ConfigError(msg)
    crs = frames[0].crs
    for i, frame in enumerate(frames):
        require_columns(frame.columns, ZONING.columns, source=f"zoning layer {i}")
        if frame.crs != crs:
            msg = (
                f"zoning layer {i} is in {frame.crs}, layer 0 in {crs}. Read every "
                "plan with kansenkaart.io.imro so all are in EPSG:28992."
            )
            raise CRSError(msg)
    plan_ids = [pid for f in frames for pid in pd.unique(f["plan_id"].dropna())]
    repeated = sorted({p for p in plan_ids if plan_ids.count(p) > 1})
    if repeated:
        msg = (
            f"plan(s) {', '.join(repeated)} occur in more than one input layer. "
            "Pass each plan once."
        )
        raise ConfigError(msg)
    combined = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=crs)


def plan_precedence(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the plans of a zoning layer ordered from highest to lowest precedence.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Canonical zoning layer with one or more plans.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``plan_id`` with ``plan_status``, ``plan_date``,
        ``regime_rank`` (1 for an omgevingsplan), ``status_rank`` and
        ``precedence`` (0 = highest), sorted by precedence.
    """
    cols = ["plan_id", "plan_status", "plan_date"]
    has_source = "source" in gdf.columns
    plans = gdf.drop_duplicates("plan_id")[
        [*cols, "source"] if has_source else cols
    ].copy()
    source = plans["source"] if has_source else pd.Series("", index=plans.index)
    plans["regime_rank"] = (source == OMGEVINGSPLAN_SOURCE).astype(int)
    status = plans["plan_status"].astype("string").str.strip().str.lower()
    plans["status_rank"] = status.map(STATUS_RANK).fillna(0).astype(int)
    plans["_date"] = plans["plan_date"].astype("string").fillna("")
    plans = plans.sort_values(
        ["regime_rank", "status_rank", "_date", "plan_id"],
        ascending=[False, False, False, True],
    )
    plans["precedence"] = np.arange(len(plans))
    drop = ["_date", "source"] if has_source else ["_date"]
    return plans.drop(columns=drop).set_index("plan_id")


def _plan_areas(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    areas = gdf.loc[gdf["object_type"] == PLAN_AREA, ["plan_id", "geometry"]]
    # dissolve: one (multi)polygon per plan, vectorised per group
    return areas.dissolve(by="plan_id").geometry


def _overlaps(
    areas: gpd.GeoSeries, order: pd.DataFrame, *, min_overlap_m2: float
) -> pd.DataFrame:
    """Every pair of overlapping plan areas, with the winner and overlap area."""
    geoms = areas.values
    left, right = areas.sindex.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    pairs = pd.DataFrame(
        {"a": areas.index[left], "b": areas.index[right], "overlap_m2": overlap}
    )
    pairs = pairs.loc[pairs["overlap_m2"] > min_overlap_m2]
    rank = order["precedence"]
    a_wins = rank.loc[pairs["a"]].to_numpy() < rank.loc[pairs["b"]].to_numpy()
    pairs["winner"] = np.where(a_wins, pairs["a"], pairs["b"])
    pairs["loser"] = np.where(a_wins, pairs["b"], pairs["a"])
    return pairs.reset_index(drop=True)


def _conflict_records(pairs: pd.DataFrame, order: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in pairs.itertuples(index=False):  # one per plan pair, not per geometry
        win, lose = order.loc[row.winner], order.loc[row.loser]
        if win["regime_rank"] != lose["regime_rank"]:
            reason = (
                "omgevingsplan over the tijdelijk deel (IMRO bestemmingsplan): "
                "the new rules replace the old ones where they assign functions"
            )
        elif win["status_rank"] != lose["status_rank"]:
            reason = f"status {win['plan_status']} over {lose['plan_status']}"
        elif win["plan_date"] != lose["plan_date"]:
            reason = f"newer plan_date {win['plan_date']} over {lose['plan_date']}"
        else:
            reason = "same status and date: plan_id order"
        records.append(
            {
                "plans": (row.winner, row.loser),
                "winner": row.winner,
                "loser": row.loser,
                "overlap_m2": round(float(row.overlap_m2), 2),
                "reason": reason,
            }
        )
    return records


def _clip_losers(
    gdf: gpd.GeoDataFrame, areas: gpd.GeoSeries, pairs: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Remove from each losing plan's objects the area of the plans that beat it."""
    covering = (
        gpd.GeoDataFrame(
            {"loser": pairs["loser"].to_numpy()},
            geometry=areas.loc[pairs["winner"]].to_numpy(),
            crs=gdf.crs,
        )
        .dissolve(by="loser")
        .geometry
    )
    hit = gdf["plan_id"].isin(covering.index).to_numpy()
    geoms = gdf.geometry.to_numpy().copy()
    cutters = covering.loc[gdf.loc[hit, "plan_id"]].to_numpy()
    geoms[hit] = shapely.difference(geoms[hit], cutters)
    polygonal = shapely.get_type_id(geoms) >= 0
    geoms = np.where(polygonal, geoms, None)
    out = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    keep = ~(out.geometry.is_empty | out.geometry.isna()) & (out.geometry.area > 0)
    n_dropped = int((~keep).sum())
    if n_dropped:
        logger.info(
            "combine_plans: %d objects lie wholly inside a stronger plan", n_dropped
        )
    return out.loc[keep]


def combine_plans(
    frames: Sequence[gpd.GeoDataFrame],
    *,
    on_conflict: OnConflict = "resolve",
    min_overlap_m2: float = 1.0,
) -> gpd.GeoDataFrame:
    """Load several plans together, resolving where their plan areas overlap.

    Parameters
    ----------
    frames : sequence of geopandas.GeoDataFrame
        Canonical zoning layers (from :func:`kansenkaart.io.imro.read_imro_gml`
        or ``read_imro_gpkg``), one or more plans each, all in EPSG:28992.
    on_conflict : {"resolve", "keep", "raise"}, default "resolve"
        ``"resolve"`` clips the objects of the lower-precedence plan to the
        area outside the higher plan's ``Bestemmingsplangebied`` (see the
        module docstring for the precedence); ``"keep"`` only reports the
        overlaps; ``"raise"`` raises :class:`GeometryError` on any overlap.
    min_overlap_m2 : float, default 1.0
        Overlaps of at most this many m² (digitising slivers along a shared
        boundary) are ignored.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical zoning layer with all plans, on a new RangeIndex. The
        conflicts are in ``result.attrs["conflicts"]``: a list of dicts with
        ``plans`` (winner, loser), ``winner``, ``loser``, ``overlap_m2`` and
        ``reason``.

    Raises
    ------
    ConfigError
        When no layer is given or one plan occurs in several layers.
    CRSError
        When the layers are in different CRSs.
    GeometryError
        When plans overlap and ``on_conflict="raise"``.

    Warns
    -----
    KansenkaartWarning
        One per overlap, naming both plans, the overlap area and the winner.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> from kansenkaart.io.imro import read_imro_gpkg
    >>> dorp = read_imro_gpkg(
    ...     data_path("katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg")
    ... )
    >>> horst = read_imro_gpkg(
    ...     data_path("katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg")
    ... )
    >>> zoning = combine_plans([dorp, horst])
    >>> zoning.attrs["conflicts"]
    []
    """
    if on_conflict not in ("resolve", "keep", "raise"):
        msg = f"on_conflict must be 'resolve', 'keep' or 'raise', not {on_conflict!r}"
        raise ConfigError(msg)
    gdf = _check_frames(frames)
    order = plan_precedence(gdf)
    areas = _plan_areas(gdf)
    pairs = _overlaps(areas, order, min_overlap_m2=min_overlap_m2)
    conflicts = _conflict_records(pairs, order)
    if conflicts and on_conflict == "raise":
        first = conflicts[0]
        msg = (
            f"{len(conflicts)} plan overlap(s), e.g. {first['winner']} and "
            f"{first['loser']} overlap by {first['overlap_m2']} m². Use "
            "on_conflict='resolve' to let the stronger plan win."
        )
        raise GeometryError(msg)
    for c in conflicts:
        action = "clipped" if on_conflict == "resolve" else "kept unchanged"
        warnings.warn(
            f"Plans {c['winner']} and {c['loser']} overlap by {c['overlap_m2']} m²; "
            f"{c['winner']} wins ({c['reason']}), the objects of {c['loser']} are "
            f"{action} there.",
            KansenkaartWarning,
            stacklevel=2,
        )
    if conflicts and on_conflict == "resolve":
        gdf = _clip_losers(gdf, areas, pairs)
    out = to_canonical(gdf.reset_index(drop=True), ZONING)
    out.attrs["conflicts"] = conflicts
    logger.info(
        "combine_plans: %d plans, %d objects, %d conflicts",
        len(order),
        len(out),
        len(conflicts),
    )
    return out


def zoning_summary(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Summarise a zoning layer per plan (what ``kansenkaart layers inspect`` prints).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Canonical zoning layer with one or more plans.

    Returns
    -------
    list of dict
        One dict per plan, in order of first appearance: ``plan_id``,
        ``plan_name``, ``plan_status``, ``plan_date``, ``before_2024`` (an
        IMRO plan from before the Omgevingswet: it is now part of the
        *tijdelijk deel omgevingsplan*; None when the date is unknown, False
        for a STOP/TPOD regeling), ``counts`` (object_type -> number of
        objects), ``main_groups`` (bestemmingshoofdgroep -> number of
        Enkelbestemmingen, largest first), ``overlays`` (canonical overlay
        class -> number of overlay objects, see
        :mod:`kansenkaart.model.overlays`), ``overlay_kinds`` (class -> kind
        -> number, for ``leiding`` and ``waterstaat``) and
        ``overlay_conflicts`` (overlays classified by their name because the
        hoofdgroep says otherwise); for a STOP/TPOD regeling also
        ``gebiedsaanwijzingen`` (type, such as ``Functie`` or
        ``Beperkingengebied``, -> number of gebiedsaanwijzingen).

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> from kansenkaart.io.imro import read_imro_gpkg
    >>> plan = read_imro_gpkg(
    ...     data_path("katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg")
    ... )
    >>> summary = zoning_summary(plan)[0]
    >>> summary["main_groups"]["wonen"], summary["overlays"]["archeologie"]
    (99, 20)
    """
    require_columns(gdf.columns, ZONING.columns, source="zoning layer")
    counts = gdf.groupby(["plan_id", "object_type"], sort=False).size()
    enkel = gdf.loc[gdf["object_type"] == "Enkelbestemming"]
    groups = enkel.groupby("plan_id", sort=False)["main_group"].value_counts()
    plans = gdf.drop_duplicates("plan_id")
    aanwijzingen = gdf.attrs.get("gebiedsaanwijzingen", {})
    # overlays classified once for all plans (names repeat across plans) and
    # each plan's rows found once (a mask per plan compared every row's plan
    # id once per plan)
    classes = classify_overlays(gdf)
    by_plan = gdf.groupby("plan_id", sort=False).indices
    named = pd.DataFrame(gdf[["name", "object_type", "main_group"]])
    summary = []
    for plan in plans.itertuples(index=False):  # one row per plan
        pid = plan.plan_id
        entry = {
            "plan_id": pid,
            "plan_name": _scalar(plan.plan_name),
            "plan_status": _scalar(plan.plan_status),
            "plan_date": _scalar(plan.plan_date),
            "before_2024": _before_2024(plan.plan_date, plan.source),
            "counts": {str(k): int(v) for k, v in counts.loc[pid].items()},
            "main_groups": (
                {str(k): int(v) for k, v in groups.loc[pid].items()}
                if pid in groups.index.get_level_values(0)
                else {}
            ),
        }
        rows = by_plan.get(pid, np.zeros(0, dtype=np.intp))
        entry.update(_overlay_summary(named.iloc[rows], classes.iloc[rows]))
        if pid in aanwijzingen:  # a STOP/TPOD regeling
            entry["gebiedsaanwijzingen"] = dict(aanwijzingen[pid])
        summary.append(entry)
    return summary


def _before_2024(date: Any, source: Any = None) -> bool | None:
    if source == OMGEVINGSPLAN_SOURCE:  # an omgevingsplan, not a bestemmingsplan
        return False
    if pd.isna(date):
        return None
    return str(date) < OMGEVINGSWET_DATE


def _overlay_summary(plan: pd.DataFrame, classes: pd.DataFrame) -> dict[str, Any]:
    """Overlay counts of one plan; ``classes`` as :func:`classify_overlays`
    gives them for the plan's rows."""
    overlays = classes.dropna(subset=["overlay_class"])
    counts = overlays["overlay_class"].value_counts()
    kinds = overlays.dropna(subset=["overlay_kind"])
    kind_counts = kinds.groupby(["overlay_class", "overlay_kind"]).size()
    conflicts = plan.loc[classes["overlay_conflict"].to_numpy()]
    return {
        "overlays": {c: int(counts[c]) for c in OVERLAY_CLASSES if c in counts},
        "overlay_kinds": {
            str(c): {str(k): int(n) for k, n in kind_counts.loc[c].items()}
            for c in kind_counts.index.get_level_values(0).unique()
        },
        "overlay_conflicts": [
            {"name": r.name, "object_type": r.object_type, "main_group": r.main_group}
            for r in conflicts.itertuples(index=False)
        ],
    }


def _scalar(value: Any) -> Any:
    return None if pd.isna(value) else value


def zoning_group_at(cand: gpd.GeoDataFrame, zoning: gpd.GeoDataFrame) -> pd.Series:
    """Main group of the Enkelbestemming with the largest overlap (or null).

    Parameters
    ----------
    cand : geopandas.GeoDataFrame
        Candidates (EPSG:28992), indexed by ``candidate_id``.
    zoning : geopandas.GeoDataFrame
        A canonical zoning layer.

    Returns
    -------
    pandas.Series
        ``main_group`` per candidate (string), null outside every
        Enkelbestemming; ties go to the first feature.
    """
    enkel = zoning[zoning["object_type"] == "Enkelbestemming"]
    geoms = np.asarray(cand.geometry.values)
    other = np.asarray(enkel.geometry.values)
    left, right, area = pair_overlap(
        geoms,
        other,
        tree=shapely.STRtree(other),
        coarse=True,
        geoms_area=shapely.area(geoms),
    )
    groups = largest_overlap_group(
        len(cand), left, right, area, enkel["main_group"].to_numpy(dtype=object)
    )
    return pd.Series(groups, index=cand.index, dtype="string")


def zoning_function_at(
    cand: gpd.GeoDataFrame, zoning: gpd.GeoDataFrame, names: Sequence[str]
) -> pd.Series:
    """Name of the Functieaanduiding (one of ``names``) with the largest overlap.

    Parameters
    ----------
    cand : geopandas.GeoDataFrame
        Candidates (EPSG:28992), indexed by ``candidate_id``.
    zoning : geopandas.GeoDataFrame
        A canonical zoning layer.
    names : sequence of str
        Functieaanduiding names to look for (compared in lower case), e.g.
        the main groups a scan derives uses from.

    Returns
    -------
    pandas.Series
        The lower-case name per candidate (string), null where no such
        Functieaanduiding overlaps it.
    """
    wanted = {n.lower() for n in names}
    label = zoning["name"].astype("string").str.strip().str.lower()
    hit = (zoning["object_type"] == "Functieaanduiding") & label.isin(wanted)
    functions = zoning.loc[hit.to_numpy(bool, na_value=False)]
    other = np.asarray(functions.geometry.values)
    geoms = np.asarray(cand.geometry.values)
    left, right, area = pair_overlap(
        geoms, other, tree=shapely.STRtree(other), geoms_area=shapely.area(geoms)
    )
    found = largest_overlap_group(
        len(cand), left, right, area, label[functions.index].to_numpy(dtype=object)
    )
    return pd.Series(found, index=cand.index, dtype="string")


def plan_currency(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Status and date of every plan, and whether it predates the Omgevingswet.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Canonical zoning layer with one or more plans.

    Returns
    -------
    list of dict
        One dict per plan: ``plan_id``, ``plan_name``, ``plan_status``,
        ``plan_date``, ``before_2024`` and ``note_nl`` (a Dutch sentence for a
        plan from before 2024, else None).

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> from kansenkaart.io.imro import read_imro_gpkg
    >>> plan = read_imro_gpkg(
    ...     data_path("katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg")
    ... )
    >>> entry = plan_currency(plan)[0]
    >>> entry["plan_status"], entry["plan_date"], entry["before_2024"]
    ('vastgesteld', '2022-06-30', True)
    """
    out = []
    for entry in zoning_summary(gdf):
        old = entry["before_2024"]
        date = entry["plan_date"] or "onbekende datum"
        out.append(
            {
                **{k: entry[k] for k in ("plan_id", "plan_name", "plan_status")},
                "plan_date": entry["plan_date"],
                "before_2024": old,
                "note_nl": (
                    f"Plan van {date} ({entry['plan_status'] or 'status onbekend'}): "
                    "nu tijdelijk deel omgevingsplan; latere wijzigingen staan "
                    "mogelijk alleen in het omgevingsplan (omgevingsloket)."
                    if old
                    else None
                ),
            }
        )
    return out
