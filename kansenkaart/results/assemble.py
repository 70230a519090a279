"""Assemble the candidates table of a result from the scored rule table.

One row per candidate that entered the scan, indexed by ``candidate_id``:
kind, outcome, score with its interval (``score_min``, ``score_max``) and
``weight_assessed``, ranks (overall and per municipality), municipality,
the vetoes and undecided rules, ``assessed_nl`` ("beoordeeld op 3 van 6
criteria (58 % van het gewicht)"), the Dutch reason, one text column per rule,
the points per score rule (``pts_<RULE>``), the raw value the scoring used
per evaluated rule (``val_<RULE>``: the fraction 0-1 of a score rule, 1/0 for
a veto or flag that holds or not, null when undecided), the attributes an analyst needs
(:data:`ATTRIBUTES`) and, after a sensitivity run, its columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from kansenkaart.model.schema import BAG_USE_COLUMNS
from kansenkaart.scoring.explain import (
    completeness_texts,
    derived_values_note,
    explain_candidates,
    rule_result_texts,
)
from kansenkaart.scoring.score import rank_candidates, score_candidates

if TYPE_CHECKING:
    from kansenkaart.rules.engine import RuleTable

__all__ = ["ATTRIBUTES", "VALUE_PREFIX", "assemble_candidates", "rule_value_columns"]

#: Candidate attributes copied into the result, where the candidates have them.
ATTRIBUTES: tuple[str, ...] = (
    "status",
    "year_built",
    "gebruiksdoel",
    "use_derived",
    "zoning_group",
    "zoning_function",
    "floor_area_m2",
    "n_units",
    "height_m",
    "storeys",
    "area_m2",
    "registered_area_m2",
    "main_group",
    "plan_id",
    "owner_class",
)


#: Prefix of the raw rule value columns (``val_<RULE>``) the map recomputes from.
VALUE_PREFIX = "val_"


def rule_value_columns(table: RuleTable) -> pd.DataFrame:
    """The raw value of every evaluated rule, as the scoring used it.

    Parameters
    ----------
    table : RuleTable
        The candidate x rule table of the evaluation.

    Returns
    -------
    pandas.DataFrame
        ``val_<RULE>`` per evaluated rule, ``Float64``: a score rule's
        fraction 0-1, 1.0 / 0.0 for a veto or flag that holds or not, null
        where the rule could not be decided.
    """
    return pd.DataFrame(
        {
            f"{VALUE_PREFIX}{rule.id}": table.values[rule.id].astype("Float64")
            for rule in table.rules
        },
        index=table.values.index,
    )


def _uses_label(cand: gpd.GeoDataFrame) -> pd.Series:
    label = pd.Series("", index=cand.index, dtype="string")
    for use, col in BAG_USE_COLUMNS.items():
        if col in cand:
            hit = cand[col].fillna(False).astype(bool)
            label = label.where(~hit, label + "," + use)
    label = label.str.lstrip(",")
    if "use_derived" in cand:
        derived = cand["use_derived"].fillna(False).astype(bool) & (label != "")
        label = label.where(~derived, label + " (afgeleid)")
    return label.where(cand["use_residential"].notna(), pd.NA)


class _Columns:
    """Columns aligned to the candidates, taken as arrays (no joins on ids)."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.cols: dict[str, Any] = {}

    def add(
        self, frame: pd.DataFrame | pd.Series, names: list[str] | None = None
    ) -> None:
        if not frame.index.equals(self.index):
            frame = frame.reindex(self.index)
        if isinstance(frame, pd.Series):
            self.cols[str(frame.name)] = frame.array
            return
        for name in names if names is not None else list(frame.columns):
            self.cols[name] = frame[name].array


def assemble_candidates(
    cand: gpd.GeoDataFrame,
    table: RuleTable,
    sensitivity: pd.DataFrame | None = None,
    map_fields: tuple[str, ...] = (),
    ranks: tuple[pd.Series, pd.Series] | None = None,
) -> gpd.GeoDataFrame:
    """Score, rank and explain the candidates and assemble the result table.

    Parameters
    ----------
    cand : geopandas.GeoDataFrame
        The candidates, indexed by ``candidate_id``, with ``municipality_code``
        and ``municipality_name``.
    table : RuleTable
        The candidate x rule table of the evaluation.
    sensitivity : pandas.DataFrame, optional
        Per-candidate columns of a sensitivity run.
    map_fields : tuple of str
        Fields whitelisted for the map; they always exist (null where the
        candidates lack them), so the result has a stable schema.
    ranks : tuple of pandas.Series, optional
        The overall and per-municipality ranks, indexed like ``cand``, when
        they were made over more candidates than these (one partition of a
        national scan); by default ranked here.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate, in the candidates' order, EPSG:28992.
    """
    scored = score_candidates(table)
    if ranks is None:
        rank = rank_candidates(scored)
        by_municipality = rank_candidates(scored, by=cand["municipality_code"])
    else:
        rank, by_municipality = ranks
    out = _Columns(cand.index)
    out.add(cand, ["candidate_kind"])
    out.add(scored, ["outcome", "score", "score_min", "score_max", "weight_assessed"])
    out.add(rank.rename("rank"))
    out.add(by_municipality.rename("rank_municipality"))
    out.add(cand, ["municipality_code", "municipality_name"])
    out.add(scored, ["excluded_by", "unknown_for"])
    out.add(completeness_texts(table, scored))
    reason = explain_candidates(table, scored, rank).rename("reason_nl")
    out.add(derived_values_note(reason, cand))
    out.add(rule_result_texts(table, scored))
    out.add(scored[[c for c in scored.columns if c.startswith("pts_")]].round(4))
    out.add(rule_value_columns(table))
    attrs = (
        cand.assign(gebruiksdoel=_uses_label(cand))
        if "use_residential" in cand
        else cand
    )
    out.add(attrs, [c for c in ATTRIBUTES if c in attrs.columns])
    if sensitivity is not None:
        out.add(sensitivity)
    for name in map_fields:
        if name not in out.cols:
            out.cols[name] = pd.Series(pd.NA, index=cand.index, dtype="string").array
    frame = pd.DataFrame(out.cols, index=cand.index, copy=False)
    frame.index.name = "candidate_id"
    return gpd.GeoDataFrame(frame, geometry=cand.geometry, crs=cand.crs)
