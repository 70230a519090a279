"""PostGIS as source and sink, against the real server ``.ci/run`` starts.

The server's URL comes from ``KANSENKAART_TEST_PG`` (set by ``.ci/run``, which
fails when it cannot start PostgreSQL + PostGIS). Without it these tests skip,
saying why. Every test works in its own schema and drops it afterwards.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli
from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.io.bag import read_bag_light
from kansenkaart.io.bag_xml import read_lvbag_units, read_lvbag_xml
from kansenkaart.io.imro import read_imro_gpkg
from kansenkaart.io.postgis import parse_pg_url, write_frames
from kansenkaart.sources.read import (
    read_buildings,
    read_layer,
    read_parcels,
    read_zoning,
)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
TEST_DATA = REPO / "tests" / "data"
PND = TEST_DATA / "doesburg_0221PND15092020-000001_sample.xml"
VBO = TEST_DATA / "doesburg_0221VBO15092020-000001_sample.xml"
PANDEN = DATA / "amsterdam_BU03638600_bag_panden.gpkg"
PERCELEN = DATA / "amsterdam_BU03638600_brk_percelen.gpkg"
N2000 = DATA / "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg"
VALKENBURG = DATA / "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg"

PG = os.environ.get("KANSENKAART_TEST_PG")
pytestmark = pytest.mark.skipif(
    not PG,
    reason="KANSENKAART_TEST_PG is not set: no PostGIS server (.ci/run starts one)",
)


def _engine():  # type: ignore[no-untyped-def]
    import sqlalchemy

    return sqlalchemy.create_engine(parse_pg_url(str(PG)).url)


@pytest.fixture
def schema() -> Iterator[str]:
    """A fresh schema, dropped (with everything in it) after the test."""
    from sqlalchemy import text

    name = f"t_{uuid.uuid4().hex[:10]}"
    engine = _engine()
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    yield name
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name}_out CASCADE"))
    engine.dispose()


def _tables(schema: str) -> set[str]:
    from sqlalchemy import inspect

    engine = _engine()
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names(schema=schema))
    finally:
        engine.dispose()


def _load(path: Path, schema: str, table: str) -> None:
    engine = _engine()
    try:
        gpd.read_file(path).to_postgis(table, engine, schema=schema, index=False)
    finally:
        engine.dispose()


def _load_nlextract_doesburg(schema: str) -> None:
    """Doesburg's PND and VBO as NLExtract tables (arrays for gebruiksdoel, pandref)."""
    from sqlalchemy import text

    panden = read_lvbag_xml(PND)
    pand = gpd.GeoDataFrame(
        {
            "identificatie": panden["building_id"].astype(str),
            "bouwjaar": panden["year_built"].astype("Int64"),
            "pandstatus": panden["status"].astype(str),
        },
        geometry=panden.geometry.values,
        crs=panden.crs,
    ).rename_geometry("geovlak")
    units = read_lvbag_units(VBO)
    engine = _engine()
    try:
        pand.to_postgis("pandactueelbestaand", engine, schema=schema, index=False)
        units.to_sql("vbo_staging", engine, schema=schema, index=False)
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {schema}.verblijfsobjectactueelbestaand AS "
                    "SELECT unit_id AS identificatie, "
                    "string_to_array(min(uses), ',') AS gebruiksdoel, "
                    "min(floor_area_m2) AS oppervlakteverblijfsobject, "
                    "array_agg(building_id ORDER BY building_id) AS pandref, "
                    "min(status) AS verblijfsobjectstatus "
                    f"FROM {schema}.vbo_staging GROUP BY unit_id"
                )
            )
    finally:
        engine.dispose()


def test_nlextract_tables_give_the_same_buildings_as_the_xml(schema: str) -> None:
    _load_nlextract_doesburg(schema)
    from_pg = read_buildings(f"{PG}?schema={schema}")
    from_xml = read_lvbag_xml(PND)  # reads the VBO part beside it
    assert from_xml["n_units"].sum() == 2
    cols = [c for c in from_xml.columns if c not in ("source", "geometry")]
    pd.testing.assert_frame_equal(
        from_pg[cols].reset_index(drop=True), from_xml[cols].reset_index(drop=True)
    )
    assert from_pg.geometry.geom_equals_exact(from_xml.geometry, 1e-6).all()
    assert set(from_pg["source"]) == {"postgis"}


def test_a_table_reads_like_the_same_data_in_a_file(schema: str) -> None:
    _load(PANDEN, schema, "panden")
    _load(PERCELEN, schema, "percelen")
    buildings = read_buildings(f"{PG}?table={schema}.panden")
    expected = read_bag_light(PANDEN)
    assert len(buildings) == len(expected) == 464
    assert buildings["use_residential"].sum() == expected["use_residential"].sum()
    parcels = read_parcels(f"{PG}?table=percelen&schema={schema}")
    assert sorted(parcels["parcel_id"]) == sorted(read_parcels(PERCELEN)["parcel_id"])


def test_zoning_in_the_canonical_model_round_trips(schema: str) -> None:
    plan = read_imro_gpkg(VALKENBURG)
    engine = _engine()
    try:
        plan.to_postgis("zoning", engine, schema=schema, index=False)
    finally:
        engine.dispose()
    back = read_zoning(f"{PG}?table={schema}.zoning")
    assert len(back) == len(plan)
    assert back["main_group"].value_counts().to_dict() == (
        plan["main_group"].value_counts().to_dict()
    )


def test_site_scan_reads_from_and_writes_to_postgis(
    schema: str, tmp_path: Path
) -> None:
    for path, table in ((PANDEN, "panden"), (PERCELEN, "percelen"), (N2000, "n2k")):
        _load(path, schema, table)
    src = f"{PG}?table={schema}."
    args = ["scan", "sites", "--buildings", src + "panden", "--parcels"]
    args += [src + "percelen", "--layer", f"natura2000={src}n2k"]
    out_schema = f"{schema}_out"
    result = CliRunner().invoke(cli, [*args, "--out", f"{PG}?schema={out_schema}"])
    assert result.exit_code == 0, result.output
    assert f"schema={out_schema}" in result.output
    assert {"candidates", "summary", "context_buildings"} <= _tables(out_schema)
    files = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "files")])
    assert files.exit_code == 0, files.output
    engine = _engine()
    try:
        db = pd.read_sql(f"SELECT * FROM {out_schema}.candidates", engine)
        summary = json.loads(
            pd.read_sql(f"SELECT * FROM {out_schema}.summary", engine).iloc[0, 0]
        )
    finally:
        engine.dispose()
    csv = pd.read_csv(
        tmp_path / "files" / "candidates.csv", dtype={"candidate_id": str}
    )
    assert len(db) == summary["candidates_in"] == len(csv) > 400
    assert (
        db.set_index("candidate_id")["outcome"]
        .sort_index()
        .equals(csv.set_index("candidate_id")["outcome"].sort_index())
    )
    inputs = {i["layer"]: i for i in summary["inputs"]}
    assert inputs["buildings"]["path"].startswith("postgresql://")
    assert inputs["buildings"]["sha256"] is None


def test_write_is_one_transaction(schema: str) -> None:
    good = gpd.read_file(N2000)
    bad = pd.DataFrame({"x": [{1, 2}]})  # a set cannot be stored: fails mid-way
    url = f"{PG}?schema={schema}"
    with pytest.raises(Exception, match=r"set|adapt|type"):
        write_frames(url, {"natura2000": good, "broken": bad})
    assert _tables(schema) == set()  # natura2000 was rolled back too
    write_frames(url, {"natura2000": good})
    with pytest.raises(ConfigError, match="already holds natura2000"):
        write_frames(url, {"natura2000": good})
    write_frames(url, {"natura2000": good.iloc[:1]}, overwrite=True)
    engine = _engine()
    try:
        n = pd.read_sql(f"SELECT count(*) AS n FROM {schema}.natura2000", engine)
    finally:
        engine.dispose()
    assert int(n["n"].iloc[0]) == 1


def test_errors_name_the_table_and_the_connection(schema: str) -> None:
    with pytest.raises(DataSourceError, match=rf"{schema}\.nergens not found"):
        read_layer(f"{PG}?table={schema}.nergens")
    with pytest.raises(ConfigError, match="not a plain table"):
        read_layer(f"{PG}?table=a;drop table x")
    with pytest.raises(DataSourceError, match="cannot connect"):
        read_layer("postgresql://postgres@127.0.0.1:1/x?table=t")


def test_layers_inspect_reads_tables_and_hides_the_password(schema: str) -> None:
    _load(PERCELEN, schema, "percelen")
    _load_nlextract_doesburg(schema)
    parts = urlsplit(str(PG))
    with_pw = urlunsplit(
        parts._replace(netloc=f"{parts.username}:geheim@{parts.hostname}:{parts.port}")
    )
    urls = [f"{with_pw}?table={schema}.percelen", f"{with_pw}?schema={schema}"]
    result = CliRunner().invoke(cli, ["layers", "inspect", "--json", *urls])
    assert result.exit_code == 0, result.output
    assert "geheim" not in result.output
    parcels, buildings = (json.loads(line) for line in result.output.splitlines())
    assert (parcels["kind"], parcels["format"]) == ("parcels", "postgis/dkk-gpkg")
    assert parcels["features"] == 422
    assert (buildings["kind"], buildings["features"]) == ("buildings", 2)
