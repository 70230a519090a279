"""Tests for the ``kansenkaart synth`` command."""

from __future__ import annotations

from click.testing import CliRunner

from kansenkaart.cli.synth_cmd import synth_command
from kansenkaart.errors import ConfigError
from kansenkaart.io.parquet import read_canonical_parquet


def test_synth_writes_files(tmp_path):
    out = tmp_path / "prov"
    result = CliRunner().invoke(
        synth_command, ["--parcels", "200", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for name in ("parcels", "buildings", "zoning", "ownership", "vacancy"):
        assert name in result.output
    parcels = read_canonical_parquet(out / "parcels.parquet")
    assert len(parcels) == 200


def test_synth_refuses_to_overwrite(tmp_path):
    args = ["--parcels", "50", "--out", str(tmp_path), "--format", "gpkg"]
    runner = CliRunner()
    assert runner.invoke(synth_command, args).exit_code == 0
    result = runner.invoke(synth_command, args)
    assert isinstance(result.exception, ConfigError)
    assert runner.invoke(synth_command, [*args, "--overwrite"]).exit_code == 0
    assert (tmp_path / "parcels.gpkg").exists()


def test_synth_rejects_bad_options(tmp_path):
    runner = CliRunner()
    result = runner.invoke(synth_command, ["--parcels", "0", "--out", str(tmp_path)])
    assert result.exit_code == 2
    result = runner.invoke(synth_command, ["--format", "csv", "--out", str(tmp_path)])
    assert result.exit_code == 2
