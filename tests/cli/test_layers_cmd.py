"""Tests for ``kansenkaart layers inspect`` on real files and on broken inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from click.testing import CliRunner, Result
from shapely.geometry import Polygon

from kansenkaart.cli.main import cli
from kansenkaart.errors import KansenkaartError, RuleError

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
TEST_DATA = REPO / "tests" / "data"

BAG_LIGHT = DATA / "amsterdam_BU03638600_bag_panden.gpkg"
PARCELS = DATA / "amsterdam_BU03638600_brk_percelen.gpkg"
VALKENBURG_GPKG = DATA / "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg"
VALKENBURG_GML = TEST_DATA / "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gml"
VALKENHORST = DATA / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg"
ZALTBOMMEL = TEST_DATA / "zaltbommel_NL.IMRO.0297.BGBBP20140020-OW01_nhw_paraplu.gpkg"
GOES = TEST_DATA / "goes_NL.IMRO.0664.BPBS03-ON99_stationsomgeving_zuidwest.gpkg"
OTTERLO_GML = TEST_DATA / "otterlo_dkk5_kadastralekaart_perceel.gml"
THREEDBAG_GPKG = DATA / "katwijk_valkenburg_3dbag_tile_8-296-632_panden.gpkg"
THREEDBAG_CITYJSON = TEST_DATA / "3dbag_v20250903_tile_8-296-632.city.json.gz"
LVBAG_PND = TEST_DATA / "doesburg_0221PND15092020-000001_sample.xml"
CBS_GEMEENTEN = DATA / "cbs_gemeenten_2022_simplified_wgs84.geojson"

JSON_KEYS = {"path", "kind", "format", "layers", "problems", "readable"}


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["layers", "inspect", *args])


def _inspect_json(path: Path, *extra: str) -> tuple[Result, dict[str, Any]]:
    result = _invoke("--json", *extra, str(path))
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return result, json.loads(lines[0])


def _readable(path: Path, *extra: str) -> dict[str, Any]:
    result, info = _inspect_json(path, *extra)
    assert result.exit_code == 0, result.output
    assert info["readable"] is True
    assert info.keys() >= JSON_KEYS
    assert info["path"] == str(path)
    for meta in info["layers"].values():
        assert {"features", "crs"} <= meta.keys()
    return info


def _unreadable(path: Path, *extra: str) -> str:
    """Inspect a broken file: exit 1, no traceback, the message names the file."""
    result, info = _inspect_json(path, *extra)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert info["readable"] is False
    message = "\n".join(info["problems"])
    assert path.name in message
    return message


def _problems(info: dict[str, Any]) -> str:
    return "\n".join(info["problems"])


# --------------------------------------------------------------------------
# real files
# --------------------------------------------------------------------------


def test_bag_light_reports_uses():
    info = _readable(BAG_LIGHT)
    assert (info["kind"], info["format"]) == ("buildings", "bag-light")
    assert info["layers"] == {"panden": {"features": 464, "crs": "EPSG:28992"}}
    assert info["features"] == 464
    assert info["uses"]["kantoorfunctie"] == 11
    assert info["uses"]["gezondheidszorgfunctie"] == 4
    assert info["uses"]["woonfunctie"] == 276
    assert info["problems"] == []


@pytest.mark.parametrize(
    ("path", "fmt", "n"),
    [(PARCELS, "dkk-gpkg", 422), (OTTERLO_GML, "dkk-gml", 11)],
    ids=["amsterdam-gpkg", "otterlo-dkk5-gml"],
)
def test_parcels(path, fmt, n):
    info = _readable(path)
    assert (info["kind"], info["format"]) == ("parcels", fmt)
    assert info["features"] == n
    assert sum(m["features"] for m in info["layers"].values()) == n


@pytest.mark.parametrize(
    ("path", "fmt"),
    [(VALKENBURG_GPKG, "imro-gpkg"), (VALKENBURG_GML, "imro-gml")],
    ids=["gpkg", "gml"],
)
def test_valkenburg_dorp(path, fmt):
    info = _readable(path)
    assert (info["kind"], info["format"]) == ("zoning", fmt)
    assert info["layers"]["Enkelbestemming"]["features"] == 418
    plan = info["plans"][0]
    assert plan["plan_status"] == "onherroepelijk"
    assert plan["counts"]["Enkelbestemming"] == 418
    assert plan["main_groups"]["wonen"] == 99
    assert plan["main_groups"]["tuin"] == 197


def test_gml_leaves_no_gfs_file(tmp_path):
    # GDAL's GML driver writes a .gfs schema file beside its input unless told
    # not to; inspecting must not write into the user's data folder.
    copy = tmp_path / GOES.with_suffix(".gml").name
    shutil.copy(GOES.with_suffix(".gml"), copy)
    _readable(copy)
    assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name]


def test_valkenhorst():
    info = _readable(VALKENHORST)
    assert info["kind"] == "zoning"
    assert info["plans"][0]["counts"]["Enkelbestemming"] == 45
    assert info["plans"][0]["main_groups"]["woongebied"] == 18


def test_zaltbommel_umbrella_plan_without_enkelbestemming():
    info = _readable(ZALTBOMMEL)
    assert info["kind"] == "zoning"
    assert info["features"] > 0
    plan = info["plans"][0]
    assert not plan["counts"].get("Enkelbestemming")
    assert not plan["main_groups"]


def test_goes_ontwerp():
    info = _readable(GOES)
    plan = info["plans"][0]
    assert plan["plan_status"] == "ontwerp"
    assert plan["main_groups"]["kantoor"] == 4


@pytest.mark.parametrize(
    ("path", "fmt"),
    [(THREEDBAG_GPKG, "3dbag-gpkg"), (THREEDBAG_CITYJSON, "3dbag-cityjson")],
    ids=["gpkg", "cityjson"],
)
def test_3dbag(path, fmt):
    info = _readable(path)
    assert (info["kind"], info["format"]) == ("buildings", fmt)
    assert info["features"] == 1146


def test_lvbag_xml_panden():
    info = _readable(LVBAG_PND)
    assert (info["kind"], info["format"]) == ("buildings", "lvbag-xml")
    assert info["features"] > 0


def test_cbs_gemeenten_wgs84_is_reprojected_and_repaired():
    info = _readable(CBS_GEMEENTEN)
    assert info["kind"] == "context"
    assert info["features"] == 343
    assert info["crs"] == "EPSG:28992"
    reprojected = [p for p in info["problems"] if "reprojected" in p]
    assert len(reprojected) == 1
    assert "EPSG:4326" in reprojected[0]
    assert any("repaired 5 invalid geometries" in p for p in info["problems"])


def test_ownership_csv(tmp_path):
    path = tmp_path / "eigendom.csv"
    path.write_text(
        "parcel_id,owner_class\nSTN02D1234,gemeente\nSTN02D1235,particulier\n",
        encoding="utf-8",
    )
    info = _readable(path)
    assert (info["kind"], info["format"]) == ("context", "ownership")
    assert info["features"] == 2


def test_several_files_one_json_object_per_line():
    result = _invoke("--json", str(BAG_LIGHT), str(PARCELS))
    assert result.exit_code == 0, result.output
    infos = [json.loads(line) for line in result.stdout.splitlines()]
    assert [i["kind"] for i in infos] == ["buildings", "parcels"]


def test_human_output():
    result = _invoke(str(BAG_LIGHT))
    assert result.exit_code == 0, result.output
    out = result.output
    assert str(BAG_LIGHT) in out
    assert "kind: buildings" in out
    assert "format: bag-light" in out
    assert "layer panden: 464 features, EPSG:28992" in out
    assert "gebruiksdoel kantoorfunctie: 11" in out


def test_human_output_zoning():
    result = _invoke(str(GOES))
    assert result.exit_code == 0, result.output
    assert "kind: zoning" in result.output
    assert "ontwerp" in result.output
    assert "kantoor 4" in result.output


# --------------------------------------------------------------------------
# broken inputs, made here
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panden() -> gpd.GeoDataFrame:
    return gpd.read_file(BAG_LIGHT, layer="panden")


def _bowtie(panden: gpd.GeoDataFrame) -> Polygon:
    x, y = panden.geometry.iloc[0].centroid.coords[0]
    return Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])


def test_truncated_geopackage(tmp_path):
    path = tmp_path / "afgebroken.gpkg"
    data = BAG_LIGHT.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    message = _unreadable(path)
    assert "truncated or damaged" in message
    assert "download or export it again" in message


def test_zero_byte_geopackage(tmp_path):
    path = tmp_path / "leeg.gpkg"
    path.touch()
    message = _unreadable(path)
    assert "empty file (0 bytes)" in message
    assert "export it again" in message


def test_geopackage_without_crs(tmp_path, panden):
    path = tmp_path / "zonder_crs.gpkg"
    with pytest.warns(UserWarning, match="crs"):
        panden.set_crs(None, allow_override=True).to_file(path, layer="panden")
    message = _unreadable(path)
    assert "no coordinate reference system" in message
    assert "Set CRS" in message


def test_wgs84_geopackage_is_readable(tmp_path, panden):
    path = tmp_path / "wgs84.gpkg"
    panden.to_crs(4326).to_file(path, layer="panden")
    info = _readable(path)
    assert info["kind"] == "buildings"
    assert info["features"] == 464
    assert info["crs"] == "EPSG:28992"
    assert info["layers"]["panden"]["crs"] == "EPSG:4326"
    assert any("reprojected" in p and "EPSG:4326" in p for p in info["problems"])


def test_bowtie_raise_and_fix(tmp_path, panden):
    path = tmp_path / "strik.gpkg"
    frame = panden.head(3).copy()
    frame.loc[frame.index[0], "geometry"] = _bowtie(panden)
    frame.to_file(path, layer="panden")
    bad_id = str(frame["identificatie"].iloc[0])

    message = _unreadable(path, "--on-invalid", "raise")
    assert bad_id in message
    assert "Fix Geometries" in message

    info = _readable(path)
    assert info["features"] == 3
    assert any("repaired 1 invalid geometry" in p for p in info["problems"])

    info = _readable(path, "--on-invalid", "drop")
    assert info["features"] == 2
    assert any("dropped 1" in p and bad_id in p for p in info["problems"])


def test_duplicate_ids(tmp_path, panden):
    path = tmp_path / "dubbel.gpkg"
    frame = panden.head(3).copy()
    dup_id = str(frame["identificatie"].iloc[0])
    frame.loc[frame.index[1], "identificatie"] = dup_id
    frame.to_file(path, layer="panden")
    info = _readable(path)
    assert info["features"] == 2
    assert any("duplicate" in p and dup_id in p for p in info["problems"])


def test_missing_required_columns(tmp_path, panden):
    path = tmp_path / "kolommen.gpkg"
    panden.head(3).drop(columns=["status", "bouwjaar"]).to_file(path, layer="panden")
    message = _unreadable(path)
    assert "'bouwjaar'" in message
    assert "'status'" in message
    assert "Columns found:" in message
    assert "identificatie" in message
    assert "gebruiksdoel" in message


def test_empty_layer_is_readable(tmp_path, panden):
    path = tmp_path / "nul.gpkg"
    panden.head(0).to_file(path, layer="panden")
    info = _readable(path)
    assert info["kind"] == "buildings"
    assert info["features"] == 0
    assert any("no features" in p for p in info["problems"])


@pytest.mark.parametrize("name", ["panden.shp.txt", "rapport.docx"])
def test_unknown_extension(tmp_path, name):
    path = tmp_path / name
    path.write_text("niet geografisch\n", encoding="utf-8")
    message = _unreadable(path)
    assert "unsupported file type" in message
    assert "Supported formats" in message
    for ext in (".gpkg", ".gml", ".geojson", ".csv"):
        assert ext in message


def test_missing_file(tmp_path):
    message = _unreadable(tmp_path / "bestaat_niet.gpkg")
    assert "file not found" in message


def test_one_bad_file_makes_exit_1_but_reports_all(tmp_path):
    bad = tmp_path / "rapport.docx"
    bad.write_text("x", encoding="utf-8")
    result = _invoke("--json", str(BAG_LIGHT), str(bad))
    assert result.exit_code == 1
    infos = [json.loads(line) for line in result.stdout.splitlines()]
    assert [i["readable"] for i in infos] == [True, False]


def test_human_output_of_broken_file(tmp_path):
    bad = tmp_path / "rapport.docx"
    bad.write_text("x", encoding="utf-8")
    result = _invoke(str(bad))
    assert result.exit_code == 1
    assert "NOT READABLE" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------
# --debug
# --------------------------------------------------------------------------
# `layers inspect` catches package errors itself and reports them per file, so
# --debug is checked with `rules list` on a broken scan definition, which lets
# its RuleError reach the group handler.


def test_package_error_without_debug_has_no_traceback(tmp_path):
    scan = tmp_path / "kapot.toml"
    scan.write_text("foo = [\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "list", "--scan", str(scan)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "kapot.toml" in result.output
    assert "--debug" in result.output


def test_debug_reraises_package_error(tmp_path):
    scan = tmp_path / "kapot.toml"
    scan.write_text("foo = [\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--debug", "rules", "list", "--scan", str(scan)])
    assert result.exit_code == 1
    assert isinstance(result.exception, RuleError)
    assert isinstance(result.exception, KansenkaartError)
    assert result.exc_info is not None
    assert result.exc_info[2] is not None  # the traceback is kept


def test_plan_overlays_and_currency_in_text_and_json() -> None:
    text = _invoke(str(VALKENHORST))
    assert text.exit_code == 0, text.output
    assert "overlays: archeologie 20, cultuurhistorie 22, leiding 9" in text.output
    assert "tijdelijk deel omgevingsplan" in text.output
    data = json.loads(_invoke("--json", str(VALKENHORST)).output.splitlines()[0])
    (plan,) = data["plans"]
    assert plan["overlays"]["waterstaat"] == 5
    assert plan["overlay_kinds"]["leiding"] == {"gas": 5, "water": 4}
    assert plan["before_2024"] is True
