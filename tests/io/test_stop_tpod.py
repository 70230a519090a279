"""Tests for the STOP/TPOD (omgevingsplan, verordening) reader on real packages."""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from lxml import etree

from kansenkaart.cli.main import cli
from kansenkaart.datasets import data_path
from kansenkaart.errors import DataSourceError
from kansenkaart.io.detect import detect_format
from kansenkaart.io.imro import read_imro_gml
from kansenkaart.io.stop_tpod import read_stop_tpod
from kansenkaart.model.zoning import combine_plans, zoning_summary
from kansenkaart.sources.read import read_zoning

REPO = Path(__file__).resolve().parents[2]
TPOD = REPO / "tests" / "data" / "stop_tpod"
ZALTBOMMEL = TPOD / "zaltbommel_gm0297_omgevingsplan"
PV30 = TPOD / "pv30_omgevingsverordening.zip"
ZALTBOMMEL_IMRO = (
    REPO
    / "tests"
    / "data"
    / "zaltbommel_NL.IMRO.0297.BGBBP20140020-OW01_nhw_paraplu.gml"
)
OTTERLO = REPO / "tests" / "data" / "otterlo_dkk5_percelen.gpkg"
GA = "{http://www.geostandaarden.nl/imow/gebiedsaanwijzing}"


def _xml_counts(xml: bytes) -> Counter[str]:
    """Gebiedsaanwijzingen per type, counted straight from the OW file."""
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    counts: Counter[str] = Counter()
    for ga in root.iter(f"{GA}Gebiedsaanwijzing"):
        status = ga.find("{http://www.geostandaarden.nl/imow/owobject}status")
        if status is None or status.text != "beëindigen":
            counts[ga.find(f"{GA}type").text.rsplit("/", 1)[-1]] += 1
    return counts


def test_counts_per_type_equal_the_ow_file() -> None:
    plan = read_stop_tpod(ZALTBOMMEL)
    xml = (ZALTBOMMEL / "OW-bestanden" / "gebiedsaanwijzingen.xml").read_bytes()
    pid = "/akn/nl/act/gm0297/2019/reg456"
    assert plan.attrs["gebiedsaanwijzingen"][pid] == dict(_xml_counts(xml))
    assert plan.attrs["gebiedsaanwijzingen"][pid] == {"Functie": 2}
    with zipfile.ZipFile(PV30) as zf:
        xml = zf.read("OW-bestanden/gebiedsaanwijzingen.xml")
    verordening = read_stop_tpod(PV30)
    counts = verordening.attrs["gebiedsaanwijzingen"][verordening["plan_id"].iloc[0]]
    assert counts == dict(_xml_counts(xml)) == {"Beperkingengebied": 1, "Verkeer": 1}


def test_omgevingsplan_functies_become_enkelbestemmingen() -> None:
    plan = read_stop_tpod(ZALTBOMMEL)
    assert plan.crs.to_epsg() == 28992
    assert set(plan["source"]) == {"stop-tpod"}
    assert plan.attrs["regeling"] == {"/akn/nl/act/gm0297/2019/reg456": "omgevingsplan"}
    assert plan["plan_name"].iloc[0] == (
        "Omgevingsplan Zaltbommel (met de nadruk op Zuilichem)"
    )
    enkel = plan[plan["object_type"] == "Enkelbestemming"].set_index("name")
    assert enkel["main_group"].to_dict() == {
        "Bedrijf categorie 2": "bedrijf",
        "Centrumgebied": "centrum",
    }
    # the plan area is the union of the Functie locations, nothing more
    area = plan.loc[plan["object_type"] == "Bestemmingsplangebied", "geometry"]
    assert len(area) == 1
    union = shapely.union_all(enkel.geometry.to_numpy())
    assert area.iloc[0].symmetric_difference(union).area < 1.0


def test_norm_values_become_maatvoeringen_with_their_locations() -> None:
    plan = read_stop_tpod(ZALTBOMMEL)
    norms = plan[plan["object_type"] == "Maatvoering"].set_index("object_id")
    height = norms.loc["nl.imow-gm0297.normwaarde.2019000002"]
    assert height["value"] == "13"
    assert height["name"] == "maximum bouwhoogte bedrijfsgebouw (meter)"
    # Normwaarde 2 lies on two Gebieden; each is one Locatie of Bouwhoogte.gml
    gio = etree.parse(
        str(ZALTBOMMEL / "IO-3642319606482791992" / "Bouwhoogte.gml")
    ).getroot()
    pos = [
        loc.find(".//{http://www.opengis.net/gml/3.2}posList").text.split()
        for loc in gio.iter("{https://standaarden.overheid.nl/stop/imop/geo/}Locatie")
        if loc.findtext("{*}kwantitatieveNormwaarde") == "13"
    ]
    polys = [
        shapely.Polygon(list(zip(*[iter(map(float, p))] * 2, strict=True))) for p in pos
    ]
    assert len(polys) == 2
    expected = shapely.union_all(polys).area
    assert height.geometry.area == pytest.approx(expected, rel=1e-9)
    assert height.geometry.is_valid


def test_verordening_gives_overlays_and_no_plan_area() -> None:
    verordening = read_stop_tpod(PV30)
    kinds = Counter(verordening["object_type"])
    assert kinds == {"Gebiedsaanduiding": 2, "Maatvoering": 5, "Activiteitlocatie": 8}
    overlays = verordening["object_type"] == "Gebiedsaanduiding"
    groups = set(verordening.loc[overlays, "main_group"])
    assert groups == {"molen", "maatregelengebied"}
    summary = zoning_summary(verordening)[0]
    assert summary["gebiedsaanwijzingen"] == {"Beperkingengebied": 1, "Verkeer": 1}


def test_a_gio_on_its_own_reads_its_locations() -> None:
    gio = ZALTBOMMEL / "IO-3642319606482791992" / "Bouwhoogte.gml"
    assert detect_format(gio).format == "stop-tpod"
    locs = read_stop_tpod(gio)
    assert sorted(locs["value"]) == ["13", "13", "7", "7"]
    assert set(locs["name"]) >= {"Zuilichem industriegebied 1"}


def test_detects_folder_and_zip_as_zoning(tmp_path: Path) -> None:
    for path in (ZALTBOMMEL, PV30):
        found = detect_format(path)
        assert (found.kind, found.format) == ("zoning", "stop-tpod")
    zipped = tmp_path / "plan.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for f in ZALTBOMMEL.rglob("*"):
            zf.write(f, f.relative_to(ZALTBOMMEL).as_posix())
    assert detect_format(zipped).format == "stop-tpod"
    assert len(read_stop_tpod(zipped)) == len(read_stop_tpod(ZALTBOMMEL))


_ARC_GIO = """<?xml version="1.0" encoding="UTF-8"?>
<geo:GeoInformatieObjectVaststelling xmlns:geo="https://standaarden.overheid.nl/stop/imop/geo/"
 xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0"
 xmlns:gml="http://www.opengis.net/gml/3.2">
<geo:vastgesteldeVersie><geo:GeoInformatieObjectVersie>
<geo:FRBRWork>/join/id/regdata/gm9999/2024/cirkel</geo:FRBRWork>
<geo:locaties><geo:Locatie><geo:naam>cirkel</geo:naam><geo:geometrie>
<basisgeo:Geometrie gml:id="g1"><basisgeo:id>c1</basisgeo:id><basisgeo:geometrie>
<gml:Polygon srsName="urn:ogc:def:crs:EPSG::28992"><gml:exterior><gml:Ring>
<gml:curveMember><gml:Curve><gml:segments>
<gml:Arc><gml:posList>100100 450000 100000 450100 99900 450000</gml:posList></gml:Arc>
<gml:Arc><gml:posList>99900 450000 100000 449900 100100 450000</gml:posList></gml:Arc>
</gml:segments></gml:Curve></gml:curveMember>
</gml:Ring></gml:exterior></gml:Polygon>
</basisgeo:geometrie></basisgeo:Geometrie></geo:geometrie></geo:Locatie></geo:locaties>
</geo:GeoInformatieObjectVersie></geo:vastgesteldeVersie>
</geo:GeoInformatieObjectVaststelling>
"""


def test_arcs_in_a_gio_are_linearised(tmp_path: Path) -> None:
    gio = tmp_path / "cirkel.gml"
    gio.write_text(_ARC_GIO, encoding="utf-8")
    circle = read_stop_tpod(gio).geometry.iloc[0]
    assert circle.geom_type == "Polygon"
    assert len(circle.exterior.coords) > 60  # at most 4° per step
    assert circle.area == pytest.approx(math.pi * 100**2, rel=2e-3)
    assert not list(tmp_path.glob("*.gfs"))  # GDAL was not asked


def test_omgevingsplan_wins_over_the_old_imro_plan() -> None:
    imro = read_imro_gml(ZALTBOMMEL_IMRO)
    plan = read_stop_tpod(ZALTBOMMEL)
    # by status alone the IMRO plan (ontwerp, rank 1) would beat the package (rank 0)
    assert imro["plan_status"].iloc[0] == "ontwerp"
    with pytest.warns(UserWarning, match="omgevingsplan over the tijdelijk deel"):
        both = combine_plans([imro, plan])
    (conflict,) = both.attrs["conflicts"]
    assert conflict["winner"] == "/akn/nl/act/gm0297/2019/reg456"
    assert conflict["loser"] == imro["plan_id"].iloc[0]
    area = plan.loc[plan["object_type"] == "Bestemmingsplangebied"].geometry.iloc[0]
    old = both[both["plan_id"] == imro["plan_id"].iloc[0]]
    assert old.geometry.intersection(area).area.max() < 1.0
    assert (both["plan_id"] == plan["plan_id"].iloc[0]).sum() == len(plan)


def test_read_zoning_takes_packages_and_imro_together() -> None:
    with pytest.warns(UserWarning, match="overlap"):
        zoning = read_zoning([ZALTBOMMEL_IMRO, ZALTBOMMEL, PV30])
    assert set(zoning["source"]) == {"imro-gml", "stop-tpod"}
    assert zoning["plan_id"].nunique() == 3


def test_missing_listed_file_and_truncated_xml_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "plan"
    shutil.copytree(ZALTBOMMEL, broken)
    (broken / "OW-bestanden" / "gebieden.xml").unlink()
    with pytest.raises(DataSourceError, match=r"gebieden\.xml is listed in manifest"):
        read_stop_tpod(broken)
    shutil.copy(ZALTBOMMEL / "OW-bestanden" / "gebieden.xml", broken / "OW-bestanden")
    ga = broken / "OW-bestanden" / "gebiedsaanwijzingen.xml"
    ga.write_bytes(ga.read_bytes()[:1500])
    with pytest.raises(DataSourceError, match=r"gebiedsaanwijzingen\.xml.*truncated"):
        read_stop_tpod(broken)


def test_layers_inspect_json_reports_gebiedsaanwijzingen() -> None:
    result = CliRunner().invoke(cli, ["layers", "inspect", "--json", str(PV30)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["kind"], report["format"]) == ("zoning", "stop-tpod")
    (plan,) = report["plans"]
    assert plan["plan_id"] == "/akn/nl/act/pv30/2022/omgevingsverordeningT"
    assert plan["gebiedsaanwijzingen"] == {"Beperkingengebied": 1, "Verkeer": 1}


def test_site_scan_runs_on_an_omgevingsplan(tmp_path: Path) -> None:
    out = tmp_path / "result"
    result = CliRunner().invoke(
        cli,
        [
            "scan",
            "sites",
            "--parcels",
            str(OTTERLO),
            "--zoning",
            str(ZALTBOMMEL),
            # the national registers: without them their vetoes are undecided
            # and every site onbekend (issue 12)
            "--layer",
            f"natura2000={data_path('natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg')}",
            "--layer",
            f"monuments={data_path('rijksmonumenten_boerderijen_nabij_n2000.gpkg')}",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rules = {r["id"]: r["status"] for r in summary["rules"]}
    assert rules["LOC-BESTEMMING"] == "evaluated"
    cands = pd.read_csv(out / "candidates.csv").set_index("candidate_id")
    # the omgevingsplan's Functie areas are candidates where parcels are missing
    centrum = cands.loc["nl.imow-gm0297.gebiedsaanwijzing.2019000002"]
    assert centrum["main_group"] == "centrum"
    assert centrum["outcome"] == "scored"


def test_verordening_overlays_are_constraints_for_the_site_scan() -> None:
    from kansenkaart.rules.predicates import PREDICATES, ScanContext

    verordening = read_stop_tpod(PV30)
    molen = verordening.loc[verordening["main_group"] == "molen"].geometry.iloc[0]
    x0, y0, x1, y1 = molen.bounds
    step = max(x1 - x0, y1 - y0) / 6
    boxes = [
        shapely.box(x, y, x + step, y + step)
        for x in np.arange(x0 - step, x1 + step, step)
        for y in np.arange(y0 - step, y1 + step, step)
    ]
    cand = gpd.GeoDataFrame(geometry=boxes, crs=28992)
    ctx = ScanContext(layers={"constraints": verordening})
    func = PREDICATES["overlay_group_in"].func
    got = func(cand, ctx, layer="constraints", groups=["Molen"])
    expected = cand.intersects(molen)
    assert 0 < expected.sum() < len(cand)
    assert got.astype(bool).tolist() == expected.tolist()
    none = func(cand, ctx, layer="constraints", groups=["waterwingebied"])
    assert not none.astype(bool).any()


def test_site_scan_takes_a_verordening_as_constraints(tmp_path: Path) -> None:
    out = tmp_path / "result"
    args = ["scan", "sites", "--parcels", str(OTTERLO), "--zoning", str(ZALTBOMMEL)]
    args += ["--layer", f"constraints={PV30}", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rules = {r["id"]: r["status"] for r in summary["rules"]}
    assert rules["LOC-VERORDENING"] == "evaluated"
    cands = pd.read_csv(out / "candidates.csv")
    assert not cands["excluded_by"].fillna("").str.contains("LOC-VERORDENING").any()


def test_activity_locations_follow_the_rules_for_everyone() -> None:
    plan = read_stop_tpod(ZALTBOMMEL)
    xml = (ZALTBOMMEL / "OW-bestanden" / "regelsvooriedereen.xml").read_bytes()
    root = etree.fromstring(xml, etree.XMLParser(recover=True))
    kinds = Counter(
        el.text.rsplit("/", 1)[-1].lower()
        for el in root.iter("{*}activiteitregelkwalificatie")
    )
    acts = plan[plan["object_type"] == "Activiteitlocatie"]
    assert acts["main_group"].value_counts().to_dict() == dict(kinds)
    assert sum(kinds.values()) == 19
    # the activity of Bedrijf categorie 2 lies exactly on that Functie
    bedrijf = plan.loc[plan["name"] == "Bedrijf categorie 2"].geometry.iloc[0]
    act = acts.set_index("object_id").loc[
        "nl.imow-gm0297.activiteitlocatieaanduiding.2019000001"
    ]
    assert act["name"] == "uitoefenen van bedrijfstypen van categorie 2"
    assert act.geometry.symmetric_difference(bedrijf).area < 1.0
    # rules for the whole ambtsgebied get the CBS boundary of GM0297
    from kansenkaart.datasets import data_path

    gm = gpd.read_file(data_path("cbs_gemeenten_2022_simplified_wgs84.geojson"))
    zaltbommel = gm[gm["gemeentecode"] == "GM0297"].to_crs(28992).geometry.iloc[0]
    whole = acts[acts["object_id"].str.endswith(("111", "112", "113", "114", "115"))]
    assert len(whole) == 5
    assert whole.area.to_numpy() == pytest.approx(zaltbommel.area, rel=1e-6)
