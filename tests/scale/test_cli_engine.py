"""``kansenkaart scan sites --engine dask`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli
from kansenkaart.rules import dask_engine

pytestmark = pytest.mark.filterwarnings("ignore::kansenkaart.errors.KansenkaartWarning")

COMPARED = ["outcome", "score", "rank", "rank_municipality", "reason_nl"]


def _args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "-q",
        "scan",
        "sites",
        "--parcels",
        str(files["parcels"]),
        "--buildings",
        str(files["buildings"]),
        "--zoning",
        str(files["zoning"]),
        "--ownership",
        str(files["ownership"]),
        "--layer",
        f"natura2000={files['natura2000']}",
        "--scan",
        str(files["scan"]),
        "--reference-date",
        "2026-01-01",
        "--out",
        str(out),
        *extra,
    ]


def _candidates(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "candidates.csv", dtype=str, keep_default_na=False)


def test_dask_engine_writes_the_same_candidates(site_files, tmp_path) -> None:
    pytest.importorskip("distributed")
    runner = CliRunner()
    fast = runner.invoke(cli, _args(site_files, tmp_path / "fast", "--engine", "fast"))
    assert fast.exit_code == 0, fast.output
    dk = runner.invoke(cli, _args(site_files, tmp_path / "dask", "--engine", "dask"))
    assert dk.exit_code == 0, dk.output
    a, b = _candidates(tmp_path / "fast"), _candidates(tmp_path / "dask")
    assert len(a) == 2000
    assert set(a["outcome"]) == {"scored", "excluded"}
    assert list(b.columns) == list(a.columns)
    id_col = a.columns[0]
    pd.testing.assert_frame_equal(b[[id_col, *COMPARED]], a[[id_col, *COMPARED]])
    pd.testing.assert_frame_equal(b, a)


def test_scheduler_needs_the_dask_engine(site_files, tmp_path) -> None:
    args = _args(site_files, tmp_path / "out", "--engine", "fast")
    result = CliRunner().invoke(cli, [*args, "--scheduler", "tcp://x:1"])
    assert result.exit_code != 0
    assert "--scheduler needs --engine dask" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_unreachable_scheduler_names_the_address(
    site_files, tmp_path, monkeypatch
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 1)
    args = _args(site_files, tmp_path / "out", "--engine", "dask")
    result = CliRunner().invoke(cli, [*args, "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
