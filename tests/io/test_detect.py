"""Tests for :func:`kansenkaart.io.detect.detect_format` on the real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansenkaart.errors import DataSourceError
from kansenkaart.io.detect import READERS, SUPPORTED, detect_format, get_reader

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
TEST_DATA = REPO / "tests" / "data"

CASES = [
    (DATA / "amsterdam_BU03638600_bag_panden.gpkg", "buildings", "bag-light"),
    (DATA / "amsterdam_BU03638600_brk_percelen.gpkg", "parcels", "dkk-gpkg"),
    (DATA / "amsterdam_BU03638600_buurt.gpkg", "context", "vector"),
    (
        DATA / "katwijk_valkenburg_3dbag_tile_8-296-632_panden.gpkg",
        "buildings",
        "3dbag-gpkg",
    ),
    (
        DATA / "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg",
        "zoning",
        "imro-gpkg",
    ),
    (
        DATA / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg",
        "zoning",
        "imro-gpkg",
    ),
    (
        DATA / "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg",
        "context",
        "vector",
    ),
    (DATA / "rijksmonumenten_boerderijen_nabij_n2000.gpkg", "context", "vector"),
    (DATA / "cbs_gemeenten_2022_simplified_wgs84.geojson", "context", "vector"),
    (TEST_DATA / "amsterdam_stadsdelen_wgs84.geojson", "context", "vector"),
    (
        TEST_DATA / "3dbag_v20250903_tile_8-296-632.city.json.gz",
        "buildings",
        "3dbag-cityjson",
    ),
    (
        TEST_DATA / "doesburg_0221PND15092020-000001_sample.xml",
        "buildings",
        "lvbag-xml",
    ),
    (
        TEST_DATA / "doesburg_0221VBO15092020-000001_sample.xml",
        "buildings",
        "lvbag-xml",
    ),
    (TEST_DATA / "otterlo_dkk5_kadastralekaart_perceel.gml", "parcels", "dkk-gml"),
    (TEST_DATA / "otterlo_dkk5_percelen.gpkg", "parcels", "dkk-gpkg"),
    (
        TEST_DATA / "goes_NL.IMRO.0664.BPBS03-ON99_stationsomgeving_zuidwest.gml",
        "zoning",
        "imro-gml",
    ),
    (
        TEST_DATA / "goes_NL.IMRO.0664.BPBS03-ON99_stationsomgeving_zuidwest.gpkg",
        "zoning",
        "imro-gpkg",
    ),
    (
        TEST_DATA / "hilvarenbeek_NL.IMRO.0798.BPDoornboom-ON01.gml",
        "zoning",
        "imro-gml",
    ),
    (
        TEST_DATA / "hilvarenbeek_NL.IMRO.0798.BPDoornboom-ON01.gpkg",
        "zoning",
        "imro-gpkg",
    ),
    (
        TEST_DATA / "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gml",
        "zoning",
        "imro-gml",
    ),
    (
        TEST_DATA / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gml",
        "zoning",
        "imro-gml",
    ),
    (
        TEST_DATA / "zaltbommel_NL.IMRO.0297.BGBBP20140020-OW01_nhw_paraplu.gml",
        "zoning",
        "imro-gml",
    ),
    (
        TEST_DATA / "zaltbommel_NL.IMRO.0297.BGBBP20140020-OW01_nhw_paraplu.gpkg",
        "zoning",
        "imro-gpkg",
    ),
]


@pytest.mark.parametrize(("path", "kind", "fmt"), CASES, ids=[c[0].name for c in CASES])
def test_detects_real_files(path, kind, fmt):
    detected = detect_format(path)
    assert (detected.kind, detected.format) == (kind, fmt)
    assert detected.path == path
    assert READERS[fmt][0] == kind
    assert callable(get_reader(fmt))


def test_detect_accepts_str(tmp_path):
    path = DATA / "amsterdam_BU03638600_bag_panden.gpkg"
    assert detect_format(str(path)).format == "bag-light"


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        ("parcel_id,owner_class\n", "ownership"),
        ("\ufeffperceel;eigenaarklasse\n", "ownership"),
        ("building_id,vacant_since\n", "vacancy"),
    ],
)
def test_detects_csv_tables(tmp_path, header, fmt):
    path = tmp_path / "tabel.csv"
    path.write_text(header + "a,b\n", encoding="utf-8")
    detected = detect_format(path)
    assert (detected.kind, detected.format) == ("context", fmt)


def test_unknown_csv_says_which_columns_are_needed():
    path = TEST_DATA / "cbs_buurtcodes_2021_lookup.csv"
    with pytest.raises(DataSourceError, match="owner_class") as err:
        detect_format(path)
    assert path.name in str(err.value)


def test_missing_file(tmp_path):
    path = tmp_path / "nergens.gpkg"
    with pytest.raises(DataSourceError, match="file not found") as err:
        detect_format(path)
    assert str(path) in str(err.value)
    assert isinstance(err.value, OSError)


@pytest.mark.parametrize("name", ["panden.shp.txt", "rapport.docx", "README"])
def test_unsupported_extension_lists_formats(tmp_path, name):
    path = tmp_path / name
    path.write_text("x", encoding="utf-8")
    with pytest.raises(DataSourceError, match="unsupported file type") as err:
        detect_format(path)
    message = str(err.value)
    assert str(path) in message
    for ext, desc in SUPPORTED.items():
        assert ext in message
        assert desc in message


def test_xml_of_another_kind_is_rejected():
    path = TEST_DATA / "otterlo_dkk5_kadastralekaart_pand.gml"
    with pytest.raises(DataSourceError, match="neither IMRO") as err:
        detect_format(path)
    assert path.name in str(err.value)


def test_broken_zip(tmp_path):
    path = tmp_path / "extract.zip"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataSourceError, match="not a readable zip"):
        detect_format(path)


def test_truncated_geopackage(tmp_path):
    data = (DATA / "amsterdam_BU03638600_bag_panden.gpkg").read_bytes()
    path = tmp_path / "half.gpkg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DataSourceError, match="truncated or damaged"):
        detect_format(path)
