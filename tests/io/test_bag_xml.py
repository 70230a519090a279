"""Tests for the LV-BAG 2.0 XML reader (Doesburg sample parts)."""

from __future__ import annotations

import datetime as dt
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from kansenkaart.errors import DataSourceError
from kansenkaart.io.bag_xml import read_lvbag_units, read_lvbag_xml
from kansenkaart.io.detect import detect_format
from kansenkaart.model.schema import BAG_USE_COLUMNS, BUILDINGS

PND = "doesburg_0221PND15092020-000001_sample.xml"
VBO = "doesburg_0221VBO15092020-000001_sample.xml"
USE_COLUMNS = list(BAG_USE_COLUMNS.values())
GML = "{http://www.opengis.net/gml/3.2}"
OBJ = "{www.kadaster.nl/schemas/lvbag/imbag/objecten/v20200601}"


@pytest.fixture
def extract_dir(test_data_dir: Path, tmp_path: Path) -> Path:
    """A folder with a copy of the PND and VBO parts."""
    folder = tmp_path / "extract"
    folder.mkdir()
    for name in (PND, VBO):
        shutil.copy(test_data_dir / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def buildings(test_data_dir: Path):
    return read_lvbag_xml(test_data_dir / PND)


def _last_polygon(path: Path, pand_id: str) -> shapely.Polygon:
    """Outline of the last voorkomen of a pand, read naively with ElementTree."""
    polygon = None
    for pand in ET.parse(path).getroot().iter(f"{OBJ}Pand"):
        if pand.findtext(f"{OBJ}identificatie") == pand_id:
            text = pand.find(f".//{GML}posList").text
            polygon = shapely.Polygon(
                np.array(text.split(), float).reshape(-1, 3)[:, :2]
            )
    return polygon


def test_units_current(test_data_dir: Path) -> None:
    units = read_lvbag_units(test_data_dir / VBO)
    assert units["unit_id"].tolist() == ["0221010000330226", "0221010000330999"]
    assert units["building_id"].tolist() == ["0221100000312938", "0221100000311191"]
    assert units["uses"].tolist() == ["woonfunctie", "overige gebruiksfunctie"]
    assert units["floor_area_m2"].tolist() == [223.0, 18.0]
    assert units["status"].tolist() == [
        "Verbouwing verblijfsobject",
        "Verblijfsobject in gebruik",
    ]
    assert units["occurrence"].tolist() == [4, 1]


def test_units_all_voorkomens(test_data_dir: Path) -> None:
    """The sample holds 5 verblijfsobject voorkomens (of 2 units)."""
    units = read_lvbag_units(test_data_dir / VBO, current_only=False)
    assert len(units) == 5
    assert units["floor_area_m2"].tolist() == [306.0, 315.0, 223.0, 223.0, 18.0]
    assert set(units["uses"]) == {"woonfunctie", "overige gebruiksfunctie"}
    assert units["status"].tolist() == [
        "Verblijfsobject in gebruik",
        "Verblijfsobject in gebruik",
        "Verblijfsobject in gebruik (niet ingemeten)",
        "Verbouwing verblijfsobject",
        "Verblijfsobject in gebruik",
    ]
    assert units["valid_to"].isna().sum() == 2


def test_pnd_with_sibling_vbo(buildings, test_data_dir: Path) -> None:
    assert list(buildings.columns) == BUILDINGS.columns
    assert buildings.crs.to_epsg() == 28992
    assert buildings["building_id"].tolist() == ["0221100000311191", "0221100000312938"]
    assert buildings["year_built"].tolist() == [1992, 1585]
    assert buildings["status"].tolist() == ["Pand in gebruik"] * 2
    assert buildings["use_other"].tolist() == [True, False]
    assert buildings["use_residential"].tolist() == [False, True]
    assert buildings["floor_area_m2"].tolist() == [18.0, 223.0]
    assert buildings["n_units"].tolist() == [1, 1]
    assert (buildings["source"] == "lvbag-xml").all()
    assert not shapely.has_z(buildings.geometry.values).any()
    for pand_id, geom in zip(buildings["building_id"], buildings.geometry, strict=True):
        expected = _last_polygon(test_data_dir / PND, pand_id)
        assert geom.equals(expected)


def test_detected_as_lvbag(test_data_dir: Path) -> None:
    assert detect_format(test_data_dir / PND).format == "lvbag-xml"


def test_pnd_alone_has_unknown_uses(test_data_dir: Path, tmp_path: Path) -> None:
    shutil.copy(test_data_dir / PND, tmp_path / PND)
    result = read_lvbag_xml(tmp_path / PND)
    assert len(result) == 2
    assert result[USE_COLUMNS].isna().all().all()
    assert result["n_units"].isna().all()


def test_vbo_alone_is_an_error(test_data_dir: Path) -> None:
    with pytest.raises(DataSourceError, match="no panden"):
        read_lvbag_xml(test_data_dir / VBO)


def test_folder_and_zip_give_the_same(
    buildings, extract_dir: Path, tmp_path: Path
) -> None:
    assert_geodataframe_equal(read_lvbag_xml(extract_dir), buildings)
    flat = tmp_path / "0221.zip"
    with zipfile.ZipFile(flat, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in (PND, VBO):
            zf.write(extract_dir / name, f"extract/{name}")
    assert_geodataframe_equal(read_lvbag_xml(flat), buildings)


def test_zip_in_zip(buildings, extract_dir: Path, tmp_path: Path) -> None:
    for kind, name in (("PND", PND), ("VBO", VBO)):
        with zipfile.ZipFile(tmp_path / f"0221{kind}15092020.zip", "w") as zf:
            zf.write(extract_dir / name, name)
    outer = tmp_path / "lvbag-extract-0221.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Leveringsdocument-BAG-Extract.xml", "<levering/>")
        for kind in ("PND", "VBO"):
            zf.write(tmp_path / f"0221{kind}15092020.zip", f"0221{kind}15092020.zip")
    assert detect_format(outer).format == "lvbag-xml"
    assert_geodataframe_equal(read_lvbag_xml(outer), buildings)
    units = read_lvbag_units(outer)
    assert units["unit_id"].tolist() == ["0221010000330226", "0221010000330999"]


def test_historic_voorkomen_is_skipped(extract_dir: Path) -> None:
    pnd = extract_dir / PND
    text = pnd.read_text(encoding="utf-8")
    current = "<Historie:beginGeldigheid>2011-09-06</Historie:beginGeldigheid>\n"
    ended = current + "<Historie:eindGeldigheid>2020-01-01</Historie:eindGeldigheid>\n"
    # the current voorkomen (2) of pand 0221100000311191 gets an end date
    last = text.rindex(current)
    pnd.write_text(text[:last] + ended + text[last + len(current) :], encoding="utf-8")
    result = read_lvbag_xml(pnd)
    assert result["building_id"].tolist() == ["0221100000312938"]
    assert result["floor_area_m2"].tolist() == [223.0]


def test_inactive_voorkomen_is_skipped(extract_dir: Path) -> None:
    pnd = extract_dir / PND
    text = pnd.read_text(encoding="utf-8")
    marker = "<Historie:voorkomenidentificatie>4</Historie:voorkomenidentificatie>"
    inactive = marker + (
        "<Historie:tijdstipInactief>2016-01-01T00:00:00.000</Historie:tijdstipInactief>"
    )
    pnd.write_text(text.replace(marker, inactive), encoding="utf-8")
    result = read_lvbag_xml(pnd)
    assert result["building_id"].tolist() == ["0221100000311191"]


def test_as_of_date_and_year_9999(test_data_dir: Path) -> None:
    """On 2011-01-01 both panden had their first voorkomen, with bouwjaar 9999."""
    result = read_lvbag_xml(test_data_dir / PND, as_of=dt.date(2011, 1, 1))
    assert result["building_id"].tolist() == ["0221100000311191", "0221100000312938"]
    assert result["year_built"].isna().all()
    # the units only began later in 2011: none current, so no uses
    assert result["n_units"].tolist() == [0, 0]
    assert not result[USE_COLUMNS].any().any()


def test_interior_ring_becomes_hole(extract_dir: Path) -> None:
    pnd = extract_dir / PND
    outline = _last_polygon(pnd, "0221100000311191")
    text = pnd.read_text(encoding="utf-8")
    hole = (
        "<gml:interior><gml:LinearRing><gml:posList>"
        "206289.0 447359.0 0.0 206290.0 447359.0 0.0 206290.0 447360.0 0.0 "
        "206289.0 447360.0 0.0 206289.0 447359.0 0.0"
        "</gml:posList></gml:LinearRing></gml:interior>"
    )
    last = text.rindex("</gml:exterior>") + len("</gml:exterior>")
    pnd.write_text(text[:last] + hole + text[last:], encoding="utf-8")
    result = read_lvbag_xml(pnd).set_index("building_id")
    geom = result.geometry["0221100000311191"]
    assert shapely.get_num_interior_rings(geom) == 1
    assert geom.area == pytest.approx(outline.area - 1.0)


def test_not_well_formed(tmp_path: Path) -> None:
    bad = tmp_path / "0221PND15092020-000001.xml"
    bad.write_text("<sl-bag-extract:bagStand><unclosed>", encoding="utf-8")
    with pytest.raises(DataSourceError, match="not well-formed"):
        read_lvbag_xml(bad)


def test_folder_without_parts(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(DataSourceError, match="no LV-BAG PND or VBO XML"):
        read_lvbag_xml(tmp_path)


def test_units_explode_multiple_panden(extract_dir: Path) -> None:
    vbo = extract_dir / VBO
    text = vbo.read_text(encoding="utf-8")
    ref = (
        '<Objecten-ref:PandRef domein="NL.IMBAG.Pand">0221100000311191'
        "</Objecten-ref:PandRef>"
    )
    extra = ref + ref.replace("0221100000311191", "0221100000312938")
    vbo.write_text(text.replace(ref, extra), encoding="utf-8")
    units = read_lvbag_units(vbo)
    shared = units[units["unit_id"] == "0221010000330999"]
    assert shared["building_id"].tolist() == ["0221100000311191", "0221100000312938"]
    result = read_lvbag_xml(extract_dir / PND).set_index("building_id")
    assert result.loc["0221100000312938", "n_units"] == 2
    assert result.loc["0221100000312938", "floor_area_m2"] == 223.0 + 18.0
    assert result.loc["0221100000312938", "use_other"]
    assert pd.notna(result.loc["0221100000311191", "floor_area_m2"])
