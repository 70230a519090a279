"""The prepared folder and the partitioned engine.

A prepared folder round-trips the layers (same features, ids, attributes);
the partitioned engine gives the fast engine's candidates and values for any
partition size (hypothesis), on partitions whose borders cut through
buildings, parcels and zones and with rules that look beyond a partition (the
Natura 2000 buffer); the slow reference agrees; a whole scan written in
partitions equals the fast engine's result folder; Dask runs the same
partitions; stale folders are refused and an interrupted run leaves --out
untouched.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from kansenkaart import national
from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.pipeline import run_scan, scan_to_folder
from kansenkaart.prepare import (
    INDEX_NAME,
    load_prepared_layers,
    open_prepared,
    prepare_dataset,
)
from kansenkaart.rules import partitioned
from kansenkaart.rules.engine import evaluate_rules
from kansenkaart.rules.predicates import ScanContext
from kansenkaart.sources.coverage import Coverage, frame_coverage
from kansenkaart.sources.layers import ScanInputs
from kansenkaart.sources.read import read_buildings
from tests.scale import reference as ref
from tests.scale._site import REFERENCE_DATE
from tests.scale.conftest import scan_inputs

pytestmark = pytest.mark.filterwarnings("ignore::kansenkaart.errors.KansenkaartWarning")

ROW_GROUP_ROWS = 50


def _prepare(files: dict[str, Path], out: Path, **kwargs) -> Path:
    return prepare_dataset(scan_inputs(files), out, **kwargs)


@pytest.fixture(scope="session")
def prepared(site_files, tmp_path_factory) -> Path:
    """The synthetic province prepared in row groups of 50 features."""
    out = tmp_path_factory.mktemp("prepared") / "nl"
    return _prepare(site_files, out, row_group_rows=ROW_GROUP_ROWS)


@functools.cache
def _prepared_with(files_key: str, row_group_rows: int) -> Path:
    """A prepared copy with other row groups (cached across examples)."""
    files = {k: Path(v) for k, v in json.loads(files_key).items()}
    out = Path(tempfile.mkdtemp(prefix="kk-prepared-")) / f"rg{row_group_rows}"
    return _prepare(files, out, row_group_rows=row_group_rows, bucket_rows=700)


_FAST: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}


def _fast(site) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fast engine's values of ``site`` (made once per site)."""
    if id(site) not in _FAST:
        table = evaluate_rules(site.candidates, site.scan.rules, site.context())
        _FAST[id(site)] = (table.values, table.outside_coverage)
    return _FAST[id(site)]


# --- the prepared folder -----------------------------------------------------


def test_prepared_round_trip(site, site_files, prepared) -> None:
    """Every layer comes back with the same features, ids and attributes."""
    ds = open_prepared(prepared)
    back = load_prepared_layers(ds)
    originals = dict(site.layers)
    originals["buildings"] = read_buildings(site_files["buildings"])  # all columns
    assert set(back) == set(originals)
    for name, layer in originals.items():
        got, original = back[name], layer
        if name == "ownership":
            got = got.sort_values("parcel_id", kind="stable").reset_index(drop=True)
            original = original.sort_values("parcel_id", kind="stable")
        pd.testing.assert_frame_equal(
            pd.DataFrame(got).reset_index(drop=True),
            pd.DataFrame(original).reset_index(drop=True),
            check_exact=True,
            obj=name,
        )


def test_prepared_files_are_sorted_and_covered(prepared) -> None:
    """Rows follow the curve, row groups are bounded and the bbox column is exact."""
    ds = open_prepared(prepared)
    for name in ("parcels", "buildings", "zoning"):
        source = pq.ParquetFile(ds.file(name))
        sizes = [
            source.metadata.row_group(i).num_rows for i in range(source.num_row_groups)
        ]
        assert max(sizes) <= ROW_GROUP_ROWS
        assert sizes == [g["rows"] for g in ds.row_groups(name)]
        table = source.read()
        keys = table["_hilbert"].to_numpy()
        assert (np.diff(keys.astype(np.int64)) >= 0).all()
        bounds = shapely.bounds(shapely.from_wkb(table["geometry"].to_numpy()))
        bbox = table["bbox"].combine_chunks()
        for i, field in enumerate(("xmin", "ymin", "xmax", "ymax")):
            np.testing.assert_array_equal(bbox.field(field).to_numpy(), bounds[:, i])
        geo = json.loads(source.schema_arrow.metadata[b"geo"])
        assert geo["version"] == "1.1.0"
        assert geo["columns"]["geometry"]["covering"]["bbox"]["xmin"] == [
            "bbox",
            "xmin",
        ]
    assert len(ds.row_groups("parcels")) >= 40


def test_external_sort_gives_the_same_files(site_files, prepared, tmp_path) -> None:
    """Sorting in buckets of 300 rows gives the same rows as sorting at once."""
    small = _prepare(
        site_files, tmp_path / "small", row_group_rows=ROW_GROUP_ROWS, bucket_rows=300
    )
    for name in ("parcels", "buildings"):
        a = pq.read_table(open_prepared(prepared).file(name))
        b = pq.read_table(open_prepared(small).file(name))
        assert a.equals(b), name


# --- partitions cut through features --------------------------------------------


def _partitions(prepared: Path, rows: int) -> list[partitioned.Partition]:
    ds = open_prepared(prepared)
    return partitioned.plan_partitions(ds, "parcels", rows, fallback=True)


def test_partition_borders_cut_through_features(site, prepared) -> None:
    """With 100 parcels a partition, buildings and zones lie across partition borders."""
    parts = _partitions(prepared, 100)
    assert len(parts) >= 15
    boxes = shapely.box(*np.array([p.extent for p in parts]).T)
    for name in ("buildings", "zoning"):
        geoms = np.asarray(site.layers[name].geometry.values)
        tree = shapely.STRtree(boxes)
        left, _ = tree.query(geoms, predicate="intersects")
        assert (np.bincount(left, minlength=len(geoms)) >= 2).sum() >= 20, name


def test_halo_matters(site, prepared, monkeypatch) -> None:
    """Without halos some partition misses features its candidates depend on."""
    ds = open_prepared(prepared)
    values, _ = _fast(site)
    monkeypatch.setattr(partitioned, "layer_halos", lambda rules: {})
    monkeypatch.setattr(partitioned, "HALO_MARGIN_M", 0.0)
    _, table = partitioned.evaluate_rules_partitioned(
        ds, site.scan, REFERENCE_DATE, partition_rows=100, workers=1
    )
    changed = (table.values.astype(object) != values.astype(object)).any(axis=0)
    assert changed["LOC-N2000-BUFFER"]


# --- the partitioned engine equals the fast engine and the reference -----------


def _check_equal(site, cand, table) -> None:
    values, naf = _fast(site)
    assert cand.index.equals(site.candidates.index)
    assert cand.geometry.equals(site.candidates.geometry)
    pd.testing.assert_frame_equal(table.values, values, check_exact=True)
    pd.testing.assert_frame_equal(table.outside_coverage, naf)


@settings(max_examples=6, deadline=None)
@given(
    partition_rows=st.integers(min_value=20, max_value=2100),
    row_group_rows=st.sampled_from([37, 50, 400]),
)
def test_partitioned_equals_fast(site, site_files, partition_rows, row_group_rows):
    key = json.dumps({k: str(v) for k, v in site_files.items()}, sort_keys=True)
    ds = open_prepared(_prepared_with(key, row_group_rows))
    cand, table = partitioned.evaluate_rules_partitioned(
        ds, site.scan, REFERENCE_DATE, partition_rows=partition_rows, workers=1
    )
    _check_equal(site, cand, table)


def test_partitioned_pool_equals_reference(site, prepared) -> None:
    """Two worker processes; the slow reference agrees on every value."""
    ds = open_prepared(prepared)
    cand, table = partitioned.evaluate_rules_partitioned(
        ds, site.scan, REFERENCE_DATE, partition_rows=300, workers=2
    )
    _check_equal(site, cand, table)
    ctx = site.context()
    expected = ref.reference_values(
        site.candidates,
        site.scan.rules,
        site.layers,
        regime=ctx.regime,
        horizon_years=ctx.horizon_years,
    )
    ref.assert_matches_reference(table.values, expected)


def test_dask_reads_the_same_partitions(site, prepared, dask_client) -> None:
    from kansenkaart.rules.dask_engine import dask_mapper

    ds = open_prepared(prepared)
    cand, table = partitioned.evaluate_rules_partitioned(
        ds,
        site.scan,
        REFERENCE_DATE,
        partition_rows=400,
        mapper=dask_mapper(client=dask_client),
    )
    _check_equal(site, cand, table)


# --- whole scans ---------------------------------------------------------------


def _fast_and_partitioned(site_files, prepared, tmp_path, area=None, **options):
    """Result folders ``fast`` and ``part`` of the test scan: the fast engine on
    the files, the partitioned engine (``options``) on the prepared folder."""
    kwargs = {"reference_date": "2026-01-01", "overwrite": True}
    files = scan_inputs(site_files)
    files.area = area
    _, fast = scan_to_folder(site_files["scan"], files, tmp_path / "fast", **kwargs)
    result, part = scan_to_folder(
        site_files["scan"],
        ScanInputs(parcels=[prepared], area=area),
        tmp_path / "part",
        engine="partitioned",
        **options,
        **kwargs,
    )
    return result, fast, part


def test_folder_written_in_partitions_equals_fast(site_files, prepared, tmp_path):
    result, fast, part = _fast_and_partitioned(
        site_files, prepared, tmp_path, chunk_size=300, workers=1
    )
    a = (fast / "candidates.csv").read_bytes()
    assert (part / "candidates.csv").read_bytes() == a
    assert a.count(b"\n") == 2001
    import geopandas as gpd

    pd.testing.assert_frame_equal(
        gpd.read_file(part / "candidates.gpkg", layer="candidates"),
        gpd.read_file(fast / "candidates.gpkg", layer="candidates"),
    )
    styles = [
        gpd.list_layers(f / "candidates.gpkg")["name"].tolist() for f in (part, fast)
    ]
    assert styles[0] == styles[1]
    s_fast = json.loads((fast / "summary.json").read_text(encoding="utf-8"))
    for key in ("candidates_in", "scored", "unknown", "excluded", "by_municipality"):
        assert result.summary[key] == s_fast[key], key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fast", "part"]


def test_folder_in_small_batches_on_processes_equals_fast(
    site_files, prepared, tmp_path, monkeypatch
):
    """Output batches of 150 rows from 2 worker processes: the GeoPackage is
    streamed batch by batch (one geometry type for the whole layer, the
    zoning fallback's multipolygons among the parcels' polygons) and the CSV
    parts joined in order; every part is removed once written."""
    monkeypatch.setattr(national, "OUTPUT_BATCH_ROWS", 150)
    _, fast, part = _fast_and_partitioned(
        site_files, prepared, tmp_path, chunk_size=700, workers=2
    )
    assert (part / "candidates.csv").read_bytes() == (
        fast / "candidates.csv"
    ).read_bytes()
    got = gpd.read_file(part / "candidates.gpkg", layer="candidates")
    want = gpd.read_file(fast / "candidates.gpkg", layer="candidates")
    pd.testing.assert_frame_equal(got, want)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fast", "part"]


def _area_file(folder: Path, geometry) -> Path:
    path = folder / "area.gpkg"
    gpd.GeoDataFrame(geometry=[geometry], crs="EPSG:28992").to_file(path)
    return path


def test_folder_of_an_area_equals_fast(site, site_files, prepared, tmp_path):
    """``--area`` on a prepared folder keeps the same candidates as the fast
    engine (it crashed: the partition job carries the area as an array)."""
    x0, y0, x1, y1 = site.candidates.total_bounds
    west = shapely.box(x0, y0, (x0 + x1) / 2, y1)
    area = _area_file(tmp_path, west)
    _, fast, part = _fast_and_partitioned(
        site_files, prepared, tmp_path, area=area, chunk_size=300, workers=1
    )
    text = (fast / "candidates.csv").read_bytes()
    assert (part / "candidates.csv").read_bytes() == text
    assert 0 < text.count(b"\n") - 1 < len(site.candidates)


def test_area_without_candidates_is_refused(site, site_files, prepared, tmp_path):
    """An area inside the folder's extent that holds no candidate: a clear
    error naming --area, and nothing written beside the area file."""
    x0, y0, x1, y1 = site.candidates.total_bounds
    speck = shapely.Point((x0 + x1) / 2, (y0 + y1) / 2).buffer(0.01)
    area = _area_file(tmp_path, speck)
    with pytest.raises(ConfigError, match="--area: no candidate"):
        scan_to_folder(
            site_files["scan"],
            ScanInputs(parcels=[prepared], area=area),
            tmp_path / "out",
            engine="partitioned",
            reference_date="2026-01-01",
            workers=1,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["area.gpkg"]


def test_streamed_layer_takes_the_type_of_all_batches(tmp_path) -> None:
    """One batch of polygons, one with a multipolygon: the layer is
    MultiPolygon with every polygon promoted, as pyogrio writes the whole
    table at once."""
    square = shapely.box(0, 0, 1, 1)
    two = shapely.MultiPolygon([square, shapely.box(2, 0, 3, 1)])
    frames = [
        gpd.GeoDataFrame({"n": [1, 2]}, geometry=[square, square], crs=28992),
        gpd.GeoDataFrame({"n": [3]}, geometry=[two], crs=28992),
    ]
    frames = [
        f.set_axis(pd.Index(ids, name="candidate_id"))
        for f, ids in zip(frames, (["a", "b"], ["c"]), strict=True)
    ]
    parts = [
        national._Assembled(
            len(f),
            frozenset(shapely.get_type_id(f.geometry.values).tolist()),
            False,
            False,
            "EPSG:28992",
        )
        for f in frames
    ]
    geometry = national._layer_geometry(parts)
    assert geometry == national._LayerGeometry("MultiPolygon", promote=True)
    assert national._layer_geometry(parts[:1]).name == "Polygon"
    whole = pd.concat(frames)
    whole.to_file(tmp_path / "whole.gpkg", engine="pyogrio")
    tables = [national._arrow_table(f, promote=geometry.promote) for f in frames]
    import pyarrow as pa
    import pyogrio

    pyogrio.write_arrow(
        pa.RecordBatchReader.from_batches(
            tables[0].schema, [b for t in tables for b in t.to_batches()]
        ),
        tmp_path / "streamed.gpkg",
        driver="GPKG",
        geometry_name="geometry",
        geometry_type=geometry.name,
        crs="EPSG:28992",
    )
    got = gpd.read_file(tmp_path / "streamed.gpkg")
    want = gpd.read_file(tmp_path / "whole.gpkg")
    assert list(got.geom_type) == ["MultiPolygon"] * 3
    pd.testing.assert_frame_equal(got, want)


def test_run_scan_on_a_prepared_folder(site_files, prepared) -> None:
    fast = run_scan(
        site_files["scan"], scan_inputs(site_files), reference_date="2026-01-01"
    )
    for engine in ("auto", "partitioned"):
        got = run_scan(
            site_files["scan"],
            ScanInputs(parcels=[prepared], buildings=[prepared]),
            reference_date="2026-01-01",
            engine=engine,
            workers=1,
            chunk_size=500,
        )
        pd.testing.assert_frame_equal(
            pd.DataFrame(got.candidates.drop(columns="geometry")),
            pd.DataFrame(fast.candidates.drop(columns="geometry")),
            check_exact=True,
        )


def test_auto_picks_partitioned_for_a_large_folder(site, prepared, monkeypatch):
    from kansenkaart import pipeline

    ds = open_prepared(prepared)
    assert pipeline._choose_engine("auto", ds, site.scan) == "fast"
    monkeypatch.setattr(pipeline, "AUTO_PARTITIONED_ROWS", 1000)
    assert pipeline._choose_engine("auto", ds, site.scan) == "partitioned"
    assert pipeline._choose_engine("fast", ds, site.scan) == "fast"


def test_interrupted_run_leaves_out_untouched(
    site_files, prepared, tmp_path, monkeypatch
):
    from kansenkaart.results.folder import MARKER, write_marker

    out = tmp_path / "out"  # a previous result folder, which --overwrite may replace
    out.mkdir()
    (out / "candidates.csv").write_text("earlier", encoding="utf-8")
    write_marker(out)
    calls = []

    def failing(job):
        calls.append(job.partition.id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return partitioned.evaluate_partition(job)

    monkeypatch.setattr(national, "evaluate_partition", failing)
    with pytest.raises(KeyboardInterrupt):
        scan_to_folder(
            site_files["scan"],
            ScanInputs(parcels=[prepared]),
            out,
            overwrite=True,
            engine="partitioned",
            chunk_size=300,
            workers=1,
            reference_date="2026-01-01",
        )
    assert len(calls) == 3
    assert sorted(p.name for p in out.iterdir()) == sorted(["candidates.csv", MARKER])
    assert (out / "candidates.csv").read_text(encoding="utf-8") == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# --- refused folders and options -------------------------------------------------


def _copy(prepared: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(prepared, tmp_path / "copy"))


def test_other_version_is_refused(site_files, prepared, tmp_path) -> None:
    folder = _copy(prepared, tmp_path)
    index = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    index["kansenkaart_version"] = "0.0.1"
    (folder / INDEX_NAME).write_text(json.dumps(index), encoding="utf-8")
    with pytest.raises(
        DataSourceError, match=r"prepared by kansenkaart 0\.0\.1"
    ) as err:
        run_scan(site_files["scan"], ScanInputs(parcels=[folder]), engine="partitioned")
    assert "Prepare it again" in str(err.value)


def test_changed_input_is_refused(site_files, tmp_path) -> None:
    files = dict(site_files)
    files["ownership"] = Path(
        shutil.copy(site_files["ownership"], tmp_path / "own.csv")
    )
    folder = _prepare(files, tmp_path / "nl", row_group_rows=500)
    open_prepared(folder)  # unchanged: accepted
    text = files["ownership"].read_text(encoding="utf-8")
    files["ownership"].write_text(text.replace("particulier", "gemeente", 1), "utf-8")
    with pytest.raises(DataSourceError, match="changed after it was prepared") as err:
        open_prepared(folder)
    assert "own.csv" in str(err.value)


def test_prepared_folder_cannot_be_mixed(site_files, prepared) -> None:
    inputs = ScanInputs(parcels=[prepared], buildings=[site_files["buildings"]])
    with pytest.raises(ConfigError, match="same folder"):
        run_scan(site_files["scan"], inputs)


def test_partitioned_needs_a_prepared_folder(site_files) -> None:
    with pytest.raises(ConfigError, match="kansenkaart prepare"):
        run_scan(site_files["scan"], scan_inputs(site_files), engine="partitioned")


def test_repeated_ids_across_files_keep_the_first(site_files, tmp_path) -> None:
    """Parcels given in two files: the first occurrence wins, as in a scan."""
    import geopandas as gpd

    parcels = gpd.read_parquet(site_files["parcels"])
    second = tmp_path / "second.parquet"
    moved = parcels.iloc[:100].copy()
    moved["geometry"] = moved.geometry.translate(5000, 0)
    from kansenkaart.io.parquet import write_canonical_parquet

    write_canonical_parquet(moved, second)
    inputs = ScanInputs(parcels=[site_files["parcels"], second])
    folder = prepare_dataset(inputs, tmp_path / "nl", row_group_rows=64)
    back = load_prepared_layers(open_prepared(folder))["parcels"]
    assert len(back) == len(parcels)
    assert back.geometry.reset_index(drop=True).equals(
        parcels.geometry.reset_index(drop=True)
    )


def test_cli_prepare_and_scan(site_files, tmp_path) -> None:
    from click.testing import CliRunner

    from kansenkaart.cli.main import cli

    runner = CliRunner()
    folder = tmp_path / "nl"
    made = runner.invoke(
        cli,
        [
            "-q",
            "prepare",
            "--parcels",
            str(site_files["parcels"]),
            "--buildings",
            str(site_files["buildings"]),
            "--zoning",
            str(site_files["zoning"]),
            "--ownership",
            str(site_files["ownership"]),
            "--layer",
            f"natura2000={site_files['natura2000']}",
            "--row-group-rows",
            "300",
            "--out",
            str(folder),
        ],
    )
    assert made.exit_code == 0, made.output
    assert (folder / INDEX_NAME).exists()
    common = ["--scan", str(site_files["scan"]), "--reference-date", "2026-01-01"]
    scan = ["-q", "scan", "sites", "--parcels", str(folder), *common]
    done = runner.invoke(
        cli, [*scan, "--engine", "partitioned", "--out", str(tmp_path / "out")]
    )
    assert done.exit_code == 0, done.output
    assert "2000 kandidaten" in done.output
    again = runner.invoke(
        cli, [*scan, "--map", "--engine", "partitioned", "--out", str(tmp_path / "o2")]
    )
    assert again.exit_code == 1
    assert "--map and --sensitivity need all candidates" in again.output
    assert "Traceback" not in again.output


def test_fallback_zones_are_counted_once(site_files, tmp_path) -> None:
    """Where parcels are missing, zoning areas are candidates: each in exactly
    one partition, with the fast engine's values."""
    import geopandas as gpd

    from kansenkaart.io.parquet import write_canonical_parquet

    parcels = gpd.read_parquet(site_files["parcels"])
    x = parcels.geometry.centroid.x
    lo, hi = x.quantile(0.3), x.quantile(0.6)
    files = dict(site_files)
    files["parcels"] = write_canonical_parquet(
        parcels[(x < lo) | (x > hi)], tmp_path / "parcels.parquet"
    )
    fast = run_scan(files["scan"], scan_inputs(files), reference_date="2026-01-01")
    kinds = fast.candidates["candidate_kind"].value_counts()
    assert kinds.get("bestemmingsvlak", 0) >= 5, kinds
    folder = _prepare(files, tmp_path / "nl", row_group_rows=40)
    got = run_scan(
        files["scan"],
        ScanInputs(parcels=[folder]),
        reference_date="2026-01-01",
        engine="partitioned",
        chunk_size=40,
        workers=1,
    )
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.candidates.drop(columns="geometry")),
        pd.DataFrame(fast.candidates.drop(columns="geometry")),
        check_exact=True,
    )


def test_object_scan_on_a_prepared_folder(tmp_path) -> None:
    """The object scan (buildings as candidates) on the embedded Amsterdam data."""
    from kansenkaart.datasets import data_path, scan_path

    inputs = ScanInputs(
        buildings=[data_path("amsterdam_BU03638600_bag_panden.gpkg")],
        layers={
            "natura2000": data_path(
                "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg"
            )
        },
    )
    kwargs = {"reference_date": "2026-01-01"}
    fast = run_scan(scan_path("objectscan"), inputs, **kwargs)
    folder = prepare_dataset(inputs, tmp_path / "nl", row_group_rows=50)
    got = run_scan(
        scan_path("objectscan"),
        ScanInputs(buildings=[folder]),
        engine="partitioned",
        chunk_size=100,
        workers=1,
        **kwargs,
    )
    assert len(got.candidates) == len(fast.candidates) == 464
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.candidates.drop(columns="geometry")),
        pd.DataFrame(fast.candidates.drop(columns="geometry")),
        check_exact=True,
    )


def test_partitioned_equals_fast_with_coverage(site, prepared) -> None:
    """A coverage polygon that cuts the site in half: both engines leave the
    same candidates undecided (and keep the same hits) outside it."""
    ds = open_prepared(prepared)
    xmin, ymin, xmax, ymax = site.candidates.total_bounds
    half = shapely.box(xmin - 1, ymin - 1, (xmin + xmax) / 2, ymax + 1)
    coverage = {
        name: Coverage(half, "test: western half")
        for name in site.layers
        if isinstance(site.layers[name], gpd.GeoDataFrame)
    }
    cand, table = partitioned.evaluate_rules_partitioned(
        ds, site.scan, REFERENCE_DATE, partition_rows=300, workers=1, coverage=coverage
    )
    ctx = site.context()
    fast = evaluate_rules(
        site.candidates,
        site.scan.rules,
        ScanContext(
            layers=ctx.layers,
            regime=ctx.regime,
            horizon_years=ctx.horizon_years,
            reference_date=ctx.reference_date,
            coverage=coverage,
        ),
    )
    assert cand.index.equals(site.candidates.index)
    pd.testing.assert_frame_equal(table.values, fast.values, check_exact=True)
    pd.testing.assert_frame_equal(table.outside_coverage, fast.outside_coverage)
    # the coverage matters: some values became undecided compared with none
    plain, _ = _fast(site)
    assert (fast.values.isna().sum() > plain.isna().sum()).any()


def test_prepared_folder_records_coverage(prepared, site) -> None:
    """Each vector layer's coverage is kept in the index: the hull of its
    features, as a scan on the original files takes it."""
    ds = open_prepared(prepared)
    cover = ds.coverage()
    assert "parcels" in cover and cover["parcels"].geometry is not None
    hull = frame_coverage("parcels", site.layers["parcels"]).geometry
    assert cover["parcels"].geometry.symmetric_difference(hull).area < 1e-6 * hull.area
    assert ds.coverage(national_layers=["parcels"])["parcels"].national
