"""A slow, plain reference implementation of the site-scan predicates.

Written from the predicate docstrings in :mod:`kansenkaart.rules.predicates`,
independently of :mod:`kansenkaart.spatial`: no containment or
touch shortcuts, no widening distance search, no chunks and no caches. Every
overlap is a ``shapely.intersection`` area of a pair that an STRtree reports
as intersecting by bounding box, every distance a ``shapely.distance`` of a
pair within the rule's reach, every table lookup plain pandas. It is meant to
be obviously right; the tests check that both engines give its values
(booleans exactly, fractions within 1e-9).

Only the predicates of the site scan are implemented; another predicate
raises ``NotImplementedError`` so that a new rule cannot pass unchecked.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.rules.definition import Rule

__all__ = ["assert_matches_reference", "reference_values"]

ENKEL = "Enkelbestemming"


def _geoms(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(frame.geometry.values)


def _overlaps(cand: gpd.GeoDataFrame, layer: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every (candidate, feature) pair with its intersection area, area > 0.

    ``feature`` is the feature's position in ``layer`` (its original order).
    """
    geoms, other = _geoms(cand), _geoms(layer)
    left, right = shapely.STRtree(other).query(geoms)  # bounding boxes only
    area = shapely.area(shapely.intersection(geoms[left], other[right]))
    pairs = pd.DataFrame({"cand": left, "feature": right, "area": area})
    return pairs[pairs["area"] > 0]


def _covered_share(cand: gpd.GeoDataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """Sum of the pairs' areas over each candidate's own area, clipped to [0, 1]."""
    covered = pairs.groupby("cand")["area"].sum()
    covered = covered.reindex(range(len(cand)), fill_value=0.0).to_numpy()
    own = shapely.area(_geoms(cand))
    share = np.array(
        [c / a if a > 0 else 0.0 for c, a in zip(covered, own, strict=True)]
    )
    return np.clip(share, 0.0, 1.0)


def _enkel(layers: dict[str, Any], layer: str) -> gpd.GeoDataFrame:
    zoning = layers[layer]
    return zoning[zoning["object_type"] == ENKEL].reset_index(drop=True)


def _boolean(values: Any, index: pd.Index, unknown: Any = None) -> pd.Series:
    out = pd.Series(list(map(bool, values)), index=index, dtype="boolean")
    if unknown is not None:
        out[np.asarray(unknown, dtype=bool)] = pd.NA
    return out


# --- predicates -------------------------------------------------------------


def intersects_layer(
    cand: gpd.GeoDataFrame, layers: dict[str, Any], *, layer: str, **_: Any
) -> pd.Series:
    """Candidate intersects a feature of the layer."""
    geoms, other = _geoms(cand), _geoms(layers[layer])
    hit = shapely.intersects(geoms[:, None], other[None, :]).any(axis=1)
    return _boolean(hit, cand.index)


def within_distance(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    distance_m: float,
    **_: Any,
) -> pd.Series:
    """Candidate lies within ``distance_m`` of a feature (all pairs measured)."""
    geoms, other = _geoms(cand), _geoms(layers[layer])
    dist = shapely.distance(geoms[:, None], other[None, :])
    return _boolean((dist <= distance_m).any(axis=1), cand.index)


def proximity(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    full_score_distance_m: float,
    zero_score_distance_m: float,
    **_: Any,
) -> pd.Series:
    """1 within the full-score distance, falling linearly to 0 at the zero-score one."""
    geoms, other = _geoms(cand), _geoms(layers[layer])
    left, right = shapely.STRtree(other).query(
        geoms, predicate="dwithin", distance=zero_score_distance_m
    )
    pairs = pd.DataFrame(
        {"cand": left, "dist": shapely.distance(geoms[left], other[right])}
    )
    nearest = pairs.groupby("cand")["dist"].min()
    dist = nearest.reindex(range(len(cand)), fill_value=np.inf).to_numpy()
    span = max(zero_score_distance_m - full_score_distance_m, 1e-9)
    value = np.clip((zero_score_distance_m - dist) / span, 0.0, 1.0)
    return pd.Series(value, index=cand.index, dtype="Float64")


def zoning_group_share(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    groups: list[str],
    min_share: float = 0.5,
    **_: Any,
) -> pd.Series:
    """At least ``min_share`` of the candidate lies in Enkelbestemmingen of ``groups``.

    Unknown where no Enkelbestemming overlaps the candidate with positive area.
    """
    enkel = _enkel(layers, layer)
    pairs = _overlaps(cand, enkel)
    in_groups = enkel["main_group"].isin(groups).to_numpy()[pairs["feature"]]
    share = _covered_share(cand, pairs[in_groups])
    covered = np.isin(np.arange(len(cand)), pairs["cand"].to_numpy())
    return _boolean(share >= min_share, cand.index, unknown=~covered)


def largest_overlap_group(
    cand: gpd.GeoDataFrame, layers: dict[str, Any], layer: str
) -> pd.Series:
    """Main group of the Enkelbestemming with the largest overlap (ties: first)."""
    enkel = _enkel(layers, layer)
    pairs = _overlaps(cand, enkel).sort_values(
        ["cand", "area", "feature"], ascending=[True, False, True]
    )
    best = pairs.drop_duplicates("cand", keep="first")
    group = pd.Series(pd.NA, index=range(len(cand)), dtype="string")
    group[best["cand"].to_numpy()] = enkel["main_group"].to_numpy()[best["feature"]]
    return pd.Series(group.to_numpy(), index=cand.index, dtype="string")


def zoning_allows_housing(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    housing_groups: list[str],
    no_exemption_groups: list[str],
    needed_years: float,
    exemption_share: float,
    horizon_years: float,
    **_: Any,
) -> pd.Series:
    """1 for housing groups; the exemption share where an exemption fits; else 0.

    Unknown mostly outside the plans.
    """
    group = largest_overlap_group(cand, layers, layer)
    outside = _plan_outside(cand, layers[layer])
    values = []
    for g, out in zip(group, outside, strict=True):
        if pd.isna(g) or out:
            values.append(pd.NA)
        elif g in housing_groups:
            values.append(1.0)
        elif needed_years <= horizon_years and g not in no_exemption_groups:
            values.append(exemption_share)
        else:
            values.append(0.0)
    return pd.Series(values, index=cand.index, dtype="Float64")


def _capacity(cand: gpd.GeoDataFrame, units_per_ha: float) -> pd.Series:
    return cand.geometry.area / 10_000 * units_per_ha


def capacity_below(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    units_per_ha: float,
    min_units: float,
    **_: Any,
) -> pd.Series:
    """Area x density gives fewer than ``min_units`` dwellings."""
    return _boolean(_capacity(cand, units_per_ha) < min_units, cand.index)


def capacity_units(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    units_per_ha: float,
    target_units: float,
    **_: Any,
) -> pd.Series:
    """Capacity relative to a target number of units, capped at 1."""
    value = (_capacity(cand, units_per_ha) / target_units).clip(0, 1)
    return pd.Series(value.to_numpy(), index=cand.index, dtype="Float64")


def building_cover(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    max_cover_share: float,
    **_: Any,
) -> pd.Series:
    """1 for unbuilt land, falling to 0 at ``max_cover_share`` building cover."""
    cover = _covered_share(cand, _overlaps(cand, layers[layer]))
    value = np.clip(1.0 - cover / max_cover_share, 0.0, 1.0)
    return pd.Series(value, index=cand.index, dtype="Float64")


def building_cover_above(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    max_cover_share: float,
    **_: Any,
) -> pd.Series:
    """More than ``max_cover_share`` of the candidate covered by buildings."""
    cover = _covered_share(cand, _overlaps(cand, layers[layer]))
    return pd.Series(cover > max_cover_share, index=cand.index, dtype="boolean")


def owner_class_score(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    class_scores: dict[str, float],
    **_: Any,
) -> pd.Series:
    """Score of the owner class (first row per parcel); unknown when not listed."""
    first = layers[layer].drop_duplicates("parcel_id", keep="first")
    owner = dict(zip(first["parcel_id"], first["owner_class"], strict=True))
    values = []
    for cid in cand.index:
        label = owner.get(cid, pd.NA)
        values.append(pd.NA if pd.isna(label) else class_scores.get(label, pd.NA))
    return pd.Series(values, index=cand.index, dtype="Float64")


def _union_share(cand: gpd.GeoDataFrame, frame: gpd.GeoDataFrame) -> np.ndarray:
    """Share of each candidate covered by the union of ``frame``'s polygons."""
    union = shapely.union_all(_geoms(frame)) if len(frame) else shapely.Polygon()
    own = shapely.area(_geoms(cand))
    covered = shapely.area(shapely.intersection(_geoms(cand), union))
    return np.clip(np.where(own > 0, covered / np.where(own > 0, own, 1), 0.0), 0, 1)


def _plan_outside(cand: gpd.GeoDataFrame, zoning: gpd.GeoDataFrame) -> np.ndarray:
    plan = zoning[zoning["object_type"] == "Bestemmingsplangebied"]
    if plan.empty:
        plan = zoning[zoning["object_type"] == ENKEL]
    return _union_share(cand, plan) < 0.5


def _overlay(
    cand: gpd.GeoDataFrame, zoning: gpd.GeoDataFrame, classes: list, kinds: list
) -> tuple[np.ndarray, np.ndarray]:
    hit = zoning["overlay_class"].isin(classes)
    if kinds:
        hit &= zoning["overlay_kind"].isin(kinds)
    chosen = zoning[hit.fillna(False).to_numpy(bool)]
    return _union_share(cand, chosen), _plan_outside(cand, zoning)


def overlay_share_above(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    classes: list[str],
    kinds: list[str] = (),
    min_share: float = 0.0,
    **_: Any,
) -> pd.Series:
    """More than ``min_share`` under the merged overlays; unknown mostly outside
    the plans unless the part inside decides."""
    share, outside = _overlay(cand, layers[layer], classes, list(kinds))
    hit = share > min_share
    return _boolean(hit, cand.index, unknown=outside & ~hit)


def overlay_free_share(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    classes: list[str],
    kinds: list[str] = (),
    **_: Any,
) -> pd.Series:
    """1 - the share under the merged overlays; unknown mostly outside plans."""
    share, outside = _overlay(cand, layers[layer], classes, list(kinds))
    values = [pd.NA if o else 1.0 - v for v, o in zip(share, outside, strict=True)]
    return pd.Series(values, index=cand.index, dtype="Float64")


def max_height_below(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    min_height_m: float,
    **_: Any,
) -> pd.Series:
    """Lowest overlapping maximum height below the value; unknown without one."""
    zoning = layers[layer]
    maat = zoning[zoning["max_height_m"].notna().to_numpy(bool)]
    pairs = _overlaps(cand, maat)
    heights = maat["max_height_m"].to_numpy(float)[pairs["feature"]]
    lowest = pd.Series(heights).groupby(pairs["cand"].to_numpy()).min()
    lowest = lowest.reindex(range(len(cand))).to_numpy()
    known = ~np.isnan(lowest)
    return _boolean(
        known & (np.nan_to_num(lowest) < min_height_m), cand.index, unknown=~known
    )


def planned_housing_available_below(
    cand: gpd.GeoDataFrame,
    layers: dict[str, Any],
    *,
    layer: str,
    groups: list[str],
    min_years: float,
    min_share: float = 0.5,
    availability_layer: str = "availability",
    column: str = "available_years",
    **_: Any,
) -> pd.Series:
    """A housing site available too briefly; unknown without its availability."""
    planned = zoning_group_share(
        cand, layers, layer=layer, groups=groups, min_share=min_share
    )
    table = layers.get(availability_layer)
    years = pd.Series(np.nan, index=cand.index)
    if isinstance(table, pd.DataFrame):
        first = table.drop_duplicates("parcel_id").set_index("parcel_id")[column]
        years = pd.Series(cand.index.map(first), index=cand.index, dtype=float)
    values = []
    for p, y in zip(planned, years, strict=True):
        if pd.isna(p):
            values.append(pd.NA)
        elif not p:
            values.append(False)
        else:
            values.append(pd.NA if pd.isna(y) else bool(y < min_years))
    return pd.Series(values, index=cand.index, dtype="boolean")


def every_candidate(
    cand: gpd.GeoDataFrame, layers: dict[str, Any], **_: Any
) -> pd.Series:
    """True for every candidate."""
    return pd.Series(True, index=cand.index, dtype="boolean")


REFERENCE = {
    f.__name__: f
    for f in (
        intersects_layer,
        within_distance,
        proximity,
        zoning_group_share,
        zoning_allows_housing,
        capacity_below,
        capacity_units,
        building_cover,
        building_cover_above,
        owner_class_score,
        overlay_share_above,
        overlay_free_share,
        max_height_below,
        planned_housing_available_below,
        every_candidate,
    )
}


def reference_values(
    candidates: gpd.GeoDataFrame,
    rules: tuple[Rule, ...] | list[Rule],
    layers: dict[str, Any],
    *,
    regime: str,
    horizon_years: float,
) -> pd.DataFrame:
    """Values of every rule that applies, as the engines should give them.

    Rules of another regime and rules declared ``on_missing = "skip"`` whose
    layer is absent are left out; another absent layer gives unknown.
    """
    columns = {}
    for rule in rules:
        if regime not in rule.regimes:
            continue
        if rule.layer is not None and rule.layer not in layers:
            if rule.on_missing == "skip":
                continue
            dtype = "boolean" if rule.kind in ("veto", "flag") else "Float64"
            columns[rule.id] = pd.Series(pd.NA, index=candidates.index, dtype=dtype)
            continue
        if rule.predicate not in REFERENCE:
            msg = f"no reference for predicate {rule.predicate!r} (rule {rule.id})"
            raise NotImplementedError(msg)
        kwargs = dict(rule.params)
        if rule.layer is not None:
            kwargs["layer"] = rule.layer
        value = REFERENCE[rule.predicate](
            candidates, layers, horizon_years=horizon_years, **kwargs
        )
        columns[rule.id] = ~value if rule.negate else value
    return pd.DataFrame(columns, index=candidates.index)


def _mismatches(got: pd.Series, want: pd.Series, atol: float) -> pd.Series:
    """Candidates where ``got`` differs from ``want``."""
    null_differs = got.isna() != want.isna()
    both = got.notna() & want.notna()
    if want.dtype == "boolean":
        value_differs = both & (got.fillna(False) != want.fillna(False))
    else:
        diff = (got.astype("float64") - want.astype("float64")).abs()
        value_differs = both & (diff.fillna(0.0) > atol)
    return null_differs | value_differs


def assert_matches_reference(
    values: pd.DataFrame, reference: pd.DataFrame, *, atol: float = 1e-9
) -> None:
    """Booleans equal exactly, fractions within ``atol``, unknowns in the same places.

    The message names every rule that disagrees with up to five candidates
    and both values.
    """
    assert list(values.columns) == list(reference.columns)
    assert values.index.equals(reference.index)
    problems = []
    for rid in reference.columns:
        got, want = values[rid], reference[rid]
        assert got.dtype == want.dtype, f"{rid}: dtype {got.dtype} != {want.dtype}"
        bad = _mismatches(got, want, atol)
        if bad.any():
            sample = ", ".join(
                f"{cid}: engine {got[cid]!r} reference {want[cid]!r}"
                for cid in bad[bad].index[:5]
            )
            problems.append(f"{rid}: {int(bad.sum())} candidate(s) differ ({sample})")
    assert not problems, "engine != reference:\n" + "\n".join(problems)
