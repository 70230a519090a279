"""Turn a scan result into the compact JSON payload the map script reads.

This is where the only reprojection to WGS84 (EPSG:4326) happens. Geometries
are simplified in RD New (metres) first, then stored at web precision
(1e-6 degree, about 10 cm) as delta-encoded integers in the ragged layout of
:func:`shapely.to_ragged_array`. Repeated texts (rule results, reasons,
municipalities) are stored once in a string table.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from kansenkaart.crs import WGS84
from kansenkaart.model.privacy import map_owner_classes
from kansenkaart.render._privacy import check_map_fields
from kansenkaart.results import (
    CONTEXT_LAYERS,
    OUTCOME_ORDER,
    VALUE_PREFIX,
    ScanResult,
    order_candidates,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["SIMPLIFY_M", "build_payload", "context_payload", "live_payload"]

logger = logging.getLogger(__name__)

#: Simplification tolerance in metres (RD New) before reprojection.
SIMPLIFY_M = 0.5
_SCALE = 1_000_000  # 1e-6 degree per integer unit
_OUTCOME_CODE = {o: i for i, o in enumerate(OUTCOME_ORDER)}
_FIELD_LABELS = {
    "owner_class": "Eigenaar (klasse)",
    "year_built": "Bouwjaar",
    "area_m2": "Oppervlakte (m²)",
}


def build_payload(result: ScanResult, *, title: str | None) -> dict[str, Any]:
    """Return the JSON-ready payload (meta, strings, candidates, context).

    Parameters
    ----------
    result : ScanResult
        Checked scan result in EPSG:28992.
    title : str or None
        Map title; the scan title from the summary when None.

    Returns
    -------
    dict
        ``{"meta", "strings", "candidates", "context"}``; coordinates are
        WGS84 integers of 1e-6 degree.
    """
    fields = check_map_fields(
        result.summary.get("map_fields", []), result.candidates.columns
    )
    frame = order_candidates(_keep_drawable(result.candidates))
    strings = _StringTable()
    candidates = _candidate_columns(frame, result.rule_ids, fields, strings)
    candidates["geom"] = _encode_geometries(frame.geometry)
    candidates["mcode"] = strings.codes(frame["municipality_code"].fillna(""))
    return {
        "meta": _meta(result, title=title, fields=fields),
        "strings": strings.values,
        "candidates": candidates,
        "context": context_payload(result.context),
        "live": live_payload(frame, result.summary),
    }


def _keep_drawable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    empty = frame.geometry.isna() | frame.geometry.is_empty
    if empty.any():
        logger.warning(
            "%d candidates without geometry are left off the map (first: %s)",
            int(empty.sum()),
            ", ".join(map(str, frame.index[empty][:5])),
        )
    return frame.loc[~empty]


class _StringTable:
    """Intern repeated strings; the payload refers to them by index."""

    def __init__(self) -> None:
        self.values: list[str] = [""]
        self._index: dict[str, int] = {"": 0}

    def codes(self, series: pd.Series) -> list[int]:
        text = series.astype("string").fillna("")
        for value in pd.unique(text):
            self._index.setdefault(str(value), len(self._index))
        self.values = list(self._index)
        return [self._index[str(v)] for v in text]


def _candidate_columns(
    frame: gpd.GeoDataFrame,
    rule_ids: list[str],
    fields: list[str],
    strings: _StringTable,
) -> dict[str, Any]:
    extra = frame[fields].copy()
    if "owner_class" in extra:
        extra["owner_class"] = map_owner_classes(extra["owner_class"])
    points = shapely.point_on_surface(frame.geometry.values)
    return {
        "id": frame.index.astype(str).tolist(),
        "outcome": frame["outcome"].map(_OUTCOME_CODE).astype(int).tolist(),
        "score": _nullable_numbers(frame["score"], decimals=1),
        **_completeness_columns(frame, strings),
        "rank": _nullable_numbers(frame["rank"], decimals=0),
        "rank_m": _nullable_numbers(frame["rank_municipality"], decimals=0),
        "muni": strings.codes(_municipality_labels(frame)),
        "reason": strings.codes(frame["reason_nl"]),
        "rules": [strings.codes(frame[rule_id]) for rule_id in rule_ids],
        "fields": [strings.codes(_text(extra[name])) for name in fields],
        "point": _encode_points(points, frame.crs),
    }


def _completeness_columns(
    frame: gpd.GeoDataFrame, strings: _StringTable
) -> dict[str, Any]:
    """``score_min``, ``score_max``, ``weight_assessed`` and the text
    "beoordeeld op 3 van 6 criteria (58 % van het gewicht)" (null where a
    result folder predates them)."""
    empty = pd.Series(pd.NA, index=frame.index, dtype="Float64")
    text = frame.get("assessed_nl", pd.Series(pd.NA, index=frame.index))
    return {
        "score_min": _nullable_numbers(frame.get("score_min", empty), decimals=1),
        "score_max": _nullable_numbers(frame.get("score_max", empty), decimals=1),
        "weight_assessed": _nullable_numbers(
            frame.get("weight_assessed", empty), decimals=3
        ),
        "assessed": strings.codes(text.astype("string").fillna("")),
    }


def _municipality_labels(frame: gpd.GeoDataFrame) -> pd.Series:
    name = frame["municipality_name"].astype("string")
    code = frame["municipality_code"].astype("string")
    return name.fillna(code).fillna("onbekende gemeente")


def _text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series):
        return series.map(_format_number)
    return series.astype("string")


def _format_number(value: float) -> str:
    if pd.isna(value):
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _nullable_numbers(series: pd.Series, *, decimals: int) -> list[float | None]:
    values = pd.to_numeric(series, errors="coerce").round(decimals)
    if decimals == 0:
        return [None if pd.isna(v) else int(v) for v in values]
    return [None if pd.isna(v) else float(v) for v in values]


def _to_wgs84_ints(coords: np.ndarray, crs: Any) -> np.ndarray:
    from pyproj import Transformer  # noqa: PLC0415 - only needed here

    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
    return np.round(np.column_stack([lon, lat]) * _SCALE).astype(np.int64)


def _encode_points(points: np.ndarray, crs: Any) -> list[int]:
    coords = shapely.get_coordinates(points)
    return _to_wgs84_ints(coords, crs).ravel().tolist()


def _encode_geometries(geoms: gpd.GeoSeries) -> dict[str, list[int]]:
    """Simplify in metres and encode as delta integers plus ragged offsets."""
    simple = shapely.simplify(geoms.values, SIMPLIFY_M, preserve_topology=True)
    polygonal = np.isin(shapely.get_type_id(simple), [3, 6])
    simple = np.where(polygonal, simple, shapely.buffer(simple, 1.0, quad_segs=2))
    _, coords, offsets = shapely.to_ragged_array(simple)
    if len(offsets) == 2:  # only single polygons: add a one-part level
        offsets = (*offsets, np.arange(len(simple) + 1))
    ints = _to_wgs84_ints(coords, geoms.crs)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    rings, polys, parts = (o.tolist() for o in offsets)
    return {"xy": deltas.ravel().tolist(), "ring": rings, "poly": polys, "part": parts}


def _meta(
    result: ScanResult, *, title: str | None, fields: list[str]
) -> dict[str, Any]:
    summary = result.summary
    scan = summary.get("scan", {})
    return {
        "title": title or scan.get("title") or scan.get("name") or "Kansenkaart",
        "scan": {k: scan.get(k) for k in ("name", "version", "unit", "regime")},
        "created": summary.get("created"),
        "package_version": summary.get("package_version"),
        "counts": {
            k: summary.get(k)
            for k in ("candidates_in", "excluded", "scored", "unknown")
        },
        "skipped_rules": list(summary.get("skipped_rules", [])),
        "rules": [
            {k: rule.get(k) for k in ("id", "title", "kind", "weight", "source")}
            for rule in summary["rules"]
        ],
        "fields": [{"key": f, "label": _FIELD_LABELS.get(f, f)} for f in fields],
        "attribution": [str(a) for a in summary.get("attribution", [])],
        "inputs": [
            {"name": str(i.get("path", "")).rsplit("/", 1)[-1], "kind": i.get("layer")}
            for i in summary.get("inputs", [])
        ],
        "plans": [
            {k: p.get(k) for k in ("plan_id", "plan_status", "plan_date", "note_nl")}
            for p in summary.get("plans", [])
        ],
    }


def context_payload(context: dict[str, gpd.GeoDataFrame]) -> dict[str, Any]:
    """Return the context layers as GeoJSON in WGS84 with rounded coordinates.

    Parameters
    ----------
    context : dict of str to geopandas.GeoDataFrame
        Layers ``boundary``, ``zoning``, ``buildings`` in EPSG:28992.

    Returns
    -------
    dict
        Layer name to a GeoJSON FeatureCollection with at most one property
        (``name`` or ``main_group``).
    """
    out = {}
    for name, gdf in context.items():
        column = CONTEXT_LAYERS[name]
        keep = [column] if column and column in gdf else []
        layer = gdf[[*keep, gdf.geometry.name]].copy()
        layer = layer.set_geometry(
            shapely.simplify(layer.geometry.values, SIMPLIFY_M, preserve_topology=True)
        ).to_crs(WGS84)
        layer = layer.set_geometry(
            shapely.transform(layer.geometry.values, lambda c: np.round(c, 6))
        )
        out[name] = layer.__geo_interface__
    return out


def _value_codes(series: pd.Series) -> dict[str, list]:
    """Distinct values (exact floats) and one code per candidate (-1: null)."""
    codes, uniques = pd.factorize(pd.to_numeric(series, errors="coerce"))
    return {"u": [float(u) for u in uniques], "c": codes.tolist()}


def live_payload(frame: pd.DataFrame, summary: dict[str, Any]) -> dict[str, Any] | None:
    """What the map needs to recompute scores with other weights.

    Parameters
    ----------
    frame : pandas.DataFrame
        Candidates in map order, with ``val_<RULE>`` per evaluated rule.
    summary : dict
        The scan summary: rules with kind, weight and status, and the scan
        file's text (``scan_file.text``) for the export.

    Returns
    -------
    dict or None
        ``rules`` (id, kind, weight of each evaluated rule, in scan order),
        ``values`` (per rule: distinct values ``u`` and codes ``c``, -1 for
        undecided) and ``scan_text``; None for a result without raw rule
        values (written before they existed, or built by hand).
    """
    rules = summary.get("rules", [])
    if not rules or any("status" not in rule for rule in rules):
        return None
    evaluated = [rule for rule in rules if rule["status"] == "evaluated"]
    # skipped rules (layer absent) are undecided everywhere; after the evaluated
    # ones, as score.py sums the weights
    skipped = [rule for rule in rules if rule["status"] == "skipped"]
    columns = [f"{VALUE_PREFIX}{rule['id']}" for rule in evaluated]
    if any(column not in frame for column in columns):
        logger.info("no raw rule values in this result: the map has fixed weights")
        return None
    undecided = {"u": [], "c": [-1] * len(frame)}
    return {
        "rules": [
            {
                "id": str(r["id"]),
                "kind": r["kind"],
                "weight": float(r["weight"] or 0),
                "on_unknown": r.get("on_unknown") or "unknown",
            }
            for r in (*evaluated, *skipped)
        ],
        "values": [_value_codes(frame[column]) for column in columns]
        + [undecided for _ in skipped],
        "scan_text": summary.get("scan_file", {}).get("text"),
    }
