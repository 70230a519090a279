"""``kansenkaart fetch`` against a real OGC API Features server (pygeoapi, 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli
from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.fetch.config import FetchConfig, load_config
from kansenkaart.fetch.run import CACHE, fetch_area
from kansenkaart.sources.read import read_buildings, read_parcels
from tests.fetch._proxy import FlakyProxy
from tests.fetch.conftest import OGCServer

REPO = Path(__file__).resolve().parents[2]
BUURT = REPO / "data" / "amsterdam_BU03638600_buurt.gpkg"
ALL_PANDEN = "117000,486000,118000,487100"  # RD New bbox around the buurt


def _config(url: str, *, limit: int = 50) -> FetchConfig:
    config = load_config().with_urls({None: url})
    return dataclasses.replace(config, limit=limit, backoff_s=0.0, retries=3)


def _expected(server: OGCServer, name: str, area: gpd.GeoSeries) -> int:
    src = server.sources[name]
    return int(src.intersects(area.union_all()).sum())


def test_counts_equal_the_source_across_pages(
    ogc_server: OGCServer, tmp_path: Path
) -> None:
    out = tmp_path / "buurt"
    result = fetch_area(
        str(BUURT), out, config=_config(ogc_server.url), layers=["pand", "perceel"]
    )
    area = gpd.read_file(BUURT).geometry
    layers = {lay["name"]: lay for lay in result.manifest["layers"]}
    for name, n_source in (("pand", 464), ("perceel", 422)):
        assert len(ogc_server.sources[name]) == n_source
        assert layers[name]["features"] == _expected(ogc_server, name, area) > 0
        assert layers[name]["pages"] >= math.ceil(layers[name]["features"] / 50) > 1
        assert layers[name]["query"]["crs"].endswith("/EPSG/0/28992")
        assert layers[name]["licence"]
    buildings = read_buildings(out / "pand.gpkg")
    assert len(buildings) == layers["pand"]["features"]
    assert buildings["use_residential"].sum() > 200  # gebruiksdoel survived
    assert len(read_parcels(out / "perceel.gpkg")) == layers["perceel"]["features"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["area"]["source"] == "polygon file"
    assert not (out / CACHE).exists()


def test_buurt_code_takes_its_boundary_from_the_service(
    ogc_server: OGCServer, tmp_path: Path
) -> None:
    result = fetch_area(
        "BU03638600", tmp_path / "bu", config=_config(ogc_server.url), layers=["pand"]
    )
    assert result.manifest["area"]["source"] == "cbs/buurten"
    area = gpd.read_file(BUURT).geometry
    (pand,) = result.manifest["layers"]
    assert pand["features"] == _expected(ogc_server, "pand", area)


def test_gemeente_code_uses_the_embedded_boundaries(
    ogc_server: OGCServer, tmp_path: Path
) -> None:
    result = fetch_area(
        "GM0363", tmp_path / "gm", config=_config(ogc_server.url), layers=["pand"]
    )
    assert result.manifest["area"]["source"] == "embedded CBS gemeenten"
    assert result.manifest["layers"][0]["features"] == 464


def test_a_503_once_is_retried(ogc_server: OGCServer, tmp_path: Path) -> None:
    waits: list[float] = []
    with FlakyProxy(ogc_server.url, fail_first=1) as proxy:
        result = fetch_area(
            ALL_PANDEN,
            tmp_path / "retry",
            config=_config(proxy.url),
            layers=["pand"],
            sleep=waits.append,
        )
    assert proxy.failed == 1
    assert waits == [0.0]  # the proxy's Retry-After: 0
    assert result.manifest["layers"][0]["features"] == 464


def test_resume_after_a_killed_fetch(ogc_server: OGCServer, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    exe = Path(sys.executable).with_name("kansenkaart")
    with FlakyProxy(ogc_server.url, kill_at=4) as proxy:
        config = tmp_path / "services.toml"
        config.write_text(
            (REPO / "kansenkaart" / "fetch" / "services.toml")
            .read_text(encoding="utf-8")
            .replace("limit = 1000", "limit = 50"),
            encoding="utf-8",
        )
        args = [str(exe), "fetch", "--area", ALL_PANDEN, "--out", str(out)]
        args += ["--layers", "pand", "--services", str(config)]
        proc = subprocess.Popen([*args, "--service-url", proxy.url])
        proxy.set_victim(proc.pid)
        assert proc.wait(timeout=120) == -9  # killed at the 4th page
        state = json.loads((out / CACHE / "pand" / "state.json").read_text("utf-8"))
        assert state["pages"] == 3 and not state["done"]
        assert not (out / "manifest.json").exists()
        proxy.kill_at, proxy.item_requests = 0, 0  # the connection is back
        result = fetch_area(ALL_PANDEN, out, config=_config(proxy.url), layers=["pand"])
    assert result.manifest["layers"][0]["features"] == 464
    assert result.manifest["layers"][0]["pages"] == 10
    assert proxy.item_requests == 10 - 3  # only the pages not cached


def test_an_empty_area_writes_empty_layers(
    ogc_server: OGCServer, tmp_path: Path
) -> None:
    out = tmp_path / "sea"
    result = fetch_area(
        "10000,600000,11000,601000",  # North Sea
        out,
        config=_config(ogc_server.url),
        layers=["pand", "perceel", "natura2000"],
    )
    assert {lay["features"] for lay in result.manifest["layers"]} == {0}
    assert len(gpd.read_file(out / "pand.gpkg")) == 0


def test_a_collection_the_service_lacks_is_skipped_if_optional(
    ogc_server: OGCServer, tmp_path: Path
) -> None:
    result = fetch_area(
        ALL_PANDEN,
        tmp_path / "vbo",
        config=_config(ogc_server.url),
        layers=["verblijfsobject"],
    )
    (vbo,) = result.manifest["layers"]
    assert "HTTP 404" in vbo["skipped"]
    assert vbo["file"] is None


def test_offline_gives_one_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    result = CliRunner().invoke(
        cli,
        [
            "fetch",
            "--area",
            ALL_PANDEN,
            "--out",
            str(tmp_path / "x"),
            "--layers",
            "pand",
            "--service-url",
            dead,
        ],
    )
    assert result.exit_code == 1
    assert "cannot reach 127.0.0.1" in result.output
    assert "offline" in result.output
    assert "Traceback" not in result.output


def test_bad_options_name_the_option(tmp_path: Path) -> None:
    config = load_config()
    with pytest.raises(ConfigError, match="--layers: unknown layer"):
        fetch_area("GM0363", tmp_path / "a", config=config, layers=["huizen"])
    with pytest.raises(ConfigError, match="--area 'nergens'"):
        fetch_area("nergens", tmp_path / "b", config=config, layers=["pand"])
    with pytest.raises(ConfigError, match="unknown service"):
        config.with_urls({"kadaster": "http://127.0.0.1:1"})
    with pytest.raises(DataSourceError, match="limit must be between"):
        from kansenkaart.fetch.client import FeaturesClient

        FeaturesClient("http://127.0.0.1:1").first_query((0, 0, 1, 1), limit=5000)


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your municipality in three commands", 1)[1]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S)
    assert block is not None
    return [c for c in block.group(1).splitlines() if c.startswith("kansenkaart ")]


# the buurt has no Natura 2000: the scan warns that the fetched layer is empty
@pytest.mark.filterwarnings("ignore::kansenkaart.errors.EmptySelectionWarning")
def test_readme_three_commands_work_against_the_test_server(
    ogc_server: OGCServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    commands = _readme_commands()
    assert [c.split()[1] for c in commands] == ["fetch", "scan", "map"]
    for command in commands:
        args = shlex.split(command)[1:]
        if args[0] == "fetch":  # the only change: the base URL
            args += ["--service-url", ogc_server.url]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, (command, result.output)
    summary = json.loads(
        (tmp_path / "mijnbuurt" / "locatiescan" / "summary.json").read_text("utf-8")
    )
    rules = {r["id"]: r["status"] for r in summary["rules"]}
    assert rules["LOC-N2000"] == "evaluated"  # an empty layer is an answer
    fetched = commands[1].split("--out")[0]
    assert "pand.gpkg" in fetched and "perceel.gpkg" in fetched
    assert any(p.name == "map.html" or p.suffix == ".html" for p in tmp_path.rglob("*"))
