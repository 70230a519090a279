"""Small hand-built match inputs, written as the CSV files a user would give."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kansenkaart.match import Policy, horizon_from, read_sites, read_units

#: Hand-checkable settings: moves take no time, one year's stay, no score weight.
# per-unit site preparation off, so that hand cases count placement and move
# costs only; test_hand_cases checks that it is charged with every arrival
HAND = Policy(
    downtime_months=0, min_stay_years=1, score_weight=0.0, prep_eur_per_unit=0.0
)


def site_rows(*rows: dict) -> pd.DataFrame:
    base = {
        "capacity": 30,
        "available_from": "2026-01-01",
        "available_to": "2031-01-01",
        "score": 50,
        "prep_eur": 100_000,
        "y": 0,
        "municipality": "Katwijk",
    }
    return pd.DataFrame([{**base, **row} for row in rows])


def unit_rows(*rows: dict) -> pd.DataFrame:
    base = {
        "units": 20,
        "unit_type": "studio",
        "x": 0,
        "y": 0,
        "free_from": "2026-01-01",
        "in_storage": "yes",
    }
    return pd.DataFrame([{**base, **row} for row in rows])


@pytest.fixture
def write_inputs(tmp_path: Path):
    """Write sites/units frames to CSV and read them back as the product does."""

    def write(sites: pd.DataFrame, units: pd.DataFrame):
        sites.to_csv(tmp_path / "sites.csv", index=False)
        units.to_csv(tmp_path / "units.csv", index=False)
        return read_sites(tmp_path / "sites.csv"), read_units(tmp_path / "units.csv")

    return write


@pytest.fixture
def five_years():
    return horizon_from("2026-01", "2031-01")
