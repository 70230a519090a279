"""The ``summary.json`` of a scan: what ran, on what, and how every candidate ended.

Keys (the contract that :func:`kansenkaart.results.read_result`, the
spreadsheet and the map read):

``scan``
    name, title, version, unit, fallback_unit, regime, horizon_years, top_k.
``created``, ``package_version``, ``reference_date``
    When, with which kansenkaart, and the "today" used for durations.
``candidates_in``, ``excluded``, ``scored``, ``unknown``
    Counts that add up: every candidate is in exactly one outcome.
``skipped_rules``, ``not_applicable_rules``, ``rules``
    Every rule with its kind, weight, predicate, layer, parameters, source,
    rationale, note, ``on_unknown`` (vetoes), status (evaluated, skipped,
    not_applicable) and how many candidates it ``decided`` and left
    ``undecided``, with ``undecided_reasons`` (reason -> count: "buiten de
    dekking van laag X", "gegevens ontbreken", "laag ontbreekt"). Vetoes are
    counted over every candidate, score and flag rules over the candidates
    that are not excluded.
``coverage``
    Per layer where it has data: ``how`` (plan boundary, extent of the file,
    national, given with --coverage), ``national`` and ``area_m2``.
``completeness``
    Scored candidates fully and partly assessed, and the lowest
    ``weight_assessed``.
``inputs``
    Every input file: ``layer`` (the scan's layer name), ``format`` (the
    detected reader format), ``path`` and ``sha256``.
``attribution``
    One line per distinct source that asks to be named (CC BY).
``scan_file``, ``map_fields``, ``by_municipality``
    The scan file with its hash (and ``text``, the file itself, so a map can
    export it with the weights chosen in a session), the fields whitelisted
    for the map, and the outcome counts per municipality.
``accounting``
    Per input layer: features ``read``, ``dropped`` (count per reason, e.g.
    ``empty_geometry``, ``duplicate_id``), ``set_missing`` (implausible
    values per column), ``kept`` and, for the layer the candidates come
    from, ``candidates``.
``joins``
    Per table joined by id (ownership, vacancy): ``id_column``, ``rows``,
    ``candidates``, ``matched`` and ``match_rate``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kansenkaart._version import __version__
from kansenkaart.io.attribution import attribution_for
from kansenkaart.scoring.score import OUTCOMES

if TYPE_CHECKING:
    from collections.abc import Mapping

    import geopandas as gpd
    import pandas as pd

    from kansenkaart.rules.definition import Rule, ScanDefinition
    from kansenkaart.rules.engine import RuleTable
    from kansenkaart.sources.coverage import Coverage
    from kansenkaart.sources.layers import LayerSource

__all__ = ["build_summary", "file_sha256", "layer_accounting", "rule_decided_counts"]

#: Findings of validation that remove features, by code.
_DROPPING = ("empty_geometry", "duplicate_id", "invalid_geometry")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, or of every file in a folder in name order."""
    h = hashlib.sha256()
    files = (
        sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    )
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def rule_decided_counts(
    rule: Rule, table: RuleTable, out: pd.DataFrame
) -> dict[str, Any]:
    """How many candidates the rule decided, did not decide, and why.

    Counted over the candidates a rule could matter for: all of them for a
    veto (a veto is evaluated for every candidate), the candidates that are
    not excluded for score and flag rules.
    """
    n = len(out)
    if rule in table.not_applicable:
        return {"decided": 0, "undecided": 0, "undecided_reasons": {}}
    if rule.kind == "veto":
        pool = np.ones(n, dtype=bool)
    else:
        pool = (out["outcome"] != "excluded").to_numpy(dtype=bool)
    if rule in table.skipped:
        reasons = {"laag ontbreekt": int(pool.sum())}
        return {
            "decided": 0,
            "undecided": int(pool.sum()),
            "undecided_reasons": reasons,
        }
    values = table.values[rule.id]
    if not values.index.equals(out.index):
        values = values.reindex(out.index)
    undecided = values.isna().to_numpy(dtype=bool) & pool
    cover = table.outside_coverage
    outside = (
        cover[rule.id].reindex(out.index).to_numpy(dtype=bool) & undecided
        if cover is not None and rule.id in cover
        else np.zeros(n, dtype=bool)
    )
    reasons = {
        f"buiten de dekking van laag {rule.layer}": int(outside.sum()),
        "gegevens ontbreken": int((undecided & ~outside).sum()),
    }
    return {
        "decided": int((pool & ~undecided).sum()),
        "undecided": int(undecided.sum()),
        "undecided_reasons": {k: v for k, v in reasons.items() if v},
    }


def _rule_entry(
    rule: Rule,
    table: RuleTable,
    out: pd.DataFrame,
    decided: Mapping[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    status = (
        "skipped"
        if rule in table.skipped
        else ("not_applicable" if rule in table.not_applicable else "evaluated")
    )
    return {
        "id": rule.id,
        "title": rule.title,
        "kind": rule.kind,
        "weight": rule.weight,
        "predicate": rule.predicate,
        "layer": rule.layer,
        "params": rule.params,
        "source": rule.source,
        "rationale": rule.rationale,
        "note": rule.note,
        "on_unknown": rule.on_unknown if rule.kind == "veto" else None,
        "status": status,
        **(
            decided[rule.id]
            if decided is not None
            else rule_decided_counts(rule, table, out)
        ),
    }


def _inputs(
    sources: tuple[LayerSource, ...], area: Path | None
) -> list[dict[str, Any]]:
    entries = [
        {
            "layer": s.layer,
            "format": s.format,
            "path": str(s.path),
            "sha256": file_sha256(s.path) if isinstance(s.path, Path) else None,
        }
        for s in sources
    ]
    if area is not None:
        entries.append(
            {
                "layer": "area",
                "format": None,
                "path": str(area),
                "sha256": file_sha256(area),
            }
        )
    return entries


def _layer_entry(layer: Any) -> dict[str, Any]:
    findings = layer.attrs.get("findings", [])
    dropped: dict[str, int] = {}
    missing: dict[str, int] = {}
    for f in findings:
        if f.code == "implausible_value" and f.column:
            missing[f.column] = missing.get(f.column, 0) + len(f.ids)
        elif f.code in _DROPPING and (
            f.code != "invalid_geometry" or ": dropped " in f.message
        ):
            dropped[f.code] = dropped.get(f.code, 0) + len(f.ids)
    return {
        "read": int(layer.attrs.get("n_read", len(layer))),
        "dropped": dropped,
        "set_missing": missing,
        "kept": len(layer),
    }


def layer_accounting(
    layers: Any, *, unit: str, n_candidates: int
) -> dict[str, dict[str, Any]]:
    """Per vector or table layer: read, dropped per reason, kept, candidates.

    Parameters
    ----------
    layers : Layers
        The scan's layers (their ``attrs`` hold validation findings).
    unit : str
        The layer the candidates come from (``buildings``, ``parcels``, ...).
    n_candidates : int
        Candidates that entered the rules.
    """
    import pandas as pd  # noqa: PLC0415

    out = {}
    for name, layer in layers.items():
        if not isinstance(layer, pd.DataFrame):
            continue
        entry = _layer_entry(layer)
        if name == unit:
            entry["candidates"] = n_candidates
        out[name] = entry
    return out


def _scan_file(scan: ScanDefinition) -> dict[str, Any]:
    """Path, hash and, when the file is still the one loaded, its text."""
    entry: dict[str, Any] = {"path": str(scan.path), "sha256": scan.sha256}
    if scan.path is not None and Path(scan.path).is_file():
        raw = Path(scan.path).read_bytes()
        if hashlib.sha256(raw).hexdigest() == scan.sha256:
            entry["text"] = raw.decode("utf-8")
    return entry


def _completeness(out: pd.DataFrame) -> dict[str, Any]:
    """Scored candidates by how much of the weight was decided."""
    # the one column, not the whole frame (taking every column of a million
    # candidates cost 2 s)
    scored = (out["outcome"] == "scored").to_numpy(dtype=bool)
    share = out["weight_assessed"].astype(float)[scored]
    return {
        "scored_fully_assessed": int((share >= 1.0 - 1e-9).sum()),
        "scored_partly_assessed": int((share < 1.0 - 1e-9).sum()),
        "weight_assessed_min": round(float(share.min()), 4) if len(share) else None,
    }


def _by_municipality(out: pd.DataFrame) -> dict[str, dict[str, int]]:
    groups = out.groupby(out["municipality_code"].fillna("onbekend"))["outcome"]
    return {str(k): {o: int(v) for o, v in g.value_counts().items()} for k, g in groups}


def build_summary(
    scan: ScanDefinition,
    out: gpd.GeoDataFrame,
    table: RuleTable,
    *,
    sources: tuple[LayerSource, ...],
    area: Path | None,
    n_in: int,
    reference_date: str,
    accounting: dict[str, Any] | None = None,
    joins: dict[str, Any] | None = None,
    coverage: Mapping[str, Coverage] | None = None,
    plans: list[dict[str, Any]] | None = None,
    decided: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Build the summary of one scan and check that every candidate is counted.

    ``plans`` (status and date of every zoning plan, see
    :func:`kansenkaart.model.zoning.plan_currency`) is written under ``plans``.
    ``decided`` gives per rule id the counts of :func:`rule_decided_counts`
    when ``table`` does not hold the values (a scan written in partitions
    sums them over its partitions).

    Raises
    ------
    AssertionError
        When the outcome counts do not add up to the candidates that entered
        (a programming error, never a data problem).
    """
    counts = out["outcome"].value_counts()
    inputs = _inputs(sources, area)
    attribution = [attribution_for(i["layer"], i["format"]) for i in inputs]
    summary = {
        "scan": {
            "name": scan.name,
            "title": scan.title,
            "version": scan.version,
            "unit": scan.unit,
            "fallback_unit": scan.fallback_unit,
            "regime": scan.regime,
            "horizon_years": scan.horizon_years,
            "top_k": scan.top_k,
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "reference_date": reference_date,
        "candidates_in": n_in,
        **{o: int(counts.get(o, 0)) for o in OUTCOMES},
        "skipped_rules": [r.id for r in table.skipped],
        "not_applicable_rules": [r.id for r in table.not_applicable],
        "rules": [_rule_entry(r, table, out, decided) for r in scan.rules],
        "coverage": {k: c.as_dict() for k, c in (coverage or {}).items()},
        "completeness": _completeness(out),
        "inputs": inputs,
        "attribution": list(dict.fromkeys(a for a in attribution if a)),
        "scan_file": _scan_file(scan),
        "map_fields": list(scan.map_fields),
        "by_municipality": _by_municipality(out),
        "accounting": accounting or {},
        "joins": joins or {},
        "plans": list(plans or []),
    }
    total = sum(summary[o] for o in OUTCOMES)
    if total != n_in or out.index.has_duplicates:
        msg = f"accounting failed: {n_in} candidates in, {total} out"
        raise AssertionError(msg)
    return summary
