"""The fast engine, the Dask engine and a slow reference give the same values.

On a synthetic province with many buildings across parcel borders, parcels
across zone borders and Natura 2000 areas in and around it: the fast engine
(one chunk, and small chunks on two threads), the Dask engine (small spatial
partitions with a halo on a local two-process cluster) and the plain
reference implementation in :mod:`tests.scale.reference`; then whole scans
through :func:`kansenkaart.pipeline.run_scan` with either engine.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError

import numpy as np
import pandas as pd
import pytest
import shapely

from kansenkaart import __version__
from kansenkaart.errors import ConfigError
from kansenkaart.pipeline import run_scan
from kansenkaart.rules import dask_engine
from kansenkaart.rules.chunks import clip_layers, halo_m, spatial_chunks
from kansenkaart.rules.engine import evaluate_rules, plan_rules
from tests.scale import reference as ref
from tests.scale._site import overlap_counts
from tests.scale.conftest import PARTITION_SIZE, scan_inputs

pytestmark = pytest.mark.filterwarnings("ignore::kansenkaart.errors.KansenkaartWarning")

FAST_CHUNK = 300


# --- the fixture proves something --------------------------------------------


def test_buildings_cross_parcel_borders(province) -> None:
    geoms = np.asarray(province.buildings.geometry.values)
    parcels = np.asarray(province.parcels.geometry.values)
    crossing = overlap_counts(geoms, parcels) >= 2
    assert crossing.sum() >= 0.15 * len(geoms), crossing.sum()


def test_parcels_cross_zone_borders(province) -> None:
    zoning = province.zoning
    enkel = zoning[zoning["object_type"] == "Enkelbestemming"]
    parcels = np.asarray(province.parcels.geometry.values)
    across = overlap_counts(parcels, np.asarray(enkel.geometry.values)) >= 2
    assert across.sum() >= 20, across.sum()


def _partition_cuts(site, halo):
    cand = site.candidates
    for pos in spatial_chunks(cand, PARTITION_SIZE):
        part = cand.iloc[pos]
        bounds = tuple(part.total_bounds)
        yield part, bounds, clip_layers(site.layers, bounds, halo, part.index)


def test_halo_matters(site) -> None:
    """Some partition needs Natura 2000 areas beyond its own bounding box, and
    its values change without the halo."""
    evaluated, _, _ = plan_rules(site.scan.rules, site.context())
    halo = halo_m(evaluated)
    assert halo == 1000
    ctx = site.context()
    beyond = changed = 0
    for part, bounds, cut in _partition_cuts(site, halo):
        box = shapely.box(*bounds)
        n2k = np.asarray(cut["natura2000"].geometry.values)
        beyond += int((~shapely.intersects(n2k, box)).any())
        scalars = {
            "regime": ctx.regime,
            "horizon_years": ctx.horizon_years,
            "reference_date": ctx.reference_date,
        }
        with_halo = dask_engine.evaluate_partition(part, cut, evaluated, **scalars)
        bare = clip_layers(site.layers, bounds, 0.0, part.index)
        without = dask_engine.evaluate_partition(part, bare, evaluated, **scalars)
        changed += int(not with_halo.equals(without))
    assert beyond >= 1
    assert changed >= 1


def test_small_halo_cuts_the_layers(site_150) -> None:
    """With a 150 m halo every partition gets only part of the buildings."""
    evaluated, _, _ = plan_rules(site_150.scan.rules, site_150.context())
    halo = halo_m(evaluated)
    assert halo == 150
    n = len(site_150.layers["buildings"])
    cuts = [len(cut["buildings"]) for _, _, cut in _partition_cuts(site_150, halo)]
    assert len(cuts) >= 4
    assert max(cuts) < n


# --- rule values ---------------------------------------------------------------


@pytest.fixture(scope="module", params=["site", "site_150"])
def tables(request, dask_client):
    """Rule tables of one site by every engine, and the reference values."""
    site = request.getfixturevalue(request.param)
    rules, cand = site.scan.rules, site.candidates
    assert len(spatial_chunks(cand, PARTITION_SIZE)) >= 4
    ctx = site.context()
    return {
        "site": site,
        "fast": evaluate_rules(cand, rules, site.context()),
        "fast_chunked": evaluate_rules(
            cand, rules, site.context(), chunk_size=FAST_CHUNK, workers=2
        ),
        "dask": dask_engine.evaluate_rules_dask(
            cand,
            rules,
            site.context(),
            partition_size=PARTITION_SIZE,
            client=dask_client,
        ),
        "reference": ref.reference_values(
            cand, rules, site.layers, regime=ctx.regime, horizon_years=ctx.horizon_years
        ),
    }


def test_reference_exercises_the_rules(tables) -> None:
    values = tables["reference"]
    for rid in ("LOC-N2000", "LOC-N2000-BUFFER", "LOC-CAPACITEIT", "LOC-GEBRUIK"):
        assert set(values[rid].dropna()) == {True, False}, rid
    for rid in ("LOC-BEBOUWING", "LOC-NUTS", "LOC-EIGENDOM", "LOC-BESTEMMING"):
        assert values[rid].nunique() >= 3, rid


def test_fast_chunked_equals_fast(tables) -> None:
    pd.testing.assert_frame_equal(
        tables["fast_chunked"].values, tables["fast"].values, check_exact=True
    )


def test_dask_equals_fast(tables) -> None:
    fast, dk = tables["fast"], tables["dask"]
    pd.testing.assert_frame_equal(dk.values, fast.values, check_exact=True)
    assert dk.rules == fast.rules
    assert dk.skipped == fast.skipped
    assert dk.not_applicable == fast.not_applicable
    pd.testing.assert_frame_equal(dk.outside_coverage, fast.outside_coverage)


def test_fast_equals_reference(tables) -> None:
    ref.assert_matches_reference(tables["fast"].values, tables["reference"])


def test_dask_equals_reference(tables) -> None:
    ref.assert_matches_reference(tables["dask"].values, tables["reference"])


# --- whole scans ---------------------------------------------------------------


def test_run_scan_engines_identical(site_files, dask_client) -> None:
    inputs = scan_inputs(site_files)
    kwargs = {"reference_date": "2026-01-01"}
    fast = run_scan(site_files["scan"], inputs, **kwargs)
    dk = run_scan(
        site_files["scan"],
        inputs,
        engine="dask",
        scheduler=dask_client.scheduler.address,
        chunk_size=PARTITION_SIZE,
        **kwargs,
    )
    a, b = fast.candidates, dk.candidates
    counts = a["outcome"].value_counts()
    assert counts.get("scored", 0) > 100 and counts.get("excluded", 0) > 100
    assert a["rank"].notna().sum() == counts["scored"]
    for col in ("outcome", "score", "rank", "rank_municipality", "reason_nl"):
        pd.testing.assert_series_equal(b[col], a[col], check_exact=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(b.drop(columns="geometry")),
        pd.DataFrame(a.drop(columns="geometry")),
        check_exact=True,
    )
    assert b.geometry.equals(a.geometry)
    pd.testing.assert_frame_equal(dk.table.values, fast.table.values)


# --- errors ----------------------------------------------------------------------


def test_missing_dask_is_a_config_error(site, monkeypatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "dask_geopandas", None)
    with pytest.raises(ConfigError, match=r"pip install 'kansenkaart\[dask\]'"):
        dask_engine.evaluate_rules_dask(
            site.candidates, site.scan.rules, site.context()
        )


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "no-port-here"])
def test_unreachable_scheduler_is_named(site, monkeypatch, address) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(ConfigError, match="Dask scheduler") as err:
        dask_engine.evaluate_rules_dask(
            site.candidates, site.scan.rules, site.context(), scheduler=address
        )
    assert address in str(err.value)


class _FakeClient:
    """Answers ``run`` as workers with the given kansenkaart versions would."""

    def __init__(self, versions: list[str] | None) -> None:
        self.versions = versions

    def run(self, func, *args):
        if self.versions is None:
            raise PackageNotFoundError(args[0])
        return {f"tcp://w{i}:1": v for i, v in enumerate(self.versions)}


def test_workers_must_run_this_kansenkaart() -> None:
    dask_engine._check_workers(_FakeClient([__version__, __version__]))
    with pytest.raises(ConfigError, match="not installed on the Dask workers"):
        dask_engine._check_workers(_FakeClient(None))
    with pytest.raises(ConfigError, match=r"workers run kansenkaart 0\.0\.1"):
        dask_engine._check_workers(_FakeClient([__version__, "0.0.1"]))
