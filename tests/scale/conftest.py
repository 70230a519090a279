"""Fixtures of the scale tests: a synthetic province on disk and a Dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kansenkaart.pipeline import ScanInputs, load_scan_layers, scan_candidates
from kansenkaart.rules.definition import load_scan
from kansenkaart.synth import generate_province, write_province
from tests.scale._site import (
    CROSSING_SHARE,
    N_PARCELS,
    SEED,
    Site,
    natura2000,
    write_scan,
)

#: The partition size of the Dask tests: several partitions per province.
PARTITION_SIZE = 400


@pytest.fixture(scope="session")
def province():
    """The synthetic province (in memory)."""
    return generate_province(N_PARCELS, seed=SEED, crossing_share=CROSSING_SHARE)


@pytest.fixture(scope="session")
def site_files(tmp_path_factory, province) -> dict[str, Path]:
    """The province's files, a Natura 2000 GeoPackage and two test scans."""
    folder = tmp_path_factory.mktemp("province")
    files = write_province(province, folder, format="parquet", overwrite=True)
    files["natura2000"] = folder / "natura2000.gpkg"
    natura2000(province.parcels).to_file(
        files["natura2000"], driver="GPKG", engine="pyogrio"
    )
    files["scan"] = write_scan(folder / "scan.toml")
    files["scan_150"] = write_scan(folder / "scan_150.toml", buffer_m=150)
    return files


def scan_inputs(files: dict[str, Path]) -> ScanInputs:
    """The site scan's inputs (ownership and Natura 2000; no vacancy)."""
    return ScanInputs(
        buildings=[files["buildings"]],
        parcels=[files["parcels"]],
        zoning=[files["zoning"]],
        layers={"ownership": files["ownership"], "natura2000": files["natura2000"]},
    )


def _load(files: dict[str, Path], scan_key: str) -> Site:
    scan = load_scan(files[scan_key])
    layers = load_scan_layers(scan, scan_inputs(files))
    return Site(scan, layers, scan_candidates(scan, layers))


@pytest.fixture(scope="session")
def site(site_files) -> Site:
    """Layers and candidates of the test scan, read as the pipeline reads them."""
    return _load(site_files, "scan")


@pytest.fixture(scope="session")
def site_150(site_files) -> Site:
    """As :func:`site`, with a 150 m buffer flag: a halo of 150 m."""
    return _load(site_files, "scan_150")


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """One local cluster per test module (2 worker processes, 1 thread each)."""
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_geopandas")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client
