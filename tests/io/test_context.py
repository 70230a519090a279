"""Context layers and user tables: real data in ``data/``, tables made in code."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from kansenkaart.errors import GeometryRepairedWarning, KansenkaartWarning, SchemaError
from kansenkaart.io._csv import read_csv_text
from kansenkaart.io.context import (
    read_boundaries,
    read_context,
    read_monuments,
    read_natura2000,
)
from kansenkaart.io.detect import detect_format, get_reader
from kansenkaart.io.ownership import read_ownership
from kansenkaart.io.vacancy import read_vacancy
from kansenkaart.model.privacy import OWNER_CLASSES

NATURA2000 = "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg"
MONUMENTS = "rijksmonumenten_boerderijen_nabij_n2000.gpkg"
GEMEENTEN = "cbs_gemeenten_2022_simplified_wgs84.geojson"
BUURT = "amsterdam_BU03638600_buurt.gpkg"
INVALID_GEMEENTEN = {"GM0303", "GM0716", "GM0852", "GM1895", "GM1924"}
PERSON_NAMES = ("Jansen", "de Vries", "Pietje Bell", "Ö. Yılmaz")


@pytest.fixture(scope="module")
def gemeenten(data_dir: Path) -> gpd.GeoDataFrame:
    with pytest.warns(GeometryRepairedWarning, match="repaired 5 invalid"):
        return read_boundaries(data_dir / GEMEENTEN)


def _codes(gdf: gpd.GeoDataFrame) -> list[str]:
    return [f.code for f in gdf.attrs["findings"]]


def test_natura2000_four_named_areas(data_dir: Path) -> None:
    gdf = read_natura2000(data_dir / NATURA2000)
    assert list(gdf.columns) == ["name", "geometry"]
    assert len(gdf) == 4
    assert {"Veluwe", "Rijntakken", "Solleveld & Kapittelduinen"} <= set(gdf["name"])
    assert gdf.crs.to_epsg() == 28992
    assert gdf.is_valid.all()


def test_natura2000_accepts_inspire_sitename(tmp_path: Path) -> None:
    path = tmp_path / "ps.gpkg"
    gpd.GeoDataFrame(
        {"SITECODE": ["NL9801001"], "SITENAME": ["Veluwe"]},
        geometry=[shapely.box(180000, 450000, 190000, 460000)],
        crs=28992,
    ).to_file(path)
    assert read_natura2000(path)["name"].tolist() == ["Veluwe"]


def test_monuments_keep_id_function_geometry_only(data_dir: Path) -> None:
    gdf = read_monuments(data_dir / MONUMENTS)
    assert list(gdf.columns) == ["monument_id", "function", "geometry"]
    # 826 rows: 78 monuments near both Veluwe and Rijntakken are listed twice.
    assert len(gpd.read_file(data_dir / MONUMENTS, columns=["rmid"])) == 826
    assert len(gdf) == 748
    assert gdf["monument_id"].is_unique
    assert "merged_rows" in _codes(gdf)
    assert set(gdf["function"]) == {"Boerderij", "Kaasboerderij"}
    assert gdf["monument_id"].str.fullmatch(r"\d+").all()
    assert (gdf.geom_type == "Point").all()


def test_gemeenten_reprojected_and_repaired(gemeenten: gpd.GeoDataFrame) -> None:
    assert len(gemeenten) == 343
    assert gemeenten.crs.to_epsg() == 28992
    assert list(gemeenten.columns) == ["code", "name", "level", "geometry"]
    assert (gemeenten["level"] == "gemeente").all()
    assert gemeenten.is_valid.all()
    findings = {f.code: f for f in gemeenten.attrs["findings"]}
    assert "EPSG:4326" in findings["reprojected"].message
    assert set(findings["invalid_geometry"].ids) == INVALID_GEMEENTEN
    # RD New coordinates, not degrees
    assert gemeenten.total_bounds[0] > 0
    assert gemeenten.total_bounds[3] > 300_000


def test_amsterdam_contains_buurt(data_dir: Path, gemeenten: gpd.GeoDataFrame) -> None:
    buurt = read_boundaries(data_dir / BUURT)
    assert buurt["code"].tolist() == ["BU03638600"]
    assert buurt["name"].tolist() == ["Overtoomse Veld Noord"]
    assert buurt["level"].tolist() == ["buurt"]
    amsterdam = gemeenten.loc[gemeenten["code"] == "GM0363"]
    assert amsterdam["name"].tolist() == ["Amsterdam"]
    point = buurt.geometry.representative_point().iloc[0]
    assert amsterdam.geometry.iloc[0].contains(point)
    assert gemeenten.geometry.contains(point).sum() == 1


def test_boundaries_wrong_level(data_dir: Path) -> None:
    with pytest.raises(SchemaError, match="holds no gemeente boundaries"):
        read_boundaries(data_dir / BUURT, level="gemeente")


def test_read_context_wgs84_geojson(data_dir: Path) -> None:
    with pytest.warns(GeometryRepairedWarning):
        gdf = read_context(data_dir / GEMEENTEN)
    assert gdf.crs.to_epsg() == 28992
    assert "reprojected" in _codes(gdf)
    assert "gemeentenaam" in gdf.columns


# --------------------------------------------------------------------------
# ownership


def _ownership_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "perceel": ["STN02 D 1234", "stn02d01235", "STN02-D-1236", "STN02 D 1237"],
            "naam": list(PERSON_NAMES),
            "eigenaarklasse": [
                "Provincie Zuid-Holland",
                "GEMEENTE",
                "Woningcorporatie",
                "particulier",
            ],
            "eigenaar_naam": list(PERSON_NAMES),
        }
    )


def _assert_no_names(obj: object, caplog: pytest.LogCaptureFixture) -> None:
    text = repr(obj) + repr(getattr(obj, "attrs", {})) + caplog.text
    for name in PERSON_NAMES:
        assert name not in text


def test_ownership_csv_drops_person_names(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "eigendom.csv"
    _ownership_frame().to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    caplog.set_level(logging.DEBUG)
    df = read_ownership(path)
    assert list(df.columns) == ["parcel_id", "owner_class"]
    assert df["parcel_id"].tolist() == [
        "STN02-D-1234",
        "STN02-D-1235",
        "STN02-D-1236",
        "STN02-D-1237",
    ]
    assert df["owner_class"].tolist() == [
        "provincie",
        "gemeente",
        "corporatie",
        "particulier",
    ]
    _assert_no_names(df, caplog)
    assert "'naam' dropped" in caplog.text
    assert "'eigenaar_naam' dropped" in caplog.text
    assert detect_format(path).format == "ownership"
    assert get_reader("ownership") is read_ownership


def test_ownership_gpkg_drops_person_names(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "eigendom.gpkg"
    frame = _ownership_frame()
    boxes = [shapely.box(i * 10, 0, i * 10 + 10, 10) for i in range(len(frame))]
    gpd.GeoDataFrame(frame, geometry=boxes, crs=28992).to_file(path)
    caplog.set_level(logging.DEBUG)
    gdf = read_ownership(path)
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert list(gdf.columns) == ["parcel_id", "owner_class", "geometry"]
    assert gdf.crs.to_epsg() == 28992
    assert gdf["owner_class"].iloc[0] == "provincie"
    _assert_no_names(gdf, caplog)


def test_ownership_unknown_class(tmp_path: Path) -> None:
    path = tmp_path / "eigendom.csv"
    path.write_text(
        "parcel_id,owner_class\nSTN02-D-1,rijk\nSTN02-D-2,Jansen BV\n", encoding="utf-8"
    )
    with pytest.raises(SchemaError, match="line 3") as info:
        read_ownership(path)
    message = str(info.value)
    assert all(c in message for c in OWNER_CLASSES)
    assert "Jansen" not in message


def test_ownership_bad_parcel_id(tmp_path: Path) -> None:
    path = tmp_path / "eigendom.csv"
    path.write_text("perceel,owner_class\nSloten D 1234,rijk\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="kadastrale aanduiding"):
        read_ownership(path)


def test_ownership_duplicates_reported(tmp_path: Path) -> None:
    path = tmp_path / "eigendom.csv"
    path.write_text(
        "parcel_id,owner_class\nSTN02 D 1,rijk\nSTN02-D-1,gemeente\n", encoding="utf-8"
    )
    with pytest.warns(KansenkaartWarning, match="duplicate"):
        df = read_ownership(path)
    assert df["owner_class"].tolist() == ["rijk"]
    assert df.attrs["findings"][0].ids == ("STN02-D-1",)


def test_ownership_csv_windows_1252_quotes_and_blanks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # an Excel export: Windows-1252, quoted fields holding the separator,
    # blanks after the separator, and a person column that is never read
    path = tmp_path / "eigendom.csv"
    path.write_bytes(
        "perceel; eigenaarklasse; naam\n"
        '"STN02 D 1234"; "Gemeente Súdwest-Fryslân"; "Jansen; J."\n'
        "STN02D01235;  Provincie ;de Vries\n".encode("cp1252")
    )
    df = read_ownership(path)
    assert df["parcel_id"].tolist() == ["STN02-D-1234", "STN02-D-1235"]
    assert df["owner_class"].tolist() == ["gemeente", "provincie"]
    _assert_no_names(df, caplog)


def test_ownership_csv_short_row_names_its_line(tmp_path: Path) -> None:
    # a row with a missing last field: read (filled with nothing), then the
    # missing owner class is reported by its line number
    path = tmp_path / "eigendom.csv"
    path.write_text(
        "parcel_id,owner_class\nSTN02-D-1,gemeente\nSTN02-D-2\nSTN02-D-3,rijk\n"
    )
    with pytest.raises(SchemaError, match="line 3"):
        read_ownership(path)


def test_ownership_csv_empty_values_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "eigendom.csv"
    path.write_text('parcel_id,owner_class\nSTN02-D-1,gemeente\nSTN02-D-2,""\n')
    with pytest.raises(SchemaError, match=r"1 owner class value.*line 3"):
        read_ownership(path)


def test_csv_reader_matches_pandas_on_the_cbs_table() -> None:
    # Arrow reads the real CBS buurt table into the same text frame as pandas
    path = Path(__file__).parents[1] / "data" / "cbs_buurtcodes_2021_lookup.csv"
    expected = pd.read_csv(
        path,
        sep=";",
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=[""],
        skipinitialspace=True,
    )
    pd.testing.assert_frame_equal(read_csv_text(path), expected)


# --------------------------------------------------------------------------
# vacancy


def test_vacancy_semicolon_bom_leading_zeros(tmp_path: Path) -> None:
    path = tmp_path / "leegstand.csv"
    path.write_bytes(
        "\ufeffpand_id;leeg_sinds\n0363100012345678;2023-01-31\n"
        "0003100000000001;05-06-2021\n".encode()
    )
    df = read_vacancy(path)
    assert list(df.columns) == ["building_id", "vacant_since"]
    assert df["building_id"].tolist() == ["0363100012345678", "0003100000000001"]
    assert pd.api.types.is_datetime64_dtype(df["vacant_since"])
    assert df["vacant_since"].tolist() == [
        pd.Timestamp("2023-01-31"),
        pd.Timestamp("2021-06-05"),
    ]
    assert detect_format(path).format == "vacancy"


def test_vacancy_units_from_identificatie(tmp_path: Path) -> None:
    path = tmp_path / "leegstand.csv"
    path.write_text("identificatie,vacant_since\n0363010012345678,2022-02-01\n")
    assert read_vacancy(path).columns.tolist() == ["unit_id", "vacant_since"]


def test_vacancy_bad_dates_name_lines(tmp_path: Path) -> None:
    path = tmp_path / "leegstand.csv"
    path.write_text(
        "building_id,vacant_since\n0363100012345678,2023-02-30\n"
        "0363100012345679,\n0363100012345670,2020-01-01\n"
    )
    with pytest.raises(SchemaError, match="line 2, line 3"):
        read_vacancy(path)


def test_vacancy_duplicates_reported(tmp_path: Path) -> None:
    path = tmp_path / "leegstand.csv"
    path.write_text(
        "building_id,vacant_since\n0363100012345678,2023-01-01\n"
        "0363100012345678,2024-01-01\n"
    )
    with pytest.warns(KansenkaartWarning, match="1 duplicate id"):
        df = read_vacancy(path)
    assert len(df) == 1
