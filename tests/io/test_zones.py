"""The optional zone layers, each read from a small file in its real format.

The files are made here, in the formats the sources publish: a STOP
GeoInformatieObject (GIO, ``imop-geo`` 1.3.0) GML as an omgevingsplan or
omgevingsverordening carries it (aandachtsgebieden, NNN), GeoJSON in WGS84
as a WFS or ArcGIS FeatureServer returns it (NNN with the field names of a
provincial FeatureServer), and GeoPackages (risk contours, flood areas,
housing plans, the RIVM magnetic-field zone).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from kansenkaart.datasets import scan_path
from kansenkaart.errors import SchemaError
from kansenkaart.io.zones import ZONE_LAYERS, is_gio, read_gio, read_zones
from kansenkaart.pipeline import ScanInputs, run_scan
from kansenkaart.sources.layers import KNOWN_LAYERS, load_layers

GIO = """<?xml version='1.0' encoding='UTF-8'?>
<geo:GeoInformatieObjectVaststelling xmlns:geo="https://standaarden.overheid.nl/stop/imop/geo/"
  xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0"
  xmlns:gml="http://www.opengis.net/gml/3.2" schemaversie="1.3.0">
  <geo:vastgesteldeVersie>
    <geo:GeoInformatieObjectVersie>
      <geo:FRBRWork>/join/id/regdata/gm0537/2025/aandachtsgebieden</geo:FRBRWork>
      <geo:FRBRExpression>/join/id/regdata/gm0537/2025/aandachtsgebieden/nld@2025-01-01</geo:FRBRExpression>
      <geo:locaties>
{locaties}
      </geo:locaties>
    </geo:GeoInformatieObjectVersie>
  </geo:vastgesteldeVersie>
</geo:GeoInformatieObjectVaststelling>
"""
LOCATIE = """        <geo:Locatie>
          <geo:naam>{name}</geo:naam>
          <geo:geometrie>
            <basisgeo:Geometrie gml:id="id-{n}">
              <basisgeo:id>{n}</basisgeo:id>
              <basisgeo:geometrie>
                <gml:MultiSurface srsName="urn:ogc:def:crs:EPSG::28992">
                  <gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing>
                    <gml:posList>{poslist}</gml:posList>
                  </gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>
                </gml:MultiSurface>
              </basisgeo:geometrie>
            </basisgeo:Geometrie>
          </geo:geometrie>
        </geo:Locatie>"""


def _gio(path: Path, polygons: dict[str, shapely.Polygon]) -> Path:
    parts = []
    for n, (name, poly) in enumerate(polygons.items()):
        coords = np.asarray(poly.exterior.coords)
        poslist = " ".join(f"{x:.3f} {y:.3f}" for x, y in coords)
        parts.append(LOCATIE.format(name=name, n=n, poslist=poslist))
    path.write_text(GIO.format(locaties="\n".join(parts)), encoding="utf-8")
    return path


def _geojson_wgs84(path: Path, gdf: gpd.GeoDataFrame) -> Path:
    path.write_text(json.dumps(gdf.to_crs("EPSG:4326").__geo_interface__))
    return path


def test_every_zone_layer_is_a_known_layer() -> None:
    assert set(ZONE_LAYERS) - {"housing_plans"} <= set(KNOWN_LAYERS)


def test_gio_aandachtsgebieden(tmp_path: Path) -> None:
    path = _gio(
        tmp_path / "aandachtsgebieden.gml",
        {
            "brandaandachtsgebied": box(88000, 465000, 88100, 465100),
            "explosieaandachtsgebied": box(88050, 465000, 88300, 465250),
        },
    )
    assert is_gio(path)
    zones = read_gio(path)
    assert zones.crs.to_epsg() == 28992
    assert zones["name"].tolist() == ["brandaandachtsgebied", "explosieaandachtsgebied"]
    assert zones.geometry.area.round(1).tolist() == [10_000.0, 62_500.0]
    assert read_zones(path)["name"].tolist() == zones["name"].tolist()


def test_gio_without_areas_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.gml"
    path.write_text(GIO.format(locaties=""), encoding="utf-8")
    with pytest.raises(SchemaError, match="no geo:Locatie with an area"):
        read_gio(path)


def test_nnn_geojson_from_a_featureserver(tmp_path: Path) -> None:
    nnn = gpd.GeoDataFrame(
        {
            "FID": [1, 2],
            "POLY_AREA": [40_000.0, 10_000.0],
            "DEELGEBIED": ["Valkenburgse Meer", "Oude Rijn"],
            "LEGENDA_NN": ["Natuurnetwerk Nederland", "Natuurnetwerk Nederland"],
        },
        geometry=[box(89000, 465000, 89200, 465200), box(89300, 465000, 89400, 465100)],
        crs="EPSG:28992",
    )
    path = _geojson_wgs84(tmp_path / "nnn.geojson", nnn)
    zones = read_zones(path)
    assert zones.crs.to_epsg() == 28992
    assert zones["DEELGEBIED"].tolist() == ["Valkenburgse Meer", "Oude Rijn"]
    # reprojected back within centimetres
    assert np.allclose(zones.geometry.area, [40_000, 10_000], rtol=1e-4)


def test_power_lines_are_refused_zone_polygons_are_read(tmp_path: Path) -> None:
    lines = gpd.GeoDataFrame(
        {"ID": ["v1"], "Spanning": [380.0], "Verbinding": ["Crayestein - Krimpen"]},
        geometry=[LineString([(88000, 465000), (89000, 466000)])],
        crs="EPSG:28992",
    )
    lines.to_file(tmp_path / "hoogspanning.gpkg", layer="Hoogspanningsnet_verbindingen")
    with pytest.raises(SchemaError, match="indicatieve magneetveldzone"):
        read_zones(tmp_path / "hoogspanning.gpkg")
    zone = gpd.GeoDataFrame(
        {"spanning_kv": [380]}, geometry=[lines.geometry[0].buffer(120)], crs=lines.crs
    )
    zone.to_file(tmp_path / "zone.gpkg", layer="magneetveldzone")
    assert len(read_zones(tmp_path / "zone.gpkg")) == 1


def _valkenhorst_site(data_dir: Path) -> tuple[Path, shapely.Geometry, str]:
    plan = data_dir / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg"
    zoning = gpd.read_file(plan, layer="Enkelbestemming")
    site = zoning[zoning["naam"] == "Groen"].iloc[0]
    return plan, site.geometry.representative_point(), site["namespace"]


def test_each_zone_layer_reaches_its_rule_in_a_scan(
    tmp_path: Path, data_dir: Path
) -> None:
    """Every optional zone, on a real Valkenhorst site, decides its rule."""
    plan, point, _ = _valkenhorst_site(data_dir)
    area = point.buffer(10)
    files = {
        "risk_contours": tmp_path / "pr.gpkg",
        "flood_risk": tmp_path / "liwo.gpkg",
        "high_voltage": tmp_path / "zone.gpkg",
        "housing_plans": tmp_path / "planmonitor.gpkg",
    }
    for name, path in files.items():
        gpd.GeoDataFrame({"bron": [name]}, geometry=[area], crs="EPSG:28992").to_file(
            path
        )
    files["safety_zones"] = _gio(tmp_path / "ag.gml", {"gifwolkaandachtsgebied": area})
    files["nnn"] = _geojson_wgs84(
        tmp_path / "nnn.geojson",
        gpd.GeoDataFrame({"DEELGEBIED": ["x"]}, geometry=[area], crs="EPSG:28992"),
    )
    layers = load_layers(ScanInputs(layers=files), declared={"housing_plans": "vector"})
    assert set(layers) == set(files)
    # each file is an extract of one municipality: --coverage says so (without
    # it, a site away from the file's few features is "niet beoordeeld")
    cover = tmp_path / "gemeente.gpkg"
    box = shapely.box(*shapely.buffer(area, 20_000).bounds)
    gpd.GeoDataFrame({"naam": ["Katwijk"]}, geometry=[box], crs="EPSG:28992").to_file(
        cover
    )
    inputs = ScanInputs(
        zoning=[plan], layers=files, coverage=dict.fromkeys(files, cover)
    )
    result = run_scan(scan_path("locatiescan"), inputs, reference_date="2026-12-01")
    c = result.candidates
    hit = c[[shapely.intersects(g, area) for g in c.geometry]]  # a handful
    assert len(hit) >= 1
    for rule in ("LOC-NNN", "LOC-RISICO", "LOC-WONINGBOUWPLAN"):
        assert hit["excluded_by"].str.contains(rule).all(), rule
    for flag in ("LOC-AANDACHTSGEBIED", "LOC-HOOGSPANNING", "LOC-OVERSTROMING"):
        assert (hit[flag] == "ja").all(), flag
        assert (c.loc[~c.index.isin(hit.index), flag] == "nee").all(), flag
    bare = run_scan(
        scan_path("locatiescan"),
        ScanInputs(zoning=[plan], layers=files),
        reference_date="2026-12-01",
    ).candidates
    away = bare.loc[~bare.index.isin(hit.index), "LOC-AANDACHTSGEBIED"]
    assert away.str.startswith("niet beoordeeld: buiten de dekking").all()
    skipped = result.summary["skipped_rules"]
    assert not {"LOC-NNN", "LOC-RISICO", "LOC-AANDACHTSGEBIED"} & set(skipped)
