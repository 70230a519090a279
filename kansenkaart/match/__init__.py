"""Regional match of relocatable units to temporary sites over time.

Read sites (a CSV/XLSX/GeoPackage, or a locatiescan result folder), unit
batches and optional demand; plan with a time-expanded MILP on HiGHS which
batch stands where in every period and where it moves next (its site chain);
compare with the hand-made greedy baseline; write plan, chains, chart,
summary and an offline map.

Examples
--------
>>> from kansenkaart.match import horizon_from
>>> horizon_from("2026-01", "2041-01").n
60
"""

from __future__ import annotations

from kansenkaart.match.model import (
    BatchTable,
    DemandTable,
    Horizon,
    Policy,
    SiteTable,
    WhatIf,
    horizon_from,
)
from kansenkaart.match.outputs import write_match
from kansenkaart.match.read import read_demand, read_sites, read_units
from kansenkaart.match.run import MatchResult, run_match
from kansenkaart.match.scan_sites import sites_from_result
from kansenkaart.match.solve import MatchError

__all__ = [
    "BatchTable",
    "DemandTable",
    "Horizon",
    "MatchError",
    "MatchResult",
    "Policy",
    "SiteTable",
    "WhatIf",
    "horizon_from",
    "read_demand",
    "read_sites",
    "read_units",
    "run_match",
    "sites_from_result",
    "write_match",
]
