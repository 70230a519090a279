"""Generate synthetic provinces for benchmarks and scale tests.

:func:`generate_province` builds parcels, buildings and zoning in the
canonical schemas (:mod:`kansenkaart.model.schema`), plus ownership and
vacancy tables, for any number of parcels. Everything is vectorised with
numpy and shapely 2 array functions (no loop per feature), so a province of a
million parcels takes seconds, and everything is drawn from one
``numpy.random.Generator`` seeded by ``seed``: the same seed gives the same
frames and byte-identical GeoParquet files.

Layout (EPSG:28992, starting at x=80,000, y=430,000 and growing with ``n``):

* the area is cut into vertical *bands* (40–240 m wide) and every band into
  *rows* (15–45 m high) with straight borders; a row is cut into parcels by
  slanted dividers, so parcels are irregular quadrilaterals of 100–2,000 m²
  that tile the area exactly (no gaps, no overlaps; shared vertices are the
  same floats);
* zoning blocks are rectangles over a few rows of one band holding 20–200
  parcels (counted by centroid); their side borders cut through parcels, so
  some parcels lie across zone borders;
* a parcel holds 0–3 rectangular buildings, fewer in green, water and
  farmland zones; about ``crossing_share`` of the buildings reach over the
  parcel's right border into the neighbouring parcel.

The area bounds and the 20–200 parcels per zone hold for ``n_parcels`` of a
few hundred and more; tiny provinces may have smaller zones.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.crs import RD_NEW
from kansenkaart.errors import ConfigError
from kansenkaart.model.privacy import OWNER_CLASSES
from kansenkaart.model.schema import (
    BAG_USE_COLUMNS,
    BUILDINGS,
    PARCELS,
    ZONING,
)
from kansenkaart.model.validate import to_canonical

__all__ = ["OWNER_CLASSES", "SyntheticProvince", "generate_province", "write_province"]

logger = logging.getLogger(__name__)

_OWNER_SHARES = (0.01, 0.10, 0.02, 0.02, 0.08, 0.72, 0.05)

_X0, _Y0 = 80_000.0, 430_000.0
_MEAN_AREA_M2 = 620.0  # mean of the row targets below, used to size the area
_ROW_H_M = (15.0, 45.0)
_AREA_TARGET_M2 = (250.0, 1250.0)  # mean parcel area per row; x0.4..x1.6 per parcel
_SOURCE = "synthetic"

# IMRO bestemmingshoofdgroepen with their share of Enkelbestemming objects and
# the building profile used inside them (index into _USE_PROFILES).
_MAIN_GROUPS: tuple[tuple[str, float, int], ...] = (
    ("wonen", 0.42, 0),
    ("gemengd", 0.05, 0),
    ("centrum", 0.02, 0),
    ("kantoor", 0.03, 2),
    ("bedrijf", 0.07, 1),
    ("bedrijventerrein", 0.04, 1),
    ("detailhandel", 0.02, 4),
    ("horeca", 0.01, 4),
    ("maatschappelijk", 0.05, 3),
    ("sport", 0.01, 3),
    ("cultuur en ontspanning", 0.01, 3),
    ("groen", 0.08, 5),
    ("agrarisch", 0.07, 5),
    ("verkeer", 0.06, 5),
    ("water", 0.03, 5),
    ("natuur", 0.02, 5),
    ("recreatie", 0.01, 5),
)
_USES = tuple(BAG_USE_COLUMNS)  # BAG gebruiksdoelen, in schema order
# Primary-use shares per profile, columns in _USES order: woon, bijeenkomst,
# cel, gezondheidszorg, industrie, kantoor, logies, onderwijs, sport, winkel,
# overige.
_USE_PROFILES = np.array(
    [
        [0.84, 0.01, 0.0, 0.01, 0.01, 0.02, 0.005, 0.005, 0.005, 0.03, 0.065],
        [0.05, 0.01, 0.0, 0.0, 0.55, 0.15, 0.01, 0.0, 0.01, 0.05, 0.17],
        [0.10, 0.02, 0.0, 0.03, 0.02, 0.70, 0.02, 0.01, 0.0, 0.03, 0.07],
        [0.10, 0.25, 0.005, 0.20, 0.0, 0.05, 0.02, 0.25, 0.08, 0.0, 0.045],
        [0.25, 0.10, 0.0, 0.02, 0.01, 0.05, 0.10, 0.0, 0.0, 0.40, 0.07],
        [0.30, 0.02, 0.0, 0.0, 0.10, 0.02, 0.02, 0.0, 0.02, 0.0, 0.52],
    ]
)
_STATUSES: tuple[tuple[str, float], ...] = (
    ("Pand in gebruik", 0.925),
    ("Pand in gebruik (niet ingemeten)", 0.03),
    ("Verbouwing pand", 0.01),
    ("Pand buiten gebruik", 0.01),
    ("Bouw gestart", 0.006),
    ("Bouwvergunning verleend", 0.006),
    ("Sloopvergunning verleend", 0.005),
    ("Pand gesloopt", 0.004),
    ("Niet gerealiseerd pand", 0.002),
    ("Pand ten onrechte opgevoerd", 0.002),
)
# Construction periods and their share of the Dutch building stock.
_PERIODS: tuple[tuple[int, int, float], ...] = (
    (1600, 1900, 0.05),
    (1900, 1945, 0.15),
    (1945, 1970, 0.20),
    (1970, 1990, 0.25),
    (1990, 2010, 0.25),
    (2010, 2025, 0.10),
)
_YEAR_UNKNOWN_SHARE = 0.005  # BAG oorspronkelijk bouwjaar 9999
_SECOND_USE_SHARE = 0.08
# Which use a mixed-use building adds (same order as _USES; no cells).
_SECOND_USE_WEIGHTS = np.array(
    [0.30, 0.08, 0.0, 0.04, 0.03, 0.20, 0.05, 0.02, 0.0, 0.18, 0.10]
)
_NO_UNITS_SHARE = 0.06  # panden without verblijfsobject (sheds, garages)
# BAG municipality codes of Zuid-Holland, cycled over the synthetic municipalities.
_GM_CODES = (
    "0599", "0518", "0546", "0503", "0637", "0622", "0513", "0484", "0603",
    "0610", "0629", "0626", "0569", "0575", "0547", "0553", "0606", "0613",
    "0614", "0505", "0531", "0537", "0542", "0556", "0590", "0597", "1621",
)  # fmt: skip
_PLAN_STATUSES = (("vastgesteld", 0.45), ("onherroepelijk", 0.45), ("ontwerp", 0.10))
_GEMEENTE_M = 5000.0
_SECTION_M = 1000.0
_PLAN_M = 2000.0


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SyntheticProvince:
    """A generated province: canonical layers plus context tables.

    Attributes
    ----------
    parcels, buildings, zoning : geopandas.GeoDataFrame
        Canonical layers in EPSG:28992 with a ``RangeIndex``.
    ownership : pandas.DataFrame or None
        One row per parcel: ``parcel_id``, ``owner_class``.
    vacancy : pandas.DataFrame or None
        Vacant buildings: ``building_id``, ``vacant_since`` (datetime64).
    seed : int
        Seed the province was generated from.
    """

    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    zoning: gpd.GeoDataFrame
    ownership: pd.DataFrame | None
    vacancy: pd.DataFrame | None
    seed: int


@dataclass(frozen=True, slots=True)
class _Rows:
    band: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    k: np.ndarray  # parcels per row


@dataclass(frozen=True, slots=True)
class _Quads:
    """Parcel corners: bottom-left/right and top-left/right x, bottom/top y."""

    xbl: np.ndarray
    xbr: np.ndarray
    xtl: np.ndarray
    xtr: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    row: np.ndarray

    def take(self, idx: np.ndarray) -> _Quads:
        return _Quads(*(a[idx] for a in self._arrays()))

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (self.xbl, self.xbr, self.xtl, self.xtr, self.y0, self.y1, self.row)

    @property
    def area(self) -> np.ndarray:
        return (self.y1 - self.y0) * ((self.xbr - self.xbl) + (self.xtr - self.xtl)) / 2

    @property
    def anchor_x(self) -> np.ndarray:
        return (self.xbl + self.xbr + self.xtl + self.xtr) / 4

    @property
    def anchor_y(self) -> np.ndarray:
        return (self.y0 + self.y1) / 2


# ---------------------------------------------------------------------------
# parcels
# ---------------------------------------------------------------------------


def _check_args(n_parcels: int, building_share: float, crossing_share: float) -> None:
    problems = []
    if not isinstance(n_parcels, int | np.integer) or n_parcels < 1:
        problems.append(f"n_parcels must be a positive integer, not {n_parcels!r}")
    if not 0.0 <= building_share <= 1.0:
        problems.append(f"building_share must be in [0, 1], not {building_share!r}")
    if not 0.0 <= crossing_share <= 1.0:
        problems.append(f"crossing_share must be in [0, 1], not {crossing_share!r}")
    if problems:
        raise ConfigError("; ".join(problems) + ".")


def _rows_layout(rng: np.random.Generator, n: int) -> _Rows:
    """Cut an area sized for about ``1.1 * n`` parcels into bands and rows."""
    height = max(60.0, math.sqrt(n * _MEAN_AREA_M2 * 1.25))
    band_mean = min(140.0, max(40.0, 0.35 * height))
    n_rows = max(1, round(height / sum(_ROW_H_M) * 2))
    n_bands = math.ceil(1.1 * n * _MEAN_AREA_M2 / (height * band_mean)) + 2
    widths = np.round(rng.uniform(0.6, 1.4, n_bands) * band_mean, 1)
    bx = np.round(_X0 + np.concatenate([[0.0], np.cumsum(widths)]), 3)
    raw_h = rng.uniform(*_ROW_H_M, (n_bands, n_rows))
    cum_h = np.cumsum(raw_h, axis=1) / raw_h.sum(axis=1, keepdims=True) * height
    ry = np.round(_Y0 + np.concatenate([np.zeros((n_bands, 1)), cum_h], axis=1), 3)
    ry[:, -1] = round(_Y0 + height, 3)
    band = np.repeat(np.arange(n_bands), n_rows)
    x0, x1 = bx[:-1][band], bx[1:][band]
    y0, y1 = ry[:, :-1].ravel(), ry[:, 1:].ravel()
    row_area = (x1 - x0) * (y1 - y0)
    target = np.exp(rng.uniform(*np.log(_AREA_TARGET_M2), band.size))
    k_lo = np.ceil(row_area / _AREA_TARGET_M2[1])
    k_hi = np.maximum(1.0, np.floor(row_area / _AREA_TARGET_M2[0]))
    k = np.clip(np.round(row_area / target), k_lo, k_hi).astype(np.int64)
    return _Rows(band, x0, x1, y0, y1, k)


def _keep_rows(rows: _Rows, n: int) -> _Rows:
    """Keep the whole rows that hold at most ``n`` parcels in total."""
    keep = np.cumsum(rows.k) <= n
    if not keep.any():  # tiny province: the first row alone holds more than n
        keep[0] = True
        k = rows.k.copy()
        k[0] = n
        rows = _Rows(rows.band, rows.x0, rows.x1, rows.y0, rows.y1, k)
    return _Rows(
        *(a[keep] for a in (rows.band, rows.x0, rows.x1, rows.y0, rows.y1, rows.k))
    )


def _quads_from_rows(rng: np.random.Generator, rows: _Rows) -> _Quads:
    """Cut every row into ``k`` parcels with jittered, slanted dividers."""
    n_div = rows.k + 1
    r = np.repeat(np.arange(rows.k.size), n_div)
    start = np.concatenate([[0], np.cumsum(n_div)[:-1]])
    j = np.arange(r.size) - start[r]
    step = (rows.x1 - rows.x0)[r] / rows.k[r]
    interior = (j > 0) & (j < rows.k[r])
    jitter = np.where(interior, rng.uniform(-0.3, 0.3, r.size), 0.0)
    slant = np.where(interior, rng.uniform(-0.2, 0.2, r.size), 0.0) * step
    mid = rows.x0[r] + (j + jitter) * step
    xb = np.round(mid - slant / 2, 3)
    xt = np.round(mid + slant / 2, 3)
    ends = ~interior
    xb[ends] = np.where(j[ends] == 0, rows.x0[r][ends], rows.x1[r][ends])
    xt[ends] = xb[ends]
    left = np.flatnonzero(j < rows.k[r])  # every divider but the last of a row
    row = r[left]
    return _Quads(
        xb[left], xb[left + 1], xt[left], xt[left + 1], rows.y0[row], rows.y1[row], row
    )


def _split_largest(q: _Quads, n: int) -> _Quads:
    """Halve the largest parcels until there are exactly ``n``."""
    while q.xbl.size < n:  # one pass unless the province is tiny
        m = min(n - q.xbl.size, q.xbl.size)
        big = np.zeros(q.xbl.size, dtype=bool)
        big[np.argsort(-q.area, kind="stable")[:m]] = True
        xbm = np.round((q.xbl + q.xbr) / 2, 3)
        xtm = np.round((q.xtl + q.xtr) / 2, 3)
        right = _Quads(xbm, q.xbr, xtm, q.xtr, q.y0, q.y1, q.row).take(big)
        left = _Quads(
            q.xbl,
            np.where(big, xbm, q.xbr),
            q.xtl,
            np.where(big, xtm, q.xtr),
            q.y0,
            q.y1,
            q.row,
        )
        # Order: every right half directly after its left half.
        pos = np.concatenate([np.arange(q.xbl.size), np.flatnonzero(big) + 0.5])
        order = np.argsort(pos, kind="stable")
        q = _Quads(
            *(
                np.concatenate([a, b])[order]
                for a, b in zip(left._arrays(), right._arrays(), strict=True)
            )
        )
    return q


def _quad_polygons(q: _Quads) -> np.ndarray:
    coords = np.stack(
        [
            np.stack([q.xbl, q.y0], axis=1),
            np.stack([q.xbr, q.y0], axis=1),
            np.stack([q.xtr, q.y1], axis=1),
            np.stack([q.xtl, q.y1], axis=1),
            np.stack([q.xbl, q.y0], axis=1),
        ],
        axis=1,
    )
    return shapely.polygons(coords)


def _rank_within(keys: np.ndarray) -> np.ndarray:
    """1-based position of every element among the elements with its key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    start = np.maximum.accumulate(np.where(first, np.arange(keys.size), 0))
    rank = np.empty(keys.size, dtype=np.int64)
    rank[order] = np.arange(keys.size) - start + 1
    return rank


def _gemeente_of(x: np.ndarray, y: np.ndarray, x_max: float) -> np.ndarray:
    n_cols = max(1, math.ceil((x_max - _X0) / _GEMEENTE_M))
    gx = np.floor((x - _X0) / _GEMEENTE_M).astype(np.int64)
    gy = np.floor((y - _Y0) / _GEMEENTE_M).astype(np.int64)
    return gy * n_cols + gx


def _parcel_frame(rng: np.random.Generator, q: _Quads) -> gpd.GeoDataFrame:
    cx, cy = q.anchor_x, q.anchor_y
    gem = _gemeente_of(cx, cy, float(q.xbr.max()))
    sec_x = np.floor((cx - _X0) % _GEMEENTE_M / _SECTION_M).astype(np.int64)
    sec_y = np.floor((cy - _Y0) % _GEMEENTE_M / _SECTION_M).astype(np.int64)
    sec = sec_y * 5 + sec_x
    number = _rank_within(gem * 25 + sec)
    akr = pd.Series(gem + 1).astype("string").str.zfill(2)
    section = pd.Series(
        np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXY"))[sec], dtype="string"
    )
    number_s = pd.Series(number).astype("string")
    area = np.round(q.area, 2)
    registered = np.round(area * rng.normal(1.0, 0.01, area.size))
    df = pd.DataFrame(
        {
            "parcel_id": "SYN" + akr + "-" + section + "-" + number_s,
            "cadastral_object_id": pd.Series(
                np.arange(area.size) + 10_000_000_000_000
            ).astype("string"),
            "municipality_cadastral": "Synthdorp " + akr,
            "section": section,
            "parcel_number": number_s,
            "registered_area_m2": registered,
            "area_m2": area,
            "source": _SOURCE,
        }
    )
    gdf = gpd.GeoDataFrame(df, geometry=_quad_polygons(q), crs=RD_NEW)
    return to_canonical(gdf, PARCELS)


# ---------------------------------------------------------------------------
# zoning
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Zones:
    x0: np.ndarray
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    parcel_zone: np.ndarray  # zone index of every parcel (by anchor point)


def _row_groups(rng: np.random.Generator, rows: _Rows, q: _Quads) -> np.ndarray:
    """Group consecutive rows of a band so that a group holds ~60–140 parcels."""
    k = np.bincount(q.row, minlength=rows.band.size)
    band_first = np.concatenate([[True], rows.band[1:] != rows.band[:-1]])
    band_last = np.concatenate([band_first[1:], [True]])
    cum = np.cumsum(k)
    band_start = np.maximum.accumulate(np.where(band_first, cum - k, 0))
    size = rng.uniform(60, 140, rows.band.max() + 1)[rows.band]
    local = np.floor((cum - k - band_start) / size).astype(np.int64)
    new = band_first | np.concatenate([[False], local[1:] != local[:-1]])
    group = np.cumsum(new) - 1
    totals = np.bincount(group, weights=k)
    first_row = np.flatnonzero(new)
    last_row = np.concatenate([first_row[1:] - 1, [group.size - 1]])
    # A band's last group may be small: merge it into the group below it.
    merge = band_last[last_row] & (totals < 20) & ~band_first[first_row]
    target = np.arange(totals.size) - merge
    return np.unique(target[group], return_inverse=True)[1]


def _zone_layout(rng: np.random.Generator, rows: _Rows, q: _Quads) -> _Zones:
    """Cut every row group into zones holding equal numbers of parcels."""
    row_group = _row_groups(rng, rows, q)
    group = row_group[q.row]
    n_groups = row_group.max() + 1
    totals = np.bincount(group, minlength=n_groups)
    target = rng.uniform(50, 110, n_groups)
    n_z = np.maximum(1, np.round(totals / target)).astype(np.int64)
    ax = q.anchor_x
    order = np.lexsort((ax, group))
    g_sorted = group[order]
    rank = np.arange(order.size) - np.searchsorted(g_sorted, g_sorted)
    local = rank * n_z[g_sorted] // totals[g_sorted]
    zone_offset = np.concatenate([[0], np.cumsum(n_z)[:-1]])
    zone_sorted = zone_offset[g_sorted] + local
    parcel_zone = np.empty(order.size, dtype=np.int64)
    parcel_zone[order] = zone_sorted
    # Zone x-borders halfway between the last anchor of one zone and the next.
    starts = np.flatnonzero(
        np.concatenate([[True], zone_sorted[1:] != zone_sorted[:-1]])
    )
    zg = g_sorted[starts]
    first_in_group = np.concatenate([[True], zg[1:] != zg[:-1]])
    ax_sorted = ax[order]
    border = np.round((ax_sorted[starts] + ax_sorted[np.maximum(starts - 1, 0)]) / 2, 3)
    g_x0 = np.full(n_groups, np.inf)
    np.minimum.at(g_x0, row_group, rows.x0)
    g_x1, g_y0, g_y1 = (np.zeros(n_groups) for _ in range(3))
    np.maximum.at(g_x1, row_group, rows.x1)
    g_y0[:] = np.inf
    np.minimum.at(g_y0, row_group, rows.y0)
    np.maximum.at(g_y1, row_group, rows.y1)
    x0 = np.where(first_in_group, g_x0[zg], border)
    last_in_group = np.concatenate([first_in_group[1:], [True]])
    x1 = np.where(last_in_group, g_x1[zg], np.concatenate([border[1:], [0.0]]))
    return _Zones(x0, x1, g_y0[zg], g_y1[zg], parcel_zone)


def _choice(rng: np.random.Generator, shares: np.ndarray, size: int) -> np.ndarray:
    cdf = np.cumsum(shares / shares.sum())
    return np.minimum(
        np.searchsorted(cdf, rng.random(size), side="right"), cdf.size - 1
    )


def _zoning_frame(
    rng: np.random.Generator, z: _Zones
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    n = z.x0.size
    groups = np.array([g for g, _, _ in _MAIN_GROUPS])
    group_idx = _choice(rng, np.array([s for _, s, _ in _MAIN_GROUPS]), n)
    suffix = rng.integers(0, 4, n)
    cx, cy = (z.x0 + z.x1) / 2, (z.y0 + z.y1) / 2
    n_cols = max(1, math.ceil((float(z.x1.max()) - _X0) / _PLAN_M))
    plan = (
        np.floor((cy - _Y0) / _PLAN_M) * n_cols + np.floor((cx - _X0) / _PLAN_M)
    ).astype(np.int64)
    plans, plan_idx = np.unique(plan, return_inverse=True)
    n_plans = plans.size
    gm = np.array(_GM_CODES)[plans % len(_GM_CODES)]
    plan_ids = pd.Series(
        [f"NL.IMRO.{g}.BPsyn{p:05d}-VA01" for g, p in zip(gm, plans, strict=True)]
    )
    plan_names = pd.Series([f"Synthwijk {p}" for p in plans])
    statuses = np.array([s for s, _ in _PLAN_STATUSES])[
        _choice(rng, np.array([w for _, w in _PLAN_STATUSES]), n_plans)
    ]
    dates = np.datetime64("2008-01-01") + rng.integers(0, 6200, n_plans)
    version = np.where(rng.random(n_plans) < 0.9, "IMRO2012", "IMRO2008")
    names = pd.Series(np.char.capitalize(groups[group_idx]))
    names = names.where(suffix == 0, names + " - " + pd.Series(suffix).astype(str))
    df = pd.DataFrame(
        {
            "object_id": "NL.IMRO.PT.s" + pd.Series(np.arange(1, n + 1)).astype(str),
            "object_type": "Enkelbestemming",
            "name": names,
            "main_group": groups[group_idx],
            "value": pd.NA,
            "plan_id": plan_ids.to_numpy()[plan_idx],
            "plan_name": plan_names.to_numpy()[plan_idx],
            "plan_status": statuses[plan_idx],
            "plan_date": dates.astype(str)[plan_idx],
            "imro_version": version[plan_idx],
            "source": _SOURCE,
        }
    )
    geom = shapely.box(z.x0, z.y0, z.x1, z.y1)
    gdf = gpd.GeoDataFrame(df, geometry=geom, crs=RD_NEW)
    profile = np.array([p for _, _, p in _MAIN_GROUPS])[group_idx]
    return to_canonical(gdf, ZONING), profile


# ---------------------------------------------------------------------------
# buildings
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Footprints:
    parcel: np.ndarray
    profile: np.ndarray
    x0: np.ndarray
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray


def _building_counts(
    rng: np.random.Generator, profile: np.ndarray, building_share: float
) -> np.ndarray:
    """Draw 0–3 buildings per parcel, ``building_share`` of parcels having any.

    Open land (profile 5) is five times less likely to hold a building.
    """
    weight = np.where(profile == 5, 0.2, 1.0)
    lo, hi = 0.0, 5.0  # scale c with mean(min(1, c * weight)) == building_share
    for _ in range(50):  # bisection on one scalar
        mid = (lo + hi) / 2
        lo, hi = (
            (mid, hi)
            if np.minimum(1, mid * weight).mean() < building_share
            else (lo, mid)
        )
    has = rng.random(profile.size) < np.minimum(1.0, hi * weight)
    n_more = _choice(rng, np.array([0.35, 0.35, 0.30]), profile.size) + 1
    return np.where(has, n_more, 0)


def _footprints(
    rng: np.random.Generator, q: _Quads, counts: np.ndarray, profile: np.ndarray
) -> _Footprints:
    """Place ``counts[i]`` rectangles side by side inside parcel ``i``."""
    parcel = np.repeat(np.arange(counts.size), counts)
    slot = np.arange(parcel.size) - np.repeat(np.cumsum(counts) - counts, counts)
    in_x0 = np.maximum(q.xbl, q.xtl)[parcel]
    in_x1 = np.minimum(q.xbr, q.xtr)[parcel]
    slot_w = (in_x1 - in_x0) / counts[parcel]
    h = (q.y1 - q.y0)[parcel]
    n = parcel.size
    w = slot_w * rng.uniform(0.5, 0.9, n)
    d = h * rng.uniform(0.3, 0.7, n)
    bx0 = in_x0 + slot * slot_w + (slot_w - w) * rng.random(n)
    by0 = q.y0[parcel] + (h - d) * rng.uniform(0.1, 0.9, n)
    return _Footprints(
        parcel, profile[parcel], np.round(bx0, 2), np.round(bx0 + w, 2),
        np.round(by0, 2), np.round(by0 + d, 2),
    )  # fmt: skip


def _make_crossing(
    rng: np.random.Generator, f: _Footprints, q: _Quads, crossing_share: float
) -> _Footprints:
    """Stretch some buildings over the right border of their parcel."""
    last_slot = np.concatenate([f.parcel[1:] != f.parcel[:-1], [True]])
    has_right = np.concatenate([q.row[1:] == q.row[:-1], [False]])[f.parcel]
    eligible = last_slot & has_right
    p = min(1.0, crossing_share * f.parcel.size / max(1, int(eligible.sum())))
    cross = eligible & (rng.random(f.parcel.size) < p)
    border = np.maximum(q.xbr, q.xtr)[f.parcel]
    x1 = np.where(
        cross, np.round(border + rng.uniform(0.5, 1.5, f.parcel.size), 2), f.x1
    )
    return _Footprints(f.parcel, f.profile, f.x0, x1, f.y0, f.y1)


def _uses(rng: np.random.Generator, profile: np.ndarray) -> np.ndarray:
    """Boolean matrix (buildings x BAG gebruiksdoelen)."""
    n = profile.size
    cdf = np.cumsum(_USE_PROFILES / _USE_PROFILES.sum(axis=1, keepdims=True), axis=1)
    primary = np.minimum(
        (rng.random(n)[:, None] >= cdf[profile]).sum(axis=1), len(_USES) - 1
    )
    second = _choice(rng, _SECOND_USE_WEIGHTS, n)
    has_second = rng.random(n) < _SECOND_USE_SHARE
    uses = np.zeros((n, len(_USES)), dtype=bool)
    uses[np.arange(n), primary] = True
    uses[np.flatnonzero(has_second), second[has_second]] = True
    no_units = rng.random(n) < _NO_UNITS_SHARE
    uses[no_units] = False
    return uses


def _year_built(rng: np.random.Generator, n: int) -> pd.Series:
    period = _choice(rng, np.array([s for _, _, s in _PERIODS]), n)
    lo = np.array([a for a, _, _ in _PERIODS])[period]
    hi = np.array([b for _, b, _ in _PERIODS])[period]
    year = np.floor(lo + (hi - lo) * rng.random(n)).astype(np.int64)
    unknown = rng.random(n) < _YEAR_UNKNOWN_SHARE
    return pd.Series(year, dtype="Int64").mask(unknown)


def _building_ids(parcel_gem: np.ndarray) -> pd.Series:
    codes = pd.Series(np.array(_GM_CODES)[parcel_gem % len(_GM_CODES)], dtype="string")
    seq = pd.Series(np.arange(1, parcel_gem.size + 1)).astype("string").str.zfill(10)
    return codes + "10" + seq


def _building_frame(
    rng: np.random.Generator, f: _Footprints, q: _Quads
) -> gpd.GeoDataFrame:
    n = f.parcel.size
    uses = _uses(rng, f.profile)
    units_any = uses.any(axis=1)
    storeys = np.where(
        uses[:, 0],
        rng.choice([1, 2, 2, 3, 3, 4, 6, 10], n),
        rng.choice([1, 1, 2, 3], n),
    )
    footprint = (f.x1 - f.x0) * (f.y1 - f.y0)
    floor = np.round(footprint * storeys * rng.uniform(0.7, 0.9, n))
    unit_size = np.where(uses[:, 0], rng.uniform(60, 150, n), rng.uniform(80, 2000, n))
    n_units = np.where(units_any, np.maximum(1, np.round(floor / unit_size)), 0)
    status = np.array([s for s, _ in _STATUSES])[
        _choice(rng, np.array([w for _, w in _STATUSES]), n)
    ]
    gem = _gemeente_of(q.anchor_x, q.anchor_y, float(q.xbr.max()))[f.parcel]
    df = pd.DataFrame(
        {
            "building_id": _building_ids(gem),
            "year_built": _year_built(rng, n),
            "status": status,
            **{BAG_USE_COLUMNS[u]: uses[:, i] for i, u in enumerate(_USES)},
            "floor_area_m2": pd.Series(floor, dtype="Float64").mask(~units_any),
            "n_units": n_units,
            "height_m": np.round(storeys * 3.0 + rng.uniform(0.5, 2.5, n), 2),
            "storeys": storeys,
            "source": _SOURCE,
        }
    )
    geom = shapely.box(f.x0, f.y0, f.x1, f.y1)
    return to_canonical(gpd.GeoDataFrame(df, geometry=geom, crs=RD_NEW), BUILDINGS)


# ---------------------------------------------------------------------------
# context tables
# ---------------------------------------------------------------------------


def _ownership(rng: np.random.Generator, parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    owner = np.array(OWNER_CLASSES)[_choice(rng, np.array(_OWNER_SHARES), len(parcels))]
    return pd.DataFrame(
        {
            "parcel_id": parcels["parcel_id"].to_numpy(),
            "owner_class": pd.array(owner, dtype="string"),
        }
    )


def _vacancy(rng: np.random.Generator, buildings: gpd.GeoDataFrame) -> pd.DataFrame:
    residential = buildings["use_residential"].fillna(False).to_numpy(dtype=bool)
    share = np.where(residential, 0.02, 0.08)
    vacant = rng.random(len(buildings)) < share
    days = rng.integers(0, 3650, int(vacant.sum()))
    since = (np.datetime64("2015-01-01") + days).astype("datetime64[ns]")
    return pd.DataFrame(
        {
            "building_id": buildings["building_id"].to_numpy()[vacant],
            "vacant_since": since,
        }
    ).astype({"building_id": "string"})


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def generate_province(
    n_parcels: int,
    *,
    seed: int = 0,
    building_share: float = 0.75,
    crossing_share: float = 0.05,
    with_ownership: bool = True,
    with_vacancy: bool = True,
) -> SyntheticProvince:
    """Generate a synthetic province with ``n_parcels`` parcels.

    Parameters
    ----------
    n_parcels : int
        Exact number of parcels (1 or more).
    seed : int, default 0
        Seed of the random generator; the same seed gives the same province.
    building_share : float, default 0.75
        Share of parcels holding at least one building (0–1); such a parcel
        holds 1, 2 or 3 buildings (35/35/30 %, so about 1.5 buildings per
        parcel by default, as in Zuid-Holland), and parcels in open land
        (green, water, farmland, roads) are five times less likely to hold any.
    crossing_share : float, default 0.05
        Share of buildings that reach over their parcel's border (0–1).
    with_ownership, with_vacancy : bool, default True
        Whether to generate the ownership and vacancy tables.

    Returns
    -------
    SyntheticProvince
        Canonical parcels, buildings and zoning in EPSG:28992, plus ownership
        (``parcel_id``, ``owner_class``) and vacancy (``building_id``,
        ``vacant_since``) tables or ``None``.

    Raises
    ------
    ConfigError
        When a parameter is out of range.

    Examples
    --------
    >>> prov = generate_province(500, seed=1)
    >>> len(prov.parcels)
    500
    """
    _check_args(n_parcels, building_share, crossing_share)
    rng = np.random.default_rng(seed)
    rows = _keep_rows(_rows_layout(rng, int(n_parcels)), int(n_parcels))
    q = _split_largest(_quads_from_rows(rng, rows), int(n_parcels))
    parcels = _parcel_frame(rng, q)
    zones = _zone_layout(rng, rows, q)
    zoning, zone_profile = _zoning_frame(rng, zones)
    profile = zone_profile[zones.parcel_zone]
    counts = _building_counts(rng, profile, building_share)
    foot = _make_crossing(rng, _footprints(rng, q, counts, profile), q, crossing_share)
    buildings = _building_frame(rng, foot, q)
    ownership = _ownership(rng, parcels) if with_ownership else None
    vacancy = _vacancy(rng, buildings) if with_vacancy else None
    logger.info(
        "synthetic province (seed %d): %d parcels, %d buildings, %d zones, EPSG:28992",
        seed, len(parcels), len(buildings), len(zoning),
    )  # fmt: skip
    return SyntheticProvince(
        parcels=parcels,
        buildings=buildings,
        zoning=zoning,
        ownership=ownership,
        vacancy=vacancy,
        seed=seed,
    )


def write_province(
    province: SyntheticProvince,
    out_dir: str | Path,
    *,
    format: Literal["parquet", "gpkg"] = "parquet",
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write a province's layers and tables into ``out_dir``.

    Layers go to ``parcels``, ``buildings`` and ``zoning`` ``.parquet``
    (canonical GeoParquet, see :func:`kansenkaart.io.parquet.write_canonical_parquet`)
    or ``.gpkg``; the tables to ``ownership.csv`` and ``vacancy.csv``.

    Parameters
    ----------
    province : SyntheticProvince
        Output of :func:`generate_province`.
    out_dir : str or Path
        Folder; created when missing.
    format : {"parquet", "gpkg"}, default "parquet"
        File format of the three layers.
    overwrite : bool, default False
        Replace existing files instead of raising.

    Returns
    -------
    dict of str to Path
        Name (``parcels``, ``buildings``, ``zoning``, ``ownership``,
        ``vacancy``) to the file written.

    Raises
    ------
    ConfigError
        When the format is unknown or a file exists and ``overwrite`` is false.
    """
    from kansenkaart.io.parquet import write_canonical_parquet  # noqa: PLC0415

    if format not in ("parquet", "gpkg"):
        msg = f"format must be 'parquet' or 'gpkg', not {format!r}."
        raise ConfigError(msg)
    out = Path(out_dir)
    layers = {
        "parcels": province.parcels,
        "buildings": province.buildings,
        "zoning": province.zoning,
    }
    tables = {"ownership": province.ownership, "vacancy": province.vacancy}
    targets = {name: out / f"{name}.{format}" for name in layers}
    targets |= {
        name: out / f"{name}.csv" for name, t in tables.items() if t is not None
    }
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not overwrite:
        msg = (
            f"{', '.join(existing)} already exist(s). Pass overwrite=True "
            "(--overwrite) to replace."
        )
        raise ConfigError(msg)
    out.mkdir(parents=True, exist_ok=True)
    for name, gdf in layers.items():
        if format == "parquet":
            write_canonical_parquet(gdf, targets[name])
        else:
            targets[name].unlink(missing_ok=True)
            gdf.to_file(targets[name], layer=name, driver="GPKG", engine="pyogrio")
    for name, table in tables.items():
        if table is not None:
            table.to_csv(targets[name], index=False, date_format="%Y-%m-%d")
    logger.info("wrote synthetic province to %s (%s)", out, format)
    return targets
