"""Tests of the IMRO readers against real plans (GML and converted GeoPackage)."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io.imro import IMRO_TYPES, read_imro_gml, read_imro_gpkg

DORP = "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp"
HORST = "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst"
GOES = "goes_NL.IMRO.0664.BPBS03-ON99_stationsomgeving_zuidwest"
HILVARENBEEK = "hilvarenbeek_NL.IMRO.0798.BPDoornboom-ON01"
ZALTBOMMEL = "zaltbommel_NL.IMRO.0297.BGBBP20140020-OW01_nhw_paraplu"
PLANS = (DORP, HORST, GOES, HILVARENBEEK, ZALTBOMMEL)

_cache: dict[tuple[str, str], gpd.GeoDataFrame] = {}


def _read(
    stem: str, kind: str, data_dir: Path, test_data_dir: Path
) -> gpd.GeoDataFrame:
    if (stem, kind) not in _cache:
        if kind == "gml":
            _cache[stem, kind] = read_imro_gml(test_data_dir / f"{stem}.gml")
        else:
            folder = data_dir if stem in (DORP, HORST) else test_data_dir
            _cache[stem, kind] = read_imro_gpkg(folder / f"{stem}.gpkg")
    return _cache[stem, kind]


@pytest.fixture
def read(data_dir: Path, test_data_dir: Path):
    return lambda stem, kind: _read(stem, kind, data_dir, test_data_dir)


def _enkel_groups(plan: gpd.GeoDataFrame) -> dict[str, int]:
    enkel = plan.loc[plan["object_type"] == "Enkelbestemming", "main_group"]
    return enkel.value_counts().to_dict()


@pytest.mark.parametrize("kind", ["gml", "gpkg"])
def test_valkenburg_dorp_imro2008(read, kind: str) -> None:
    plan = read(DORP, kind)
    counts = plan["object_type"].value_counts().to_dict()
    assert counts == {
        "Bestemmingsplangebied": 1,
        "Enkelbestemming": 418,
        "Dubbelbestemming": 27,
        "Gebiedsaanduiding": 2,
        "Functieaanduiding": 72,
        "Bouwvlak": 332,
        "Bouwaanduiding": 157,
        "Maatvoering": 493,
    }  # Figuur (a line) is left out
    groups = _enkel_groups(plan)
    assert groups["wonen"] == 99
    assert groups["tuin"] == 197
    assert (plan["imro_version"] == "IMRO2008").all()
    assert (plan["plan_id"] == "NL.IMRO.0537.bpVLKdorp-va02").all()
    assert (plan["plan_name"] == "Valkenburg Dorp").all()
    assert (plan["plan_status"] == "onherroepelijk").all()
    assert (plan["plan_date"] == "2012-11-29").all()
    assert (plan["source"] == f"imro-{kind}").all()
    assert plan["object_id"].is_unique
    assert "NL.IMRO.MV163398" in set(plan["object_id"])
    area = plan.loc[plan["object_type"] == "Bestemmingsplangebied"].area.iloc[0]
    assert area / 10_000 == pytest.approx(48.6, abs=0.05)
    funcs = plan.loc[plan["object_type"] == "Functieaanduiding", "name"]
    assert (funcs == "specifieke vorm van waarde - rijksmonument").sum() == 27


@pytest.mark.parametrize("kind", ["gml", "gpkg"])
def test_valkenhorst_imro2012(read, kind: str) -> None:
    plan = read(HORST, kind)
    counts = plan["object_type"].value_counts()
    assert counts["Enkelbestemming"] == 45
    assert counts["Dubbelbestemming"] == 43
    assert counts["Gebiedsaanduiding"] == 4
    assert counts["Functieaanduiding"] == 49
    assert _enkel_groups(plan) == {
        "woongebied": 18,
        "verkeer": 14,
        "groen": 6,
        "natuur": 3,
        "gemengd": 2,
        "water": 2,
    }
    assert (plan["imro_version"] == "IMRO2012").all()
    assert (plan["plan_id"] == "NL.IMRO.0537.bpVLKplv-VA01").all()
    assert (plan["plan_status"] == "vastgesteld").all()
    assert (plan["plan_date"] == "2022-06-30").all()
    assert plan["object_id"].str.startswith("NL.IMRO.0537.").all()
    gebied = plan.loc[plan["object_type"] == "Gebiedsaanduiding", "main_group"]
    assert gebied.notna().all()
    area = plan.loc[plan["object_type"] == "Bestemmingsplangebied"].area.iloc[0]
    assert area / 10_000 == pytest.approx(268, abs=0.5)


@pytest.mark.parametrize("kind", ["gml", "gpkg"])
def test_goes_is_an_ontwerp_with_four_kantoor(read, kind: str) -> None:
    plan = read(GOES, kind)
    assert (plan["plan_status"] == "ontwerp").all()
    assert _enkel_groups(plan)["kantoor"] == 4
    counts = plan["object_type"].value_counts()
    assert counts["Enkelbestemming"] == 13
    assert counts["Maatvoering"] == 14


@pytest.mark.parametrize("kind", ["gml", "gpkg"])
def test_zaltbommel_umbrella_plan_without_enkelbestemming_loads(
    read,
    kind: str,
) -> None:
    plan = read(ZALTBOMMEL, kind)
    counts = plan["object_type"].value_counts().to_dict()
    assert counts == {
        "Gebiedsaanduiding": 6,
        "Bestemmingsplangebied": 1,
        "Dubbelbestemming": 1,
    }
    assert "Enkelbestemming" not in counts


@pytest.mark.parametrize("stem", PLANS)
def test_gml_and_gpkg_agree(read, stem: str) -> None:
    gml, gpkg = read(stem, "gml"), read(stem, "gpkg")
    assert (
        gml["object_type"].value_counts().to_dict()
        == gpkg["object_type"].value_counts().to_dict()
    )
    assert set(gml["object_id"]) == set(gpkg["object_id"])
    cols = ["plan_id", "plan_name", "plan_status", "plan_date", "imro_version"]
    assert gml[cols].iloc[0].tolist() == gpkg[cols].iloc[0].tolist()
    a, b = (
        gml.set_index("object_id").sort_index(),
        gpkg.set_index("object_id").sort_index(),
    )
    for col in ("name", "main_group", "value"):
        assert a[col].fillna("").tolist() == b[col].fillna("").tolist(), col
    # arcs: our linearisation vs GDAL's (in the gpkg) differ by far less than 0.1 %
    assert a.area.sum() == pytest.approx(b.area.sum(), rel=1e-4)


@pytest.mark.parametrize("stem", PLANS)
@pytest.mark.parametrize("kind", ["gml", "gpkg"])
def test_no_curves_and_valid_polygons(read, stem: str, kind: str) -> None:
    plan = read(stem, kind)
    assert set(plan.geom_type) <= {"Polygon", "MultiPolygon"}
    assert shapely.is_valid(plan.geometry.values).all()
    assert plan.crs.to_epsg() == 28992
    assert set(plan["object_type"]) <= set(IMRO_TYPES)


def test_maatvoering_with_several_values_is_joined(read) -> None:
    for kind in ("gml", "gpkg"):
        plan = read(DORP, kind).set_index("object_id")
        assert plan.loc["NL.IMRO.MV163398", "value"] == "7"
        assert plan.loc["NL.IMRO.MV163400", "value"] == "6; 9"


def test_gml_reader_writes_no_sidecar_files(
    test_data_dir: Path, tmp_path: Path
) -> None:
    gml = tmp_path / f"{HILVARENBEEK}.gml"
    shutil.copy(test_data_dir / gml.name, gml)
    read_imro_gml(gml)
    assert [p.name for p in tmp_path.iterdir()] == [gml.name]


def test_arc_in_an_imro_ring_is_linearised(tmp_path: Path) -> None:
    gml = tmp_path / "plan.gml"
    ring = """<gml:Surface srsName="urn:ogc:def:crs:EPSG::28992">
 <gml:patches><gml:PolygonPatch>
 <gml:exterior><gml:Ring><gml:curveMember><gml:Curve><gml:segments>
 <gml:LineStringSegment><gml:posList>100010 400000 99990 400000</gml:posList>
 </gml:LineStringSegment>
 <gml:Arc><gml:posList>99990 400000 100000 400010 100010 400000</gml:posList></gml:Arc>
 </gml:segments></gml:Curve></gml:curveMember></gml:Ring></gml:exterior>
 </gml:PolygonPatch></gml:patches></gml:Surface>"""
    gml.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<imro:FeatureCollectionIMRO xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"
 xmlns:gml="http://www.opengis.net/gml/3.2">
<imro:featureMember><imro:Bestemmingsplangebied gml:id="p">
 <imro:identificatie><imro:NEN3610ID><imro:namespace>NL.IMRO</imro:namespace>
 <imro:lokaalID>9999.test</imro:lokaalID><imro:versie>ON01</imro:versie></imro:NEN3610ID></imro:identificatie>
 <imro:naam>Test</imro:naam><imro:planstatusInfo><imro:PlanstatusEnDatum>
 <imro:planstatus>ontwerp</imro:planstatus><imro:datum>2024-01-02</imro:datum>
 </imro:PlanstatusEnDatum></imro:planstatusInfo>
 <imro:geometrie>{ring}</imro:geometrie></imro:Bestemmingsplangebied></imro:featureMember>
</imro:FeatureCollectionIMRO>""",
        "utf-8",
    )
    plan = read_imro_gml(gml)
    assert plan["plan_id"].tolist() == ["NL.IMRO.9999.test-ON01"]
    assert plan["plan_date"].tolist() == ["2024-01-02"]
    assert plan.area.iloc[0] == pytest.approx(np.pi * 100 / 2, rel=1e-3)


def test_errors(tmp_path: Path, test_data_dir: Path) -> None:
    with pytest.raises(DataSourceError, match="not found"):
        read_imro_gml(tmp_path / "missing.gml")
    with pytest.raises(SchemaError, match="Bestemmingsplangebied"):
        read_imro_gpkg(test_data_dir / "otterlo_dkk5_percelen.gpkg")
    empty = tmp_path / "empty.gml"
    empty.write_text(
        '<imro:FeatureCollectionIMRO xmlns:imro="http://www.geonovum.nl/imro/2012/1.1"/>',
        "utf-8",
    )
    with pytest.raises(SchemaError, match="no Bestemmingsplangebied"):
        read_imro_gml(empty)
