"""Outputs on disk, byte-identical reruns, and the ``kansenkaart match`` command."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli
from kansenkaart.results.folder import MARKER, MATCH_FILES
from tests.match.conftest import site_rows, unit_rows


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    sites = site_rows(
        {"site_id": "Valkenburg", "x": 1000, "available_to": "2028-01-01", "score": 80},
        {"site_id": "Katwijk-Noord", "x": 7400, "available_from": "2027-07-01"},
        {"site_id": "Rijnsburg", "x": 3000, "capacity": 20},
    )
    units = unit_rows(
        {"batch_id": "B3", "units": 24},
        {"batch_id": "B4", "units": 18, "free_from": "2026-07-01"},
    )
    sites.to_csv(tmp_path / "sites.csv", index=False)
    units.to_csv(tmp_path / "units.csv", index=False)
    return tmp_path / "sites.csv", tmp_path / "units.csv"


def _run(sites: Path, units: Path, out: Path, *extra: str):
    args = [
        "match",
        "--sites",
        str(sites),
        "--units",
        str(units),
        "--from",
        "2026-01",
        "--to",
        "2031-01",
        "--out",
        str(out),
        "--min-stay",
        "1",
        *extra,
    ]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_cli_writes_every_output_and_reports(inputs, tmp_path):
    result = _run(*inputs, tmp_path / "plan")
    assert result.exit_code == 0, result.output
    assert "Oplosser: Optimal" in result.output
    assert "Handmatig (greedy)" in result.output
    out = tmp_path / "plan"
    names = {p.name for p in out.iterdir()}
    assert names == {
        "plan.csv",
        "moves.csv",
        "plan.xlsx",
        "chains.gpkg",
        "summary.json",
        "timeline.png",
        "timeline.svg",
        MARKER,
    }
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["kind"] == "match"
    assert set(marker["files"]) == names - {MARKER}
    assert set(marker["files"]) <= set(MATCH_FILES)
    plan = pd.read_csv(out / "plan.csv", keep_default_na=False)
    assert list(plan.columns[:4]) == ["batch_id", "period_start", "site_id", "units"]
    assert len(plan) == 2 * 20
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {"status", "objective", "gap"} <= set(summary["solver"])
    assert {"units_housed", "unit_years_housed", "cost_eur", "moves"} <= set(
        summary["greedy"]
    )
    assert [i["kind"] for i in summary["inputs"]] == ["sites", "units"]
    chains = gpd.read_file(out / "chains.gpkg", layer="chains")
    assert chains.crs.to_epsg() == 28992
    moves = pd.read_csv(out / "moves.csv")
    assert len(chains) == len(moves) > 0
    sheets = pd.read_excel(out / "plan.xlsx", sheet_name=None)
    assert set(sheets) == {"plan", "verhuizingen", "greedy", "samenvatting"}
    assert (out / "timeline.png").read_bytes()[:4] == b"\x89PNG"


def test_rerun_gives_byte_identical_files(inputs, tmp_path):
    assert _run(*inputs, tmp_path / "a").exit_code == 0
    assert _run(*inputs, tmp_path / "b").exit_code == 0
    for name in (
        "plan.csv",
        "moves.csv",
        "summary.json",
        "timeline.svg",
        "timeline.png",
    ):
        assert (tmp_path / "a" / name).read_bytes() == (
            tmp_path / "b" / name
        ).read_bytes(), name
    a = gpd.read_file(tmp_path / "a" / "chains.gpkg", layer="chains")
    b = gpd.read_file(tmp_path / "b" / "chains.gpkg", layer="chains")
    pd.testing.assert_frame_equal(a, b)


def test_existing_folder_is_refused_and_kept(inputs, tmp_path):
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine", encoding="utf-8")
    result = _run(*inputs, keep, "--overwrite")
    assert result.exit_code == 1
    assert "not a kansenkaart result folder" in result.output
    assert "'notes.txt'" in result.output
    assert (keep / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not any(p.name.startswith(".mine.tmp") for p in tmp_path.iterdir())


def test_overwrite_replaces_an_earlier_match_only(inputs, tmp_path):
    out = tmp_path / "plan"
    assert _run(*inputs, out, "--map").exit_code == 0
    assert (out / "map.html").exists()
    again = _run(*inputs, out)
    assert again.exit_code == 1
    assert "already exists" in again.output and "--overwrite" in again.output
    assert _run(*inputs, out, "--overwrite").exit_code == 0
    assert not (out / "map.html").exists()  # this run wrote no map
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "plan",
        "sites.csv",
        "units.csv",
    ]
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    refused = _run(*inputs, out, "--overwrite")
    assert refused.exit_code == 1
    assert "'notes.txt' was not written by kansenkaart" in refused.output
    assert (out / "notes.txt").exists() and (out / "plan.csv").exists()


def test_out_holding_an_input_is_refused(inputs, tmp_path):
    result = _run(*inputs, tmp_path, "--overwrite")
    assert result.exit_code == 1
    assert "holds the input" in result.output
    assert (tmp_path / "sites.csv").exists()


def test_bad_input_names_file_column_rows_and_fix(inputs, tmp_path):
    sites, _ = inputs
    bad = tmp_path / "bad_units.csv"
    bad.write_text(
        "batch_id,units,unit_type,x,y,free_from\nB1,twelve,studio,0,0,2026-01-01\n"
        "B1,10,,0,0,someday\n",
        encoding="utf-8",
    )
    result = _run(sites, bad, tmp_path / "plan")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    text = result.output
    assert "bad_units.csv: 4 problem(s)" in text
    assert "column 'batch_id', row 3" in text and "Make the ids unique" in text
    assert "column 'units', row 2" in text
    assert "column 'unit_type', row 3" in text
    assert "column 'free_from', row 3" in text and "ISO date" in text
    assert not (tmp_path / "plan").exists()


def test_fix_that_cannot_hold_is_explained(inputs, tmp_path):
    result = _run(*inputs, tmp_path / "plan", "--fix", "B3=Valkenburg@2029-Q1")
    assert result.exit_code == 1
    assert (
        "--fix B3=Valkenburg@2029-Q1 cannot hold: site Valkenburg holds no units in 2029-Q1"
        in result.output
    )


def test_forbid_and_map_with_watermark(inputs, tmp_path):
    result = _run(
        *inputs,
        tmp_path / "plan",
        "--forbid",
        "Rijnsburg",
        "--map",
        "--recipient",
        "Regiotafel, 4 dec",
    )
    assert result.exit_code == 0, result.output
    plan = pd.read_csv(tmp_path / "plan" / "plan.csv", keep_default_na=False)
    assert "Rijnsburg" not in set(plan.site_id)
    page = (tmp_path / "plan" / "map.html").read_text(encoding="utf-8")
    assert "Regiotafel, 4 dec" in page
    assert "Katwijk-Noord" in page


def test_sites_from_a_dutch_excel_csv(tmp_path):
    from kansenkaart.match import read_sites

    path = tmp_path / "locaties.csv"
    path.write_bytes(
        "site_id;x;y;capacity;available_from;available_to;municipality;eigenaar_naam\n"
        "Rijnsburg-Oost;91000,5;466000;40;2026-01-01;2031-01-01;Katwijk;J. Jansen\n"
        "Valkenburg;90000;465000;30;2026-01-01;2029-01-01;Gemeente Kätwijk;x\n".encode(
            "cp1252"
        )
    )
    sites = read_sites(path).frame
    assert sites.x.tolist() == [91000.5, 90000.0]
    assert sites.region.tolist() == ["Katwijk", "Gemeente Kätwijk"]
    assert "J. Jansen" not in sites.to_string()
