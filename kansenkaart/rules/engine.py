"""Evaluate a scan's rules into a candidate x rule table."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from kansenkaart.rules.chunks import in_candidate_order, spatial_chunks
from kansenkaart.rules.definition import Rule
from kansenkaart.rules.predicates import PREDICATES, ScanContext

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "RuleTable",
    "evaluate_rules",
    "finish_table",
    "outside_coverage",
    "plan_rules",
    "rule_values",
]

logger = logging.getLogger(__name__)

#: Candidates per chunk: bounds the memory of the overlay pairs and lets
#: chunks run in parallel threads (GEOS releases the GIL).
DEFAULT_CHUNK_SIZE = 100_000

#: Smallest chunk worth a thread of its own (per-chunk overhead dominates below).
MIN_PARALLEL_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class RuleTable:
    """Results of every rule for every candidate.

    Attributes
    ----------
    values : pandas.DataFrame
        Indexed by ``candidate_id``, one column per evaluated rule id:
        nullable booleans (veto, flag) or Float64 in [0, 1] (score); null is
        unknown.
    rules : tuple of Rule
        The evaluated rules, in scan order.
    skipped : tuple of Rule
        Rules declared ``on_missing = "skip"`` whose layer is absent: not
        decided for any candidate.
    not_applicable : tuple of Rule
        Rules that do not apply under the scan's regime.
    outside_coverage : pandas.DataFrame or None
        Per rule on a layer with a coverage polygon, the candidates that lie
        outside it (their value is null: not decided).
    """

    values: pd.DataFrame
    rules: tuple[Rule, ...]
    skipped: tuple[Rule, ...] = ()
    not_applicable: tuple[Rule, ...] = ()
    outside_coverage: pd.DataFrame | None = None


def _evaluate_one(rule: Rule, cand: gpd.GeoDataFrame, ctx: ScanContext) -> pd.Series:
    pred = PREDICATES[rule.predicate]
    kwargs = dict(rule.params)
    if rule.layer is not None:
        kwargs["layer"] = rule.layer
    if rule.layer is not None and rule.layer not in ctx.layers:
        # layer absent for the whole scan and the rule is not skipped: unknown
        dtype = "Float64" if pred.spec.output == "fraction" else "boolean"
        return pd.Series(pd.NA, index=cand.index, dtype=dtype, name=rule.id)
    result = pred.func(cand, ctx, **kwargs)
    if rule.negate:
        result = ~result.astype("boolean")
    return result.rename(rule.id)


def plan_rules(
    rules: tuple[Rule, ...] | list[Rule], ctx: ScanContext
) -> tuple[tuple[Rule, ...], tuple[Rule, ...], tuple[Rule, ...]]:
    """Split rules into (evaluated, skipped for a missing layer, other regime)."""
    applicable = [r for r in rules if ctx.regime in r.regimes]
    not_applicable = tuple(r for r in rules if ctx.regime not in r.regimes)
    skipped = tuple(
        r
        for r in applicable
        if r.on_missing == "skip" and r.layer is not None and r.layer not in ctx.layers
    )
    evaluated = tuple(r for r in applicable if r not in skipped)
    return evaluated, skipped, not_applicable


def rule_values(
    candidates: gpd.GeoDataFrame, rules: tuple[Rule, ...], ctx: ScanContext
) -> pd.DataFrame:
    """Values of ``rules`` (all to be evaluated) for one set of candidates."""
    columns = {r.id: _evaluate_one(r, candidates, ctx) for r in rules}
    return pd.DataFrame(columns, index=candidates.index)


def _chunked_values(
    candidates: gpd.GeoDataFrame,
    rules: tuple[Rule, ...],
    ctx: ScanContext,
    chunk_size: int,
    workers: int,
) -> pd.DataFrame:
    if workers > 1:  # at least two chunks per thread, unless chunks get tiny
        balanced = -(-len(candidates) // (2 * workers))
        chunk_size = min(chunk_size, max(balanced, MIN_PARALLEL_CHUNK))
    chunks = spatial_chunks(candidates, chunk_size)
    if len(chunks) == 1:
        return rule_values(candidates, rules, ctx.for_chunk())
    logger.info("%d chunks on %d threads", len(chunks), workers)

    def run(pos: np.ndarray) -> pd.DataFrame:
        chunk_ctx = ctx.for_chunk(universe=candidates.index, rows=pos)
        return rule_values(candidates.iloc[pos], rules, chunk_ctx)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(run, chunks))
    return in_candidate_order(parts, chunks, candidates.index)


def evaluate_rules(
    candidates: gpd.GeoDataFrame,
    rules: tuple[Rule, ...] | list[Rule],
    ctx: ScanContext,
    *,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> RuleTable:
    """Evaluate ``rules`` for every candidate, vectorised per rule.

    Large candidate sets are evaluated in spatial chunks on parallel
    threads; the result does not depend on the chunking.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        Indexed by ``candidate_id``, in EPSG:28992.
    rules : sequence of Rule
        The scan's rules (all regimes; those not applying are set aside).
    ctx : ScanContext
        Layers and scan parameters.
    chunk_size : int, optional
        Candidates per chunk; :data:`DEFAULT_CHUNK_SIZE` by default.
    workers : int, optional
        Threads; the number of CPU cores by default.

    Returns
    -------
    RuleTable
        Candidate x rule values; unknown (null) where a layer or attribute
        needed to decide is missing.
    """
    evaluated, skipped, not_applicable = plan_rules(rules, ctx)
    values = _chunked_values(
        candidates,
        evaluated,
        ctx,
        chunk_size or DEFAULT_CHUNK_SIZE,
        workers or os.cpu_count() or 1,
    )
    return finish_table(
        candidates, values, evaluated, skipped, not_applicable, coverage=ctx.coverage
    )


def outside_coverage(
    candidates: gpd.GeoDataFrame,
    rules: tuple[Rule, ...],
    coverage: Mapping[str, Any],
) -> pd.DataFrame:
    """Per rule on a layer with a coverage polygon: candidates outside it.

    A candidate is inside when its whole geometry is covered by the layer's
    coverage (computed once per layer, vectorised).
    """
    geoms = np.asarray(candidates.geometry.values)
    per_layer: dict[str, np.ndarray] = {}
    out = {}
    for rule in rules:
        cov = coverage.get(rule.layer) if rule.layer is not None else None
        if cov is None or cov.geometry is None:
            continue
        if rule.layer not in per_layer:
            per_layer[rule.layer] = ~cov.covers(geoms)
        out[rule.id] = per_layer[rule.layer]
    return pd.DataFrame(out, index=candidates.index, dtype=bool)


def attach_owner_class(cand: gpd.GeoDataFrame, ctx: ScanContext) -> gpd.GeoDataFrame:
    """``owner_class`` from the ownership table, for the map and the outputs.

    The one place that attaches it, for every engine; it uses the same shared
    id lookup as the owner rule (built once per context).
    """
    if "ownership" not in ctx.layers:
        return cand
    cand = cand.copy()
    owner = ctx.lookup("ownership", "parcel_id", "owner_class", cand.index)
    cand["owner_class"] = owner.astype("string")
    return cand


def finish_table(
    candidates: gpd.GeoDataFrame,
    values: pd.DataFrame,
    evaluated: tuple[Rule, ...],
    skipped: tuple[Rule, ...],
    not_applicable: tuple[Rule, ...],
    *,
    coverage: Mapping[str, Any] | None = None,
) -> RuleTable:
    """Leave rules undecided outside their layer's coverage; build the table.

    This is the one place where coverage is applied, for every predicate and
    every engine: a value outside the coverage of the rule's layer becomes
    null (not decided), except a hit of a *presence* predicate (see
    :class:`~kansenkaart.rules.predicates.PredicateSpec`): a feature found
    is found, only its absence is unknown there.
    """
    outside = outside_coverage(candidates, evaluated, coverage or {})
    by_id = {r.id: r for r in evaluated}
    for rid in outside.columns:
        mask = outside[rid].to_numpy(dtype=bool)
        rule = by_id[rid]
        if PREDICATES[rule.predicate].spec.presence and not rule.negate:
            # a hit is certain wherever it is found; only "no hit" is not known
            mask = mask & ~values[rid].to_numpy(dtype=bool, na_value=False)
        if mask.any():
            values[rid] = values[rid].mask(mask)
    for rule in skipped:
        logger.info("rule %s skipped: layer %r not given", rule.id, rule.layer)
    logger.info(
        "evaluated %d rules for %d candidates (%d skipped)",
        len(evaluated),
        len(candidates),
        len(skipped),
    )
    return RuleTable(values, evaluated, skipped, not_applicable, outside)
