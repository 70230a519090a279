"""The matching model: planning periods, policy, and the validated input tables.

Sites, unit batches and demand are held as validated :class:`pandas.DataFrame`
tables inside frozen dataclasses (one row per site, batch or demand line), so
the network can be built from whole columns. Coordinates are RD New
(EPSG:28992) metres; money is euro per unit unless the name says otherwise.

The default cost figures follow the programme's own figures: moving a unit
costs about 30 % of building it new (about EUR 120,000), of which making the
new site ready is about half and the connections about 15 %. They are
parameters, not facts about a particular unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from kansenkaart.errors import ConfigError

__all__ = [
    "PERIOD_MONTHS",
    "BatchTable",
    "DemandTable",
    "Horizon",
    "Policy",
    "SiteTable",
    "WhatIf",
    "horizon_from",
]

#: Months per planning period.
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True, slots=True, kw_only=True)
class Horizon:
    """Planning periods: ``starts[t]`` is the first day of period ``t``.

    Period ``t`` covers ``[starts[t], starts[t + 1])``; ``end`` is the first
    day after the last period.
    """

    starts: np.ndarray  # datetime64[D], ascending
    end: np.datetime64
    period: Literal["month", "quarter", "year"]

    @property
    def n(self) -> int:
        """Number of periods."""
        return len(self.starts)

    @property
    def years_per_period(self) -> float:
        """Length of one period in years."""
        return PERIOD_MONTHS[self.period] / 12

    def bounds(self) -> np.ndarray:
        """Return ``n + 1`` period boundaries (datetime64[D])."""
        return np.append(self.starts, self.end)

    def label(self, t: int) -> str:
        """Return a readable name of period ``t`` ("2031-Q2", "2031-05", "2031")."""
        day = pd.Timestamp(self.starts[t])
        if self.period == "quarter":
            return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        if self.period == "month":
            return f"{day.year}-{day.month:02d}"
        return str(day.year)

    def first_from(self, dates: np.ndarray) -> np.ndarray:
        """Index of the first period starting on or after each date."""
        return np.searchsorted(self.starts, dates.astype("datetime64[D]"), "left")

    def last_before(self, dates: np.ndarray) -> np.ndarray:
        """One past the last period that ends on or before each date."""
        bounds = self.bounds()
        return np.searchsorted(bounds, dates.astype("datetime64[D]"), "right") - 1


def _month_start(text: str, *, option: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(str(text))
    except ValueError as err:
        msg = f"{option} {text!r}: not a date; write YYYY-MM or YYYY-MM-DD."
        raise ConfigError(msg) from err
    return pd.Timestamp(year=day.year, month=day.month, day=1)


def horizon_from(
    start: str, end: str, *, period: Literal["month", "quarter", "year"] = "quarter"
) -> Horizon:
    """Return the planning periods from ``start`` up to (not including) ``end``.

    Parameters
    ----------
    start, end : str
        ISO month or date (``2026-01`` or ``2026-01-01``); the start is moved
        back to the first day of its month.
    period : {"month", "quarter", "year"}, default "quarter"
        Length of a period.

    Returns
    -------
    Horizon

    Raises
    ------
    ConfigError
        When a date cannot be read, the period is unknown, or there is not a
        single whole period between the dates.

    Examples
    --------
    >>> h = horizon_from("2026-01", "2027-01")
    >>> h.n, h.label(3)
    (4, '2026-Q4')
    """
    if period not in PERIOD_MONTHS:
        msg = f"--period {period!r}: choose month, quarter or year."
        raise ConfigError(msg)
    first = _month_start(start, option="--from")
    last = pd.Timestamp(str(end)) if end else None
    if last is None or pd.isna(last):
        msg = f"--to {end!r}: not a date; write YYYY-MM or YYYY-MM-DD."
        raise ConfigError(msg)
    freq = f"{PERIOD_MONTHS[period]}MS"
    bounds = pd.date_range(first, last, freq=freq)
    if len(bounds) < 2:
        msg = (
            f"--from {start} --to {end}: fewer than one whole {period} in between; "
            "make --to later."
        )
        raise ConfigError(msg)
    values = bounds.values.astype("datetime64[D]")
    return Horizon(starts=values[:-1], end=values[-1], period=period)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Rules and weights of a match (all money in euro, per unit unless named).

    Parameters
    ----------
    min_stay_years : float, default 2.0
        A batch that arrives on a site stays at least this long (or until
        the site's term ends past the horizon). Sites whose whole term is
        shorter are not used.
    split : bool, default False
        Let batches split into lots of at least ``min_group_units`` before
        planning (each lot then moves as a whole).
    min_group_units : int, default 15
        Smallest lot when splitting.
    max_distance_km : float, default 60.0
        Longest move (straight line) from where a batch stands or is stored,
        and between two sites.
    downtime_months : int, default 3
        Months a move takes (dismantle, transport, re-assemble); rounded up to
        whole periods. The units house nobody meanwhile.
    value_eur_per_unit_year : float, default 12000.0
        Weight of one unit housed for one year against demand, in euro.
    score_weight : float, default 0.2
        Share of that value that depends on the site's score (0-100): a site
        with score 0 earns ``1 - score_weight`` of it, score 100 earns all.
    storage_eur_per_unit_year : float, default 1200.0
        Cost of keeping a unit in storage for a year.
    dismantle_eur, assemble_eur : float
        Default cost per unit to take down and to set up (with connections).
    transport_eur_per_km : float, default 20.0
        Default transport cost per unit per km.
    prep_eur_per_unit : float, default 18000.0
        Preparing the ground for one unit (foundation, connections), paid
        with every unit that arrives on a site, by placement or move: about
        half of what moving a unit costs in the programme's figures (moving
        about 30 % of building new, half of that the new site).
    prep_eur_per_site : float, default 150000.0
        One-off cost of opening a site (access, main connections, permit),
        where the sites file gives no ``prep_eur``. UNVERIFIED assumption;
        set it from the municipality's own estimate.
    outside_region_eur, outside_province_eur : float
        Cost per unit of placing a batch outside its own region or province
        (the national marktmeester's order: own region, province, nation).
    max_level : {"region", "province", "nation"}, default "nation"
        Hard limit of that order.
    demand : {"soft", "hard"}, default "soft"
        ``hard`` makes every demand line a requirement; a plan that cannot
        meet it is reported as infeasible, naming region, period and gap.
    max_sites_per_batch : int, default 40
        Nearest fitting sites a batch may use (keeps large regions tractable).
    neighbours : int, default 10
        Nearest sites a batch may move to directly from a site; other moves
        go through storage.
    time_limit_s : float, default 60.0
        Solver time limit.
    mip_gap : float, default 0.005
        Relative gap at which the solver stops.
    presolve : bool, default False
        Let HiGHS presolve the model. Off by default: on regional models
        HiGHS 1.16 spent minutes after presolve without a single LP
        iteration, while the model without presolve reaches its root LP in
        seconds (``benchmarks/README.md``).
    threads : int, optional
        Solver threads (HiGHS's default when omitted).
    """

    min_stay_years: float = 2.0
    split: bool = False
    min_group_units: int = 15
    max_distance_km: float = 60.0
    downtime_months: int = 3
    value_eur_per_unit_year: float = 12_000.0
    score_weight: float = 0.2
    storage_eur_per_unit_year: float = 1_200.0
    dismantle_eur: float = 6_000.0
    assemble_eur: float = 12_000.0
    transport_eur_per_km: float = 20.0
    prep_eur_per_unit: float = 18_000.0
    prep_eur_per_site: float = 150_000.0
    outside_region_eur: float = 2_000.0
    outside_province_eur: float = 5_000.0
    max_level: Literal["region", "province", "nation"] = "nation"
    demand: Literal["soft", "hard"] = "soft"
    max_sites_per_batch: int = 40
    neighbours: int = 10
    time_limit_s: float = 60.0
    mip_gap: float = 0.005
    presolve: bool = False
    threads: int | None = None

    def __post_init__(self) -> None:
        problems = []
        for name in (
            "min_stay_years",
            "max_distance_km",
            "downtime_months",
            "value_eur_per_unit_year",
            "storage_eur_per_unit_year",
            "dismantle_eur",
            "assemble_eur",
            "transport_eur_per_km",
            "prep_eur_per_unit",
            "prep_eur_per_site",
            "outside_region_eur",
            "outside_province_eur",
            "time_limit_s",
            "mip_gap",
        ):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                problems.append(f"{name} must be a number >= 0")
        if not 0 <= self.score_weight <= 1:
            problems.append("score_weight must lie between 0 and 1")
        if self.min_group_units < 1 or self.max_sites_per_batch < 1:
            problems.append("min_group_units and max_sites_per_batch must be >= 1")
        if self.max_level not in ("region", "province", "nation"):
            problems.append("max_level must be region, province or nation")
        if self.demand not in ("soft", "hard"):
            problems.append("demand must be soft or hard")
        if problems:
            raise ConfigError("Match policy: " + "; ".join(problems) + ".")


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteTable:
    """Validated sites, one row per site (index 0..n-1, in file order).

    Columns: ``site_id`` (str), ``x``, ``y`` (RD New m), ``capacity``
    (units, int), ``available_from``, ``available_to`` (datetime64, the site
    is empty from ``available_to`` on), ``score`` (0-100, NaN when unknown),
    ``region``, ``province`` (str, may be empty), ``prep_eur`` (one-off),
    ``unit_types``, ``target_groups`` (frozensets; empty allows all).
    ``attribution`` holds the source credits of a locatiescan's inputs when
    the sites come from its result folder (shown on the chain map).
    """

    frame: pd.DataFrame
    source: str
    sha256: str
    geometry: object = None  # GeoSeries of the site outlines when known
    attribution: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchTable:
    """Validated unit batches, one row per batch.

    Columns: ``batch_id``, ``units`` (int), ``unit_type``, ``target_group``,
    ``x``, ``y`` (where the batch stands or is stored), ``free_from``,
    ``life_until`` (datetime64; NaT = beyond the horizon), ``in_storage``
    (bool), ``region``, ``province``, ``dismantle_eur``, ``assemble_eur``,
    ``transport_eur_per_km`` (per unit).
    """

    frame: pd.DataFrame
    source: str
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandTable:
    """Validated demand: units needed per period in a region (and group).

    Columns: ``region``, ``target_group`` (``""`` for any), ``units``,
    ``from``, ``to`` (datetime64; the need holds in every period that lies
    inside ``[from, to)``).
    """

    frame: pd.DataFrame
    source: str
    sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatIf:
    """Session questions applied to the same inputs.

    ``fixes`` are (batch_id, site_id, period label or ISO date); ``forbid``
    maps a site id to the date from which it may no longer be used (NaT:
    not at all).
    """

    fixes: tuple[tuple[str, str, str], ...] = ()
    forbid: dict[str, object] = field(default_factory=dict)
