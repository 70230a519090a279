"""The closed vocabulary of rule predicates.

Each predicate is a small vectorised function ``(candidates, ctx, **params)``
returning a pandas Series aligned to the candidates' index
(``candidate_id``). Yes/no predicates return a nullable boolean Series;
score predicates return a ``Float64`` Series in [0, 1]. A null value means
*unknown*: the layer or attribute needed to decide is missing for that
candidate. Unknown is never treated as a pass.

``kansenkaart rules list`` prints this vocabulary; the docstring of each
predicate is its entry in the rule catalogue.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from kansenkaart.model.overlays import (
    BROAD_GROUPS,
    ENKEL_GROUPS,
    LEIDING_KINDS,
    OVERLAY_CLASSES,
    WATERSTAAT_KINDS,
)
from kansenkaart.model.schema import BAG_USE_COLUMNS
from kansenkaart.spatial import (
    intersects_any,
    largest_overlap_group,
    nearest_distance,
    pair_overlap,
    share_from_pairs,
    within_distance_any,
)

__all__ = ["PREDICATES", "REQUIRED", "Predicate", "PredicateSpec", "ScanContext"]

REQUIRED = ...


@dataclass(slots=True)
class ScanContext:
    """Everything a predicate may read besides the candidates.

    Attributes
    ----------
    layers : dict
        Loaded layers by name: GeoDataFrames, tables (DataFrames) or, for
        rasters, a path.
    regime : {"wabo", "ow"}
    horizon_years : float
        Temporary-exemption horizon of the scan.
    reference_date : pandas.Timestamp
        "Today" for durations such as vacancy.
    cache : dict
        Results shared by the rules of one evaluation (one set of
        candidates), such as the overlay with the zoning.
    indexes : dict
        Spatial indexes of the layers, shared by every evaluation (chunk)
        that uses this context's layers.
    universe, rows : pandas.Index, numpy.ndarray, optional
        In a chunk's context: the ids of all candidates of the evaluation
        and the chunk's positions among them.
    coverage : mapping of str to Coverage
        Where each layer has data
        (:class:`~kansenkaart.sources.coverage.Coverage`); the engine leaves
        a rule on a layer undecided for candidates outside its coverage.
    """

    layers: dict[str, Any]
    regime: str = "wabo"
    horizon_years: float = 10.0
    reference_date: pd.Timestamp = field(
        default_factory=lambda: pd.Timestamp("today").normalize()
    )
    cache: dict[str, Any] = field(default_factory=dict)
    indexes: dict[str, Any] = field(default_factory=dict)
    universe: pd.Index | None = None
    rows: np.ndarray | None = None
    coverage: Mapping[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cached(
        self, key: str, cand: gpd.GeoDataFrame, compute: Callable[[], Any]
    ) -> Any:
        """``compute()`` once per ``key`` and candidate frame.

        The entry keeps a reference to the frame and is used only for that
        very frame, so a later frame can never pick up its results.
        """
        hit = self.cache.get(key)
        if hit is not None and hit[0] is cand:
            return hit[1]
        value = compute()
        self.cache[key] = (cand, value)
        return value

    def peek(self, key: str, cand: gpd.GeoDataFrame) -> Any:
        """The cached value of ``key`` for this frame, or None."""
        hit = self.cache.get(key)
        return hit[1] if hit is not None and hit[0] is cand else None

    def for_chunk(
        self, universe: pd.Index | None = None, rows: np.ndarray | None = None
    ) -> ScanContext:
        """A context for one chunk: same layers and indexes, a fresh cache.

        ``universe`` holds the ids of all candidates of the evaluation and
        ``rows`` the chunk's positions among them (so that table lookups are
        made once for all chunks).
        """
        return ScanContext(
            layers=self.layers,
            regime=self.regime,
            horizon_years=self.horizon_years,
            reference_date=self.reference_date,
            indexes=self.indexes,
            universe=universe,
            rows=rows,
            coverage=self.coverage,
            _lock=self._lock,
        )

    def layer_index(
        self, layer: str, *, enkel: bool = False
    ) -> tuple[gpd.GeoDataFrame, np.ndarray, shapely.STRtree]:
        """A layer's features (Enkelbestemmingen only with ``enkel``), their
        geometries and an STRtree over them, built once and shared."""
        key = f"{layer}:{'enkel' if enkel else 'all'}"
        with self._lock:
            if key not in self.indexes:
                frame = self.layers[layer]
                if enkel:
                    frame = frame[frame["object_type"] == "Enkelbestemming"]
                geoms = np.asarray(frame.geometry.values)
                self.indexes[key] = (frame, geoms, shapely.STRtree(geoms))
            return self.indexes[key]

    def lookup(
        self, layer: str, id_column: str, column: str, ids: pd.Index
    ) -> pd.Series:
        """A table's ``column`` for ``ids`` by ``id_column`` (first row per id).

        Null where an id is not in the table. The values keep the column's
        dtype. In a chunk's context the lookup is made once for all the
        evaluation's candidates (the ``universe``) and shared by the chunks.
        """
        key = f"lookup:{layer}:{id_column}:{column}"
        chunk = self.rows is not None and self.universe is not None
        universe = self.universe if chunk else ids
        with self._lock:  # the last set of ids looked up is kept
            hit = self.indexes.get(key)
            if hit is None or hit[0] is not universe:
                values = self._lookup(layer, id_column, column, universe)
                self.indexes[key] = hit = (universe, values)
        values = hit[1].take(self.rows) if chunk else hit[1].copy()
        return pd.Series(values, index=ids)

    def _lookup(
        self, layer: str, id_column: str, column: str, ids: pd.Index
    ) -> pd.api.extensions.ExtensionArray:
        table = self.layers[layer]
        keys = pa.array(table[id_column].astype("string").array)
        if isinstance(keys, pa.ChunkedArray):
            keys = keys.combine_chunks()
        wanted = pa.array(pd.Index(ids).astype("string").array)
        # Arrow's hash lookup gives the first row of a repeated id
        pos = pc.fill_null(pc.index_in(wanted, value_set=keys), -1).to_numpy()
        return pd.array(table[column]).take(pos, allow_fill=True)


Output = Literal["bool", "fraction"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PredicateSpec:
    """What a predicate needs and gives: the contract the engines rely on.

    Attributes
    ----------
    output : {"bool", "fraction"}
        Nullable boolean (vetoes, flags) or a Float64 in [0, 1] (scores).
    params : mapping of str to object
        Parameter name -> default value, or :data:`REQUIRED`.
    needs_layer : bool
        The rule must name a layer.
    default_layer : str or None
        The layer used when the rule names none.
    attributes : tuple of str
        Candidate attributes the predicate reads (undecided where null).
    reach_param : str or None
        The parameter that gives how far (m) beyond a candidate the predicate
        looks at a layer's features. The engines cut each chunk's layers to
        its bounding box widened by the longest reach of the scan's rules (the
        *halo*); a predicate that looks beyond the candidate must name it.
    local_params : tuple of str
        Parameters in metres that do *not* widen the reach (e.g. a size).
    choices : mapping of str to tuple of str
        The values a list parameter may hold (checked when a scan is loaded).
    presence : bool
        A ``True`` found from the layer's features is certain even where the
        candidate reaches outside the layer's coverage: more features could
        only turn ``False`` into ``True`` (a hit is a hit). Only ``False`` is
        left undecided there.
    """

    output: Output
    params: Mapping[str, Any] = field(default_factory=dict)
    needs_layer: bool = False
    default_layer: str | None = None
    attributes: tuple[str, ...] = ()
    reach_param: str | None = None
    local_params: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    presence: bool = False

    def __post_init__(self) -> None:
        if self.reach_param is not None and self.reach_param not in self.params:
            msg = f"reach_param {self.reach_param!r} is not one of the parameters"
            raise ValueError(msg)
        reads_layer = self.needs_layer or self.default_layer is not None
        metres = [
            p
            for p in self.params
            if p.endswith("_m") and p != self.reach_param and p not in self.local_params
        ]
        if reads_layer and metres:
            msg = (
                f"parameter(s) {', '.join(metres)} in metres: declare the one that "
                "widens the spatial reach as reach_param, the others as local_params"
            )
            raise ValueError(msg)

    def reach_m(self, params: Mapping[str, Any]) -> float:
        """How far (m) beyond a candidate a rule with ``params`` looks."""
        if self.reach_param is None:
            return 0.0
        return float(params.get(self.reach_param, self.params[self.reach_param]))


@dataclass(frozen=True, slots=True)
class Predicate:
    """A predicate function and its specification."""

    func: Callable[..., pd.Series]
    spec: PredicateSpec

    @property
    def doc(self) -> str:
        """First paragraph of the docstring, for the catalogue."""
        return (self.func.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


PREDICATES: dict[str, Predicate] = {}


def _predicate(
    **spec: Any,
) -> Callable[[Callable[..., pd.Series]], Callable[..., pd.Series]]:
    checked = PredicateSpec(**spec)

    def register(func: Callable[..., pd.Series]) -> Callable[..., pd.Series]:
        PREDICATES[func.__name__] = Predicate(func, checked)
        return func

    return register


def _bool(values: Any, index: pd.Index, unknown: Any = None) -> pd.Series:
    data = np.array(values, dtype=bool)
    mask = (
        np.zeros(len(data), dtype=bool)
        if unknown is None
        else np.array(unknown, dtype=bool)
    )
    return pd.Series(pd.arrays.BooleanArray(data, mask), index=index)


def _geoms(frame: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(frame.geometry.values)


def _own_area(cand: gpd.GeoDataFrame, ctx: ScanContext) -> np.ndarray:
    """Candidate areas in m², computed once per evaluation."""
    return ctx.cached("area", cand, lambda: shapely.area(_geoms(cand)))


# --- candidate attributes -------------------------------------------------------


@_predicate(
    output="bool", params={"uses": REQUIRED}, choices={"uses": tuple(BAG_USE_COLUMNS)}
)
def uses_any(cand: gpd.GeoDataFrame, ctx: ScanContext, *, uses: list[str]) -> pd.Series:
    """Candidate has at least one of the BAG gebruiksdoelen in ``uses``.

    Unknown when the source has no uses and none could be derived.
    """
    cols = [BAG_USE_COLUMNS[u] for u in uses]
    all_cols = list(BAG_USE_COLUMNS.values())
    known = cand[all_cols].notna().any(axis=1)
    hit = cand[cols].fillna(False).astype(bool).any(axis=1)
    return _bool(hit, cand.index, unknown=~known)


@_predicate(output="bool", params={"values": REQUIRED})
def status_in(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, values: list[str]
) -> pd.Series:
    """BAG status of the building is one of ``values``."""
    status = cand["status"]
    return _bool(status.isin(values).fillna(False), cand.index, unknown=status.isna())


@_predicate(
    output="bool",
    params={"min_storey_height_m": REQUIRED},
    attributes=("height_m", "storeys"),
)
def storey_height_below(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, min_storey_height_m: float
) -> pd.Series:
    """Average storey height (roof height / storeys) is below the minimum.

    Floor-to-floor height from 3DBAG is a proxy for the clear height of the
    Transformatiemeter. Unknown where height or storeys are missing.
    """
    height = cand["height_m"].astype("Float64")
    storeys = cand["storeys"].astype("Float64").where(cand["storeys"] > 0)
    per_storey = height / storeys
    return _bool(
        (per_storey < min_storey_height_m).fillna(False),
        cand.index,
        unknown=per_storey.isna(),
    )


@_predicate(
    output="bool",
    params={"min_clear_height_m": REQUIRED, "slab_allowance_m": REQUIRED},
    attributes=("height_m", "storeys"),
)
def clear_height_below(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    min_clear_height_m: float,
    slab_allowance_m: float,
) -> pd.Series:
    """Estimated clear height per storey is below the minimum.

    Roof height / storeys gives floor-to-floor height; ``slab_allowance_m``
    (floor slab and services) is taken off to estimate the clear (free)
    height the Transformatiemeter asks for. A proxy: unknown where height or
    storeys are missing.
    """
    height = cand["height_m"].astype("Float64")
    storeys = cand["storeys"].astype("Float64").where(cand["storeys"] > 0)
    clear = height / storeys - slab_allowance_m
    return _bool(
        (clear < min_clear_height_m).fillna(False), cand.index, unknown=clear.isna()
    )


def _floor_area_upper(cand: gpd.GeoDataFrame, storey_height_m: float) -> pd.Series:
    """Floor area at most: the BAG area, else footprint x storeys, else
    footprint x the storeys the height can hold (at least one)."""
    area = cand["floor_area_m2"].astype("Float64")
    footprint = pd.Series(
        cand.geometry.area.to_numpy(), index=cand.index, dtype="Float64"
    )
    storeys = cand["storeys"].astype("Float64").where(cand["storeys"] > 0)
    by_height = np.floor(cand["height_m"].astype("Float64") / storey_height_m)
    storeys = storeys.fillna(by_height.clip(lower=1))
    return area.fillna(footprint * storeys)


@_predicate(
    output="bool",
    params={"min_floor_area_m2": REQUIRED, "storey_height_m": 2.6},
    attributes=("floor_area_m2",),
)
def floor_area_below(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    min_floor_area_m2: float,
    storey_height_m: float = 2.6,
) -> pd.Series:
    """Even the largest floor area the building can have is below the minimum
    for one home.

    The floor area is the BAG verblijfsobject area; else the footprint times
    the storeys (3DBAG), else times the storeys of ``storey_height_m`` the
    roof height can hold, at least one (an upper bound, so that a building
    is excluded only when it surely fits no home). Unknown where neither
    area nor height is known.
    """
    area = _floor_area_upper(cand, storey_height_m)
    return _bool(
        (area < min_floor_area_m2).fillna(False), cand.index, unknown=area.isna()
    )


@_predicate(
    output="bool",
    params={"min_share": REQUIRED},
    attributes=("floor_area_m2", "residential_area_m2"),
)
def nonresidential_share_below(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, min_share: float
) -> pd.Series:
    """Less than ``min_share`` of the floor area lies in verblijfsobjecten
    without a woonfunctie (a mixed building that is mostly homes already).

    Decided from the unit areas where they are known (BAG, LV-BAG). Without
    them, a building whose uses (from the BAG, or derived from its
    bestemming) include no woonfunctie holds no homes: False. Unknown for a
    building with a woonfunctie whose unit areas are not known (bag-light)
    or whose uses are not known at all.
    """
    area = cand["floor_area_m2"].astype("Float64")
    homes = cand["residential_area_m2"].astype("Float64")
    share = (area - homes) / area.where(area > 0)
    hit = (share < min_share).fillna(False).to_numpy(dtype=bool)
    unknown = share.isna().to_numpy(dtype=bool)
    column = BAG_USE_COLUMNS["woonfunctie"]
    if column in cand.columns:
        uses = cand[[c for c in BAG_USE_COLUMNS.values() if c in cand.columns]]
        no_homes = (
            uses.notna().any(axis=1) & ~cand[column].fillna(False).astype(bool)
        ).to_numpy(dtype=bool)
        unknown = unknown & ~no_homes
    return _bool(hit, cand.index, unknown=unknown)


@_predicate(output="bool", params={})
def every_candidate(cand: gpd.GeoDataFrame, ctx: ScanContext) -> pd.Series:
    """Holds for every candidate: a flag that applies everywhere (e.g. an
    AERIUS nitrogen calculation is needed for every project)."""
    return _bool(np.ones(len(cand), dtype=bool), cand.index)


@_predicate(
    output="fraction", params={"structural_years": REQUIRED}, default_layer="vacancy"
)
def vacancy_duration(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, structural_years: float
) -> pd.Series:
    """Years vacant divided by the structural-vacancy threshold, capped at 1,
    times the share of the pand's units that are vacant (when the table was
    given by verblijfsobject ids).

    Buildings absent from the vacancy table are *not decided* (a table says
    nothing about a building it does not list), never "not vacant".
    """
    table = ctx.layers[layer]
    since = table.groupby("building_id")["vacant_since"].min()
    start = cand.index.to_series().map(since)
    years = (ctx.reference_date - pd.to_datetime(start)).dt.days / 365.25
    value = (years / structural_years).clip(0, 1)
    if "vacant_share" in table.columns:
        share = table.groupby("building_id")["vacant_share"].max()
        value = value * cand.index.to_series().map(share).astype(float)
    return value.astype("Float64")


def _floor_area(cand: gpd.GeoDataFrame) -> pd.Series:
    area = cand["floor_area_m2"].astype("Float64")
    if "residential_area_m2" in cand:  # only the non-residential part transforms
        homes = cand["residential_area_m2"].astype("Float64").fillna(0.0)
        area = (area - homes).clip(lower=0.0)
    footprint = pd.Series(
        cand.geometry.area.to_numpy(), index=cand.index, dtype="Float64"
    )
    gross = footprint * cand["storeys"].astype("Float64")
    return area.fillna(gross).fillna(footprint)


@_predicate(
    output="fraction", params={"unit_floor_area_m2": REQUIRED, "target_units": REQUIRED}
)
def units_that_fit(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    unit_floor_area_m2: float,
    target_units: float,
) -> pd.Series:
    """Dwellings that fit in the floor area, relative to a target (capped at 1).

    Floor area is the BAG verblijfsobject area, else footprint x storeys,
    else the footprint alone (one storey, a lower bound).
    """
    units = np.floor(_floor_area(cand) / unit_floor_area_m2)
    return (units / target_units).clip(0, 1).astype("Float64")


@_predicate(
    output="fraction",
    params={"penalty_from_year": REQUIRED, "penalty_to_year": REQUIRED},
)
def year_built_outside(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    penalty_from_year: int,
    penalty_to_year: int,
) -> pd.Series:
    """1 when the building year lies outside the penalised period, else 0."""
    year = cand["year_built"].astype("Float64")
    inside = (year >= penalty_from_year) & (year <= penalty_to_year)
    return (1.0 - inside.astype("Float64")).astype("Float64")


# --- layers -----------------------------------------------------------------------


@_predicate(output="bool", params={}, needs_layer=True, presence=True)
def intersects_layer(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str
) -> pd.Series:
    """Candidate intersects a feature of the layer (e.g. inside Natura 2000)."""
    _, other, tree = ctx.layer_index(layer)
    return _bool(intersects_any(_geoms(cand), other, tree=tree), cand.index)


@_predicate(
    output="bool",
    params={"distance_m": REQUIRED},
    needs_layer=True,
    reach_param="distance_m",
    presence=True,
)
def within_distance(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, distance_m: float
) -> pd.Series:
    """Candidate lies within ``distance_m`` of a feature of the layer."""
    _, other, tree = ctx.layer_index(layer)
    return _bool(
        within_distance_any(_geoms(cand), other, distance_m, tree=tree), cand.index
    )


@_predicate(
    output="fraction",
    params={"full_score_distance_m": REQUIRED, "zero_score_distance_m": REQUIRED},
    needs_layer=True,
    reach_param="zero_score_distance_m",
    local_params=("full_score_distance_m",),
)
def proximity(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    full_score_distance_m: float,
    zero_score_distance_m: float,
) -> pd.Series:
    """1 within the full-score distance of the layer, falling linearly to 0.

    Used with existing buildings as a proxy for roads and utilities.
    """
    _, other, tree = ctx.layer_index(layer)
    pairs = ctx.peek(f"overlay:{layer}:all", cand)
    touching = None
    if pairs is not None:  # candidates overlapping a feature are at distance 0
        touching = np.zeros(len(cand), dtype=bool)
        touching[pairs[0]] = True
    dist = nearest_distance(
        _geoms(cand), other, zero_score_distance_m, tree=tree, touching=touching
    )
    span = max(zero_score_distance_m - full_score_distance_m, 1e-9)
    value = np.clip((zero_score_distance_m - dist) / span, 0.0, 1.0)
    return pd.Series(value, index=cand.index, dtype="Float64")


def _overlay(
    cand: gpd.GeoDataFrame, ctx: ScanContext, layer: str, *, enkel: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap pairs (candidate, feature, area) with a layer, once per evaluation."""
    _, other, tree = ctx.layer_index(layer, enkel=enkel)
    return ctx.cached(
        f"overlay:{layer}:{'enkel' if enkel else 'all'}",
        cand,
        # zoning features are large: prepare each once (see pair_overlap)
        lambda: pair_overlap(
            _geoms(cand),
            other,
            tree=tree,
            coarse=enkel,
            geoms_area=_own_area(cand, ctx),
        ),
    )


def _zoning_group(cand: gpd.GeoDataFrame, ctx: ScanContext, layer: str) -> pd.Series:
    def compute() -> pd.Series:
        left, right, area = _overlay(cand, ctx, layer, enkel=True)
        enkel, _, _ = ctx.layer_index(layer, enkel=True)
        groups = largest_overlap_group(
            len(cand), left, right, area, enkel["main_group"].to_numpy(dtype=object)
        )
        return pd.Series(groups, index=cand.index, dtype="string")

    return ctx.cached(f"group_at:{layer}", cand, compute)


def _refined_group(cand: gpd.GeoDataFrame, ctx: ScanContext, layer: str) -> pd.Series:
    """The main group, where broad (gemengd, ...) replaced by the group a
    Functieaanduiding names on at least half of the candidate."""
    group = _zoning_group(cand, ctx, layer)
    broad = group.isin(BROAD_GROUPS).to_numpy(bool, na_value=False)
    frame = ctx.layers[layer]
    if not broad.any() or "name" not in frame:
        return group
    label = frame["name"].astype("string").str.strip().str.lower()
    hit = (frame["object_type"] == "Functieaanduiding") & label.isin(ENKEL_GROUPS)
    hit = hit.to_numpy(bool, na_value=False)
    pos = np.flatnonzero(broad)
    left, right, area = pair_overlap(
        _geoms(cand)[pos], np.asarray(frame.geometry.values)[hit], coarse=True
    )
    own = _own_area(cand, ctx)[pos]
    strong = area >= 0.5 * own[left]
    names = label.to_numpy(dtype=object)[hit]
    found = largest_overlap_group(
        len(pos), left[strong], right[strong], area[strong], names
    )
    refined = group.copy()
    take = np.array([f is not None for f in found], dtype=bool)
    refined.iloc[pos[take]] = found[take]
    return refined


@_predicate(
    output="bool", params={"groups": REQUIRED, "min_share": 0.5}, default_layer="zoning"
)
def zoning_group_share(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    groups: list[str],
    min_share: float = 0.5,
) -> pd.Series:
    """At least ``min_share`` of the candidate lies in Enkelbestemmingen of ``groups``.

    Unknown where no Enkelbestemming covers the candidate at all.
    """
    left, right, area = _overlay(cand, ctx, layer, enkel=True)
    enkel, _, _ = ctx.layer_index(layer, enkel=True)
    in_groups = enkel["main_group"].isin(groups).to_numpy()[right]
    share = share_from_pairs(_own_area(cand, ctx), left[in_groups], area[in_groups])
    covered = np.bincount(left, minlength=len(cand)) > 0
    return _bool(share >= min_share, cand.index, unknown=~covered)


@_predicate(
    output="fraction",
    params={
        "housing_groups": REQUIRED,
        "no_exemption_groups": REQUIRED,
        "needed_years": REQUIRED,
        "exemption_share": REQUIRED,
    },
    default_layer="zoning",
)
def zoning_allows_housing(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    housing_groups: list[str],
    no_exemption_groups: list[str],
    needed_years: float,
    exemption_share: float,
) -> pd.Series:
    """1 where zoning allows housing; ``exemption_share`` where a temporary
    exemption within the regime's horizon is possible; 0 otherwise.

    The exemption counts when the years needed fit in the scan's
    ``horizon_years`` (wabo: kruimel 10 years; ow: BOPA term set by the
    user) and the main group is not in ``no_exemption_groups``. In a broad
    bestemming (gemengd, centrum, ...) a Functieaanduiding naming another
    group on at least half of the candidate decides (*bedrijventerrein*).
    Unknown where the candidate lies mostly outside every plan.
    """
    group = _refined_group(cand, ctx, layer)
    value = np.zeros(len(cand))
    if needed_years <= ctx.horizon_years:  # the exemption fits the horizon
        blocked = group.isin(no_exemption_groups).to_numpy(bool, na_value=False)
        value[~blocked] = exemption_share
    value[group.isin(housing_groups).to_numpy(bool, na_value=False)] = 1.0
    # mostly outside every plan: the plan cannot say what is allowed there
    unknown = group.isna().to_numpy() | (
        _plan_share(cand, ctx, layer) < PLAN_COVER_SHARE
    )
    return pd.Series(pd.arrays.FloatingArray(value, unknown), index=cand.index)


def _area_m2(cand: gpd.GeoDataFrame, ctx: ScanContext) -> pd.Series:
    return pd.Series(_own_area(cand, ctx), index=cand.index)


@_predicate(output="bool", params={"units_per_ha": REQUIRED, "min_units": REQUIRED})
def capacity_below(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, units_per_ha: float, min_units: float
) -> pd.Series:
    """Area x density gives fewer than ``min_units`` relocatable dwellings."""
    capacity = _area_m2(cand, ctx) / 10_000 * units_per_ha
    return _bool(capacity < min_units, cand.index)


@_predicate(
    output="fraction", params={"units_per_ha": REQUIRED, "target_units": REQUIRED}
)
def capacity_units(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    units_per_ha: float,
    target_units: float,
) -> pd.Series:
    """Capacity (area x density) relative to a target number of units, capped at 1."""
    capacity = _area_m2(cand, ctx) / 10_000 * units_per_ha
    return (capacity / target_units).clip(0, 1).astype("Float64")


@_predicate(
    output="fraction", params={"max_cover_share": REQUIRED}, default_layer="buildings"
)
def building_cover(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, max_cover_share: float
) -> pd.Series:
    """1 for unbuilt land, falling to 0 at ``max_cover_share`` building cover."""
    left, _, area = _overlay(cand, ctx, layer, enkel=False)
    cover = share_from_pairs(_own_area(cand, ctx), left, area)
    value = np.clip(1.0 - cover / max_cover_share, 0.0, 1.0)
    return pd.Series(value, index=cand.index, dtype="Float64")


@_predicate(
    output="bool",
    params={"max_cover_share": REQUIRED},
    default_layer="buildings",
    presence=True,
)
def building_cover_above(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, max_cover_share: float
) -> pd.Series:
    """More than ``max_cover_share`` of the candidate is covered by buildings
    (built-up land, not a free site)."""
    left, _, area = _overlay(cand, ctx, layer, enkel=False)
    cover = share_from_pairs(_own_area(cand, ctx), left, area)
    return _bool(cover > max_cover_share, cand.index)


@_predicate(
    output="fraction", params={"class_scores": REQUIRED}, default_layer="ownership"
)
def owner_class_score(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    class_scores: dict[str, float],
) -> pd.Series:
    """Score of the owner class (e.g. provincie 1.0 ... particulier 0).

    Unknown for parcels that are not in the ownership table.
    """
    owner = ctx.lookup(layer, "parcel_id", "owner_class", cand.index)
    return owner.map(class_scores).astype("Float64")


@_predicate(output="bool", params={"max_lden_db": REQUIRED}, default_layer="noise")
def raster_above(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, max_lden_db: float
) -> pd.Series:
    """Highest raster value on the candidate exceeds the maximum (noise Lden).

    Unknown where the raster has no data on the candidate.
    """
    from kansenkaart.io.raster import zonal_max  # noqa: PLC0415

    values = zonal_max(ctx.layers[layer], cand.geometry)
    values = np.asarray(values, dtype=float)
    return _bool(values > max_lden_db, cand.index, unknown=np.isnan(values))


def _raster_share(
    cand: gpd.GeoDataFrame, ctx: ScanContext, layer: str, max_lden_db: float
) -> np.ndarray:
    from kansenkaart.io.raster import zonal_share_above  # noqa: PLC0415

    return ctx.cached(
        f"raster-share:{layer}:{max_lden_db}",
        cand,
        lambda: np.asarray(
            zonal_share_above(ctx.layers[layer], cand.geometry, max_lden_db),
            dtype=float,
        ),
    )


@_predicate(
    output="bool",
    params={"max_lden_db": REQUIRED, "min_share": 0.0},
    default_layer="noise",
)
def raster_share_above(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    max_lden_db: float,
    min_share: float = 0.0,
) -> pd.Series:
    """More than ``min_share`` of the candidate's raster cells exceed the value
    (noise Lden per source type); 0 means any cell.

    Unknown where the raster has no data on the candidate.
    """
    share = _raster_share(cand, ctx, layer, max_lden_db)
    return _bool(np.nan_to_num(share) > min_share, cand.index, unknown=np.isnan(share))


@_predicate(output="fraction", params={"max_lden_db": REQUIRED}, default_layer="noise")
def raster_share_not_above(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, max_lden_db: float
) -> pd.Series:
    """Share of the candidate's raster cells at or below the value (a penalty
    in proportion to the part above it).

    Unknown where the raster has no data on the candidate.
    """
    share = _raster_share(cand, ctx, layer, max_lden_db)
    return pd.Series(
        pd.arrays.FloatingArray(np.nan_to_num(1.0 - share), np.isnan(share)),
        index=cand.index,
    )


@_predicate(
    output="bool",
    params={"min_years": REQUIRED, "column": "available_years"},
    needs_layer=True,
)
def available_years_below(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    min_years: float,
    column: str = "available_years",
) -> pd.Series:
    """The site is available for fewer than ``min_years`` (from a table by id).

    Unknown for candidates that are not in the table.
    """
    table = ctx.layers[layer]
    id_col = next(c for c in ("parcel_id", "candidate_id", "building_id") if c in table)
    years = ctx.lookup(layer, id_col, column, cand.index).astype("Float64")
    return _bool((years < min_years).fillna(False), cand.index, unknown=years.isna())


@_predicate(output="bool", params={"groups": REQUIRED}, needs_layer=True, presence=True)
def overlay_group_in(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, groups: list[str]
) -> pd.Series:
    """The candidate touches a zoning overlay (``Gebiedsaanduiding``) of ``groups``.

    Meant for a provincial omgevingsverordening or a waterschapsverordening read
    as zoning (:mod:`kansenkaart.io.stop_tpod`): its gebiedsaanwijzingen are
    overlays whose ``main_group`` is the TPOD group (``waterwingebied``,
    ``natuurnetwerk nederland``). A group matches as part of the text, so
    ``waterwingebied`` also matches IMRO's ``milieuzone - waterwingebied``.
    False where no such overlay is near: the verordening covers its whole
    province or waterschap, so "not designated" is an answer.
    """
    frame, _, tree = ctx.layer_index(layer)
    pattern = "|".join(re.escape(g.lower()) for g in groups)
    hit = (
        (
            (frame["object_type"] == "Gebiedsaanduiding")
            & frame["main_group"].astype("string").str.lower().str.contains(pattern)
        )
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    left, right = tree.query(_geoms(cand), predicate="intersects")
    inside = np.bincount(left[hit[right]], minlength=len(cand)) > 0
    return _bool(inside, cand.index)


# --- the plan's overlays ----------------------------------------------------------

_OVERLAY_CHOICES = {
    "classes": OVERLAY_CLASSES,
    "kinds": tuple(dict.fromkeys(LEIDING_KINDS + WATERSTAAT_KINDS)),
}


def _dissolved(
    ctx: ScanContext, layer: str, key: str, select: Callable[[pd.DataFrame], Any]
) -> tuple[np.ndarray, shapely.STRtree]:
    """The union of a layer's selected features as disjoint polygon parts,
    with an STRtree, built once per context and shared."""
    key = f"{layer}:{key}"
    with ctx._lock:
        if key not in ctx.indexes:
            frame = ctx.layers[layer]
            geoms = np.asarray(frame.geometry.values)[select(frame)]
            union = shapely.union_all(geoms) if len(geoms) else None
            parts = (
                shapely.get_parts(shapely.get_parts(union))
                if union is not None and not union.is_empty
                else np.array([], dtype=object)
            )
            parts = parts[shapely.get_type_id(parts) == 3]  # polygons only
            ctx.indexes[key] = (parts, shapely.STRtree(parts))
        return ctx.indexes[key]


def _covered_share(
    cand: gpd.GeoDataFrame, ctx: ScanContext, layer: str, key: str, select: Any
) -> np.ndarray:
    def compute() -> np.ndarray:
        parts, tree = _dissolved(ctx, layer, key, select)
        left, _, area = pair_overlap(
            _geoms(cand), parts, tree=tree, coarse=True, geoms_area=_own_area(cand, ctx)
        )
        return share_from_pairs(_own_area(cand, ctx), left, area)

    return ctx.cached(f"share:{layer}:{key}", cand, compute)


def _plan_share(cand: gpd.GeoDataFrame, ctx: ScanContext, layer: str) -> np.ndarray:
    """Share of each candidate inside a plan area (Bestemmingsplangebied; the
    Enkelbestemmingen where a layer holds no plan area)."""

    def select(frame: pd.DataFrame) -> np.ndarray:
        area = (frame["object_type"] == "Bestemmingsplangebied").to_numpy()
        if area.any():
            return area
        return (frame["object_type"] == "Enkelbestemming").to_numpy()

    return _covered_share(cand, ctx, layer, "plan-area", select)


def _overlay_share(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    layer: str,
    classes: list[str],
    kinds: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """(share covered by the overlays of ``classes``/``kinds``, undecided)."""

    def select(frame: pd.DataFrame) -> np.ndarray:
        hit = frame["overlay_class"].isin(classes)
        if kinds:
            hit &= frame["overlay_kind"].isin(kinds)
        return hit.to_numpy(bool, na_value=False)

    key = f"overlay:{','.join(sorted(classes))}:{','.join(sorted(kinds))}"
    share = _covered_share(cand, ctx, layer, key, select)
    # mostly outside every plan: the plan cannot say what is there
    outside = _plan_share(cand, ctx, layer) < PLAN_COVER_SHARE
    return share, outside


#: Share of a candidate that must lie inside a plan for the plan's overlays to
#: decide a rule on it.
PLAN_COVER_SHARE = 0.5


@_predicate(
    output="bool",
    params={"classes": REQUIRED, "kinds": [], "min_share": 0.0},
    default_layer="zoning",
    choices=_OVERLAY_CHOICES,
    presence=True,
)
def overlay_share_above(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    classes: list[str],
    kinds: list[str] | None = None,
    min_share: float = 0.0,
) -> pd.Series:
    """More than ``min_share`` of the candidate lies under the plan's overlays
    of ``classes`` (and ``kinds``, e.g. ``gas``); 0 means any overlap.

    The overlays of one class are merged first, so overlapping overlays are
    counted once. Unknown where the candidate lies mostly outside every plan
    and the part inside does not already decide it.
    """
    share, outside = _overlay_share(cand, ctx, layer, classes, list(kinds or []))
    hit = share > min_share
    return _bool(hit, cand.index, unknown=outside & ~hit)


@_predicate(
    output="fraction",
    params={"classes": REQUIRED, "kinds": []},
    default_layer="zoning",
    choices=_OVERLAY_CHOICES,
)
def overlay_free_share(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    classes: list[str],
    kinds: list[str] | None = None,
) -> pd.Series:
    """Share of the candidate *not* under the plan's overlays of ``classes``
    (a penalty in proportion to the area the overlay restricts).

    Unknown where the candidate lies mostly outside every plan.
    """
    share, outside = _overlay_share(cand, ctx, layer, classes, list(kinds or []))
    return pd.Series(
        pd.arrays.FloatingArray(1.0 - share, outside.copy()), index=cand.index
    )


@_predicate(
    output="bool",
    params={"min_height_m": REQUIRED},
    default_layer="zoning",
    local_params=("min_height_m",),
)
def max_height_below(
    cand: gpd.GeoDataFrame, ctx: ScanContext, *, layer: str, min_height_m: float
) -> pd.Series:
    """The plan's Maatvoering *maximum bouwhoogte* on the candidate is below
    ``min_height_m`` (the lowest value of the Maatvoeringen it overlaps).

    Unknown where no Maatvoering with a maximum height overlaps it.
    """
    frame = ctx.layers[layer]
    has = frame["max_height_m"].notna().to_numpy()
    heights = frame["max_height_m"].to_numpy(float, na_value=np.nan)[has]
    geoms = np.asarray(frame.geometry.values)[has]
    left, right, _ = pair_overlap(
        _geoms(cand), geoms, coarse=True, geoms_area=_own_area(cand, ctx)
    )
    lowest = np.full(len(cand), np.inf)
    np.minimum.at(lowest, left, heights[right])
    known = np.isfinite(lowest)
    return _bool(known & (lowest < min_height_m), cand.index, unknown=~known)


@_predicate(
    output="bool",
    params={
        "groups": REQUIRED,
        "min_share": 0.5,
        "min_years": REQUIRED,
        "availability_layer": "availability",
        "column": "available_years",
    },
    default_layer="zoning",
)
def planned_housing_available_below(
    cand: gpd.GeoDataFrame,
    ctx: ScanContext,
    *,
    layer: str,
    groups: list[str],
    min_share: float = 0.5,
    min_years: float,
    availability_layer: str = "availability",
    column: str = "available_years",
) -> pd.Series:
    """A future housing site (at least ``min_share`` in Enkelbestemmingen of
    ``groups``) is free for fewer than ``min_years`` before construction.

    A *wachtlocatie*: flex homes may stand there only until the permanent
    homes are built. False for other sites; unknown for a housing site whose
    availability is not in the table (or when no table is given).
    """
    planned = zoning_group_share(
        cand, ctx, layer=layer, groups=groups, min_share=min_share
    )
    years = pd.Series(np.nan, index=cand.index, dtype="Float64")
    table = ctx.layers.get(availability_layer)
    if isinstance(table, pd.DataFrame):
        id_col = next(
            (c for c in ("parcel_id", "candidate_id", "building_id") if c in table),
            None,
        )
        if id_col is not None:
            years = ctx.lookup(availability_layer, id_col, column, cand.index)
            years = years.astype("Float64")
    is_planned = planned.fillna(False).to_numpy(bool)
    short = (years < min_years).fillna(False).to_numpy(bool)
    unknown = (is_planned & years.isna().to_numpy(bool)) | planned.isna().to_numpy()
    return _bool(
        is_planned & short, cand.index, unknown=unknown & ~(is_planned & short)
    )
