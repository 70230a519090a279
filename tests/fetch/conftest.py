"""A real OGC API Features server (pygeoapi) on 127.0.0.1 with the embedded data.

The embedded GeoPackages in ``data/`` are served under PDOK's collection names
(``pand``, ``perceel``, ``natura2000``, ``rijksmonumenten``, ``buurten``,
``gemeenten``), stored in RD New and offered in RD New and CRS84, through
pygeoapi's GeoJSON provider (bbox filter: features that intersect the bbox,
as at PDOK; paging by offset in the ``next`` link).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

#: collection name -> embedded file
SOURCES: dict[str, Path] = {
    "pand": DATA / "amsterdam_BU03638600_bag_panden.gpkg",
    "perceel": DATA / "amsterdam_BU03638600_brk_percelen.gpkg",
    "natura2000": DATA / "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg",
    "rijksmonumenten": DATA / "rijksmonumenten_boerderijen_nabij_n2000.gpkg",
    "buurten": DATA / "amsterdam_BU03638600_buurt.gpkg",
    "gemeenten": DATA / "cbs_gemeenten_2022_simplified_wgs84.geojson",
}


@dataclass(frozen=True)
class OGCServer:
    """Base URL of the running server and the source frames it serves."""

    url: str
    sources: dict[str, gpd.GeoDataFrame]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _geojson(name: str, src: Path, folder: Path) -> tuple[Path, gpd.GeoDataFrame]:
    gdf = gpd.read_file(src).to_crs(28992)
    gdf = gdf[[c for c in gdf.columns if c != "id"]]  # the feature id is fid
    gdf.insert(0, "fid", range(1, len(gdf) + 1))
    path = folder / f"{name}.geojson"
    gdf.to_file(path, driver="GeoJSON")  # coordinates stay in RD New
    return path, gdf


def _resource(name: str, path: Path, gdf: gpd.GeoDataFrame) -> dict:
    bbox = [float(v) for v in gdf.to_crs(4326).total_bounds]
    return {
        "type": "collection",
        "title": name,
        "description": f"{name} (embedded kansenkaart test data)",
        "keywords": [name],
        "extents": {"spatial": {"bbox": bbox, "crs": CRS84}},
        "providers": [
            {
                "type": "feature",
                "name": "GeoJSON",
                "data": str(path),
                "id_field": "fid",
                "crs": [RD_URI, CRS84],
                "storage_crs": RD_URI,
            }
        ],
    }


def _config(port: int, resources: dict) -> dict:
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 10, "max_items": 1000},
            "map": {"url": "http://127.0.0.1/", "attribution": "test"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "kansenkaart test server",
                "description": "embedded data under PDOK collection names",
                "keywords": ["test"],
                "keywords_type": "theme",
                "terms_of_service": "https://creativecommons.org/licenses/by/4.0/",
                "url": "http://127.0.0.1/",
            },
            "license": {
                "name": "CC-BY 4.0",
                "url": "https://creativecommons.org/licenses/by/4.0/",
            },
            "provider": {"name": "kansenkaart tests", "url": "http://127.0.0.1/"},
            "contact": {"name": "kansenkaart", "email": "test@example.org"},
        },
        "resources": resources,
    }


def _wait(
    url: str, proc: subprocess.Popen[bytes], log: Path, deadline_s: float = 90
) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            err = log.read_text(encoding="utf-8", errors="replace")
            pytest.fail(f"pygeoapi exited ({proc.returncode}): {err[-2000:]}")
        try:
            if httpx.get(f"{url}/collections?f=json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"pygeoapi did not answer at {url} within {deadline_s} s")


@pytest.fixture(scope="session")
def ogc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OGCServer]:
    """pygeoapi serving the embedded data on 127.0.0.1 (a random free port)."""
    folder = tmp_path_factory.mktemp("pygeoapi")
    port = _free_port()
    frames, resources = {}, {}
    for name, src in SOURCES.items():
        path, gdf = _geojson(name, src, folder)
        frames[name] = gdf
        resources[name] = _resource(name, path, gdf)
    config = folder / "pygeoapi-config.yml"
    config.write_text(yaml.safe_dump(_config(port, resources)), encoding="utf-8")
    openapi = folder / "openapi.yml"
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "pygeoapi"),
            "openapi",
            "generate",
            str(config),
            "--output-file",
            str(openapi),
        ],
        check=True,
        capture_output=True,
    )
    log = folder / "pygeoapi.log"
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("_serve.py")),
                str(config),
                str(openapi),
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=log_fh,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, proc, log)
            yield OGCServer(url=url, sources=frames)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
