"""``kansenkaart scan`` and ``kansenkaart rules`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli

pytestmark = pytest.mark.filterwarnings("ignore::kansenkaart.errors.KansenkaartWarning")


def test_scan_objects_writes_outputs(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "res"
    result = CliRunner().invoke(
        cli,
        [
            "-q",
            "scan",
            "objects",
            "--buildings",
            str(data_dir / "amsterdam_BU03638600_bag_panden.gpkg"),
            "--layer",
            f"municipalities={data_dir / 'cbs_gemeenten_2022_simplified_wgs84.geojson'}",
            "--area",
            "GM0363",
            "--out",
            str(out),
            "--sensitivity",
            "20",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Resultaten:" in result.output
    for name in (
        "candidates.gpkg",
        "candidates.csv",
        "candidates.xlsx",
        "summary.json",
        "leave_one_rule_out.csv",
    ):
        assert (out / name).exists()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["candidates_in"] == 464
    again = CliRunner().invoke(
        cli,
        [
            "scan",
            "objects",
            "--buildings",
            str(data_dir / "amsterdam_BU03638600_bag_panden.gpkg"),
            "--out",
            str(out),
        ],
    )
    assert again.exit_code == 1
    assert "--overwrite" in again.output
    assert "Traceback" not in again.output


def test_scan_sites_with_zoning_fallback(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "sites"
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "sites",
            "--zoning",
            str(data_dir / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg"),
            "--layer",
            f"natura2000={data_dir / 'natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg'}",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["candidates_in"] == 45
    assert "LOC-EIGENDOM" in summary["skipped_rules"]


def test_bad_scan_file_exits_1_without_traceback(
    tmp_path: Path, data_dir: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[scan]\nname="x"\ntitle="x"\nversion="1"\nunit="buildings"\nregime="wabo"\n'
        'horizon_years=10\n[[rule]]\nid="R1"\ntitle="t"\nkind="veto"\n'
        'predicate="teleport"\nsource="s"\n',
        encoding="utf-8",
    )
    args = [
        "scan",
        "objects",
        "--buildings",
        str(data_dir / "amsterdam_BU03638600_bag_panden.gpkg"),
        "--scan",
        str(bad),
        "--out",
        str(tmp_path / "o"),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "unknown predicate 'teleport'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()
    debug = CliRunner().invoke(cli, ["--debug", *args])
    assert debug.exit_code == 1
    assert debug.exc_info is not None and "RuleError" in type(debug.exception).__name__


def test_unknown_layer_name_is_refused(tmp_path: Path, data_dir: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "objects",
            "--buildings",
            str(data_dir / "amsterdam_BU03638600_bag_panden.gpkg"),
            "--layer",
            f"vliegvelden={data_dir / 'natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg'}",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1
    assert "unknown layer name(s) vliegvelden" in result.output


def test_rules_list_prints_sources() -> None:
    result = CliRunner().invoke(
        cli, ["rules", "list", "--scan", "scans/locatiescan.toml"]
    )
    assert result.exit_code == 0
    assert "LOC-N2000" in result.output
    assert "bron: PBL 2020" in result.output
    assert "[n.v.t. in dit regime]" in result.output  # LOC-GELUID-WABO under ow


def test_default_scan_on_embedded_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["scan"])
    assert result.exit_code == 0, result.output
    folders = list(tmp_path.glob("kansenkaart-*"))
    assert len(folders) == 1
    for scan in ("objectscan", "locatiescan"):
        assert (folders[0] / scan / "candidates.gpkg").exists()
        assert (folders[0] / scan / "map.html").exists()
    assert str(folders[0].resolve()) in result.output


def test_a_broken_command_module_is_not_silently_dropped() -> None:
    """Before, an ImportError in render removed the `map` command without a word."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['kansenkaart.render'] = None\n"
        "import kansenkaart.cli.main\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert run.returncode != 0
    assert "kansenkaart.render" in run.stderr
