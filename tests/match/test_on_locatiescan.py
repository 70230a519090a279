"""``kansenkaart match`` on the sites of the embedded locatiescan (``--sites RESULT``).

The scan runs through its own command on the embedded data; the unit pool is
the notebook's (``notebooks/match.ipynb``): four lots of 48 studios in storage,
three batches standing elsewhere until their term ends, two of family homes.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli
from kansenkaart.datasets import default_inputs

POOL = """batch_id,units,unit_type,x,y,free_from,in_storage
R1,48,studio,94000,463000,2026-01-01,yes
R2,48,studio,94000,463000,2026-01-01,yes
R3,48,studio,94000,463000,2026-01-01,yes
R4,48,studio,94000,463000,2026-01-01,yes
K1,24,1-2 kamer,90500,466500,2027-07-01,no
K2,32,1-2 kamer,91200,467800,2029-01-01,no
K3,18,studio,89800,465200,2031-01-01,no
G1,30,gezin,94000,463000,2027-01-01,yes
G2,30,gezin,94000,463000,2028-01-01,yes
"""

pytestmark = pytest.mark.filterwarnings("ignore::kansenkaart.errors.KansenkaartWarning")


def _scan_args(out: Path) -> list[str]:
    d = default_inputs()
    args = ["scan", "sites", "--out", str(out)]
    args += [a for p in d["parcels"] for a in ("--parcels", str(p))]
    args += [a for p in d["zoning"] for a in ("--zoning", str(p))]
    args += [a for p in d["buildings"] for a in ("--buildings", str(p))]
    for name in ("natura2000", "monuments", "municipalities"):
        args += ["--layer", f"{name}={d[name]}"]
    return args


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    work = tmp_path_factory.mktemp("locatiescan-match")
    runner = CliRunner()
    scan = runner.invoke(cli, _scan_args(work / "locaties"), catch_exceptions=False)
    assert scan.exit_code == 0, scan.output
    (work / "eenheden.csv").write_text(POOL, encoding="utf-8")
    args = [
        "match",
        "--sites",
        str(work / "locaties"),
        "--units",
        str(work / "eenheden.csv"),
        "--from",
        "2026-01",
        "--to",
        "2041-01",
        "--out",
        str(work / "plan"),
        "--map",
        "--recipient",
        "Regiotafel, 5 dec",
    ]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return work / "locaties", work / "plan", result.output


def test_every_output_is_written(matched):
    _, plan_dir, output = matched
    assert "Oplosser: Optimal" in output
    assert "map.html" in output
    names = {p.name for p in plan_dir.iterdir()}
    assert {
        "plan.csv",
        "moves.csv",
        "plan.xlsx",
        "chains.gpkg",
        "summary.json",
        "timeline.png",
        "timeline.svg",
        "map.html",
    } <= names


def test_sites_are_the_scored_candidates_with_their_capacity(matched):
    scan_dir, plan_dir, _ = matched
    cand = gpd.read_file(scan_dir / "candidates.gpkg", layer="candidates")
    scored = cand[cand.outcome == "scored"].set_index("candidate_id")
    sites = gpd.read_file(plan_dir / "chains.gpkg", layer="sites").set_index("site_id")
    assert set(sites.index) == set(scored.index)
    area = scored["area_m2"].fillna(scored.geometry.area)  # the outline where unknown
    expected = np.floor(area / 10_000 * 30).astype(int)
    assert (sites["capacity"] == expected.reindex(sites.index)).all()
    assert (sites["score"] == scored["score"].reindex(sites.index)).all()


def test_plan_houses_the_pool_within_capacity_and_terms(matched):
    _, plan_dir, _ = matched
    plan = pd.read_csv(plan_dir / "plan.csv", keep_default_na=False)
    assert len(plan) == 9 * 60
    sites = gpd.read_file(plan_dir / "chains.gpkg", layer="sites").set_index("site_id")
    placed = plan[plan.site_id != ""]
    occupancy = placed.groupby(["site_id", "period_start"])["units"].sum()
    cap = sites["capacity"].reindex(occupancy.index.get_level_values(0)).to_numpy()
    assert (occupancy.to_numpy() <= cap).all()
    start = pd.to_datetime(placed.period_start)
    assert (
        start < pd.to_datetime(sites.loc[placed.site_id, "available_to"]).to_numpy()
    ).all()
    summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["plan"]["units_housed"] == 326  # the whole pool
    assert summary["plan"]["objective"] >= summary["greedy"]["objective"] - 1e-6
    assert summary["inputs"][0]["kind"] == "sites"
    moves = pd.read_csv(plan_dir / "moves.csv")
    k1 = moves[moves.batch_id == "K1"].explanation_nl.iloc[0]
    assert k1.startswith("batch K1, 24 1-2 kamer: van de huidige plek (ontmanteld)")
    r1 = moves[moves.batch_id == "R1"].explanation_nl.iloc[0]
    assert "vanuit de opslag naar NL.IMRO" in r1


def test_the_map_carries_the_watermark_chains_and_sources(matched):
    scan_dir, plan_dir, _ = matched
    page = (plan_dir / "map.html").read_text(encoding="utf-8")
    assert "Regiotafel, 5 dec" in page
    summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    scan = json.loads((scan_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["attribution"] == scan["attribution"] != []
    assert all(a in page for a in scan["attribution"])
    assert "van de huidige plek (ontmanteld)" in page
