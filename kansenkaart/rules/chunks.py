"""Spatial chunks of candidates, and the layers each chunk needs.

Both engines split the candidates into spatially compact chunks along a
Hilbert curve: the fast engine evaluates the chunks in threads on shared
layers, the Dask engine sends each chunk with its own cut of the layers
(the chunk's bounding box plus a *halo* as wide as the longest distance a
rule looks) to a worker. Every rule value depends only on the candidate and
the layer features near it, so chunking never changes a result.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.rules.definition import Rule
from kansenkaart.rules.predicates import PREDICATES

__all__ = ["clip_layers", "halo_m", "in_candidate_order", "spatial_chunks"]

#: Id columns by which tables are cut to a chunk's candidates.
ID_COLUMNS = ("parcel_id", "building_id", "candidate_id")


def spatial_chunks(candidates: gpd.GeoDataFrame, chunk_size: int) -> list[np.ndarray]:
    """Positions of the candidates, split into chunks of at most ``chunk_size``.

    Chunks follow the Hilbert curve through the candidates' bounding-box
    centres, so each chunk is spatially compact; positions within a chunk
    keep their original order.
    """
    n = len(candidates)
    if n <= chunk_size:
        return [np.arange(n)]
    order = np.argsort(candidates.geometry.hilbert_distance().to_numpy(), kind="stable")
    return [np.sort(part) for part in np.array_split(order, -(-n // chunk_size))]


def in_candidate_order(
    parts: list[pd.DataFrame], chunks: list[np.ndarray], index: pd.Index
) -> pd.DataFrame:
    """Concatenate per-chunk results back into the candidates' order.

    ``parts[i]`` holds the rows of the candidates at positions ``chunks[i]``;
    rows are placed by position, not by looking up millions of ids.
    """
    order = np.argsort(np.concatenate(chunks), kind="stable")
    out = pd.concat(parts, ignore_index=True).iloc[order]
    out.index = index
    return out


def halo_m(rules: tuple[Rule, ...] | list[Rule]) -> float:
    """The longest distance any rule looks beyond a candidate (m).

    Taken from each predicate's :class:`~kansenkaart.rules.predicates.PredicateSpec`
    (its ``reach_param``), never from parameter names.
    """
    reach = [PREDICATES[r.predicate].spec.reach_m(r.params) for r in rules]
    return max(reach, default=0.0)


def clip_layers(
    layers: dict[str, Any],
    bounds: tuple[float, float, float, float],
    halo: float,
    ids: pd.Index,
) -> dict[str, Any]:
    """The part of each layer a chunk needs.

    Vector layers keep the features whose bounding box meets ``bounds``
    widened by ``halo`` metres (in their original order); tables with an id
    column keep the rows of the chunk's candidates; rasters (paths) and
    other tables pass whole.
    """
    box = shapely.box(
        bounds[0] - halo, bounds[1] - halo, bounds[2] + halo, bounds[3] + halo
    )
    out: dict[str, Any] = {}
    for name, layer in layers.items():
        if isinstance(layer, gpd.GeoDataFrame):
            hit = np.sort(layer.sindex.query(box))
            out[name] = layer.iloc[hit]
        elif isinstance(layer, pd.DataFrame):
            col = next((c for c in ID_COLUMNS if c in layer.columns), None)
            out[name] = layer[layer[col].isin(ids)] if col is not None else layer
        else:
            out[name] = layer
    return out
