"""Unit tests of render_map: contract checks, privacy, payload, self-containment."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from kansenkaart.crs import WGS84
from kansenkaart.errors import (
    ConfigError,
    DataSourceError,
    KansenkaartError,
    SchemaError,
)
from kansenkaart.model.privacy import map_owner_classes as owner_classes_from
from kansenkaart.render import render_map
from kansenkaart.render._page import check_self_contained
from kansenkaart.render._payload import SIMPLIFY_M, build_payload
from kansenkaart.results import read_result
from tests.render.conftest import PERSON_COLUMN, PERSON_NAME


def _data_of(page: str) -> dict:
    match = re.search(r'id="kk-data">(.*?)</script>', page, re.DOTALL)
    assert match, "no embedded data block"
    return json.loads(match.group(1))


def _copy(result_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(result_dir, tmp_path / "result"))


def _edit_summary(folder: Path, **changes: object) -> None:
    path = folder / "summary.json"
    summary = json.loads(path.read_text("utf-8"))
    summary.update(changes)
    path.write_text(json.dumps(summary), "utf-8")


@pytest.fixture(scope="module")
def plain_page(result_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("map") / "map.html"
    render_map(result_dir, out, recipient="Versnellingskamer Katwijk, 3 dec")
    return out.read_text("utf-8")


def test_plain_map_holds_every_candidate(
    plain_page: str, candidates: gpd.GeoDataFrame, summary: dict
) -> None:
    data = _data_of(plain_page)
    assert sorted(data["candidates"]["id"]) == sorted(candidates["candidate_id"])
    assert data["meta"]["recipient"] == "Versnellingskamer Katwijk, 3 dec"
    rule_ids = [r["id"] for r in summary["rules"]]
    assert [r["id"] for r in data["meta"]["rules"]] == rule_ids
    assert len(data["candidates"]["rules"]) == len(rule_ids)


def test_map_names_the_sources_the_pipeline_read(
    plain_page: str, summary: dict
) -> None:
    """Before, the map read inputs[].kind and attribution the pipeline never wrote."""
    meta = _data_of(plain_page)["meta"]
    assert meta["attribution"] == summary["attribution"]
    assert any("CBS" in a and "CC BY 4.0" in a for a in meta["attribution"])
    kinds = {i["name"]: i["kind"] for i in meta["inputs"]}
    assert kinds["amsterdam_BU03638600_brk_percelen.gpkg"] == "parcels"
    assert kinds["cbs_gemeenten_2022_simplified_wgs84.geojson"] == "municipalities"


def test_candidates_are_ordered_as_the_ranked_list(plain_page: str) -> None:
    c = _data_of(plain_page)["candidates"]
    scored = [r for r, o in zip(c["rank"], c["outcome"], strict=True) if o == 0]
    assert scored == list(range(1, len(scored) + 1))
    assert c["outcome"] == sorted(c["outcome"])  # scored, unknown, excluded


def test_page_is_self_contained(plain_page: str) -> None:
    check_self_contained(plain_page)
    assert "<link" not in plain_page
    assert not re.search(r"<script[^>]+src=", plain_page)
    assert "L.map(" in plain_page  # Leaflet inlined from folium-offline
    assert "jquery" not in plain_page.lower()
    assert "tileLayer" not in plain_page.rsplit("kansenkaartInit", maxsplit=1)[-1]


def test_self_contained_check_catches_external_references() -> None:
    with pytest.raises(KansenkaartError, match="external resource"):
        check_self_contained('<html><script src="https://cdn.example/x.js"></script>')
    with pytest.raises(KansenkaartError):
        check_self_contained(
            "<style>a{background:url(https://x.example/a.png)}</style>"
        )
    check_self_contained("<style>a{background:url(data:image/png;base64,AA)}</style>")


def test_fields_outside_the_whitelist_never_reach_the_map(
    owned_result_dir: Path, tmp_path: Path
) -> None:
    plain_page = render_map(owned_result_dir, tmp_path / "m.html").read_text("utf-8")
    candidates = gpd.read_file(owned_result_dir / "candidates.gpkg", layer="candidates")
    summary = json.loads((owned_result_dir / "summary.json").read_text("utf-8"))
    assert PERSON_COLUMN not in plain_page
    assert PERSON_NAME not in plain_page
    assert PERSON_COLUMN not in candidates.columns
    fields = [f["key"] for f in _data_of(plain_page)["meta"]["fields"]]
    assert fields == summary["map_fields"]
    assert "owner_class" in fields
    assert candidates["owner_class"].notna().all()
    assert set(candidates["owner_class"]) == {
        "gemeente",
        "corporatie",
        "particulier",
        "rijk",
    }


def test_personal_fields_are_refused_even_when_whitelisted(
    result_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(result_dir, tmp_path)
    _edit_summary(folder, map_fields=["owner_class", PERSON_COLUMN])
    with pytest.raises(ConfigError, match=PERSON_COLUMN):
        render_map(folder, tmp_path / "map.html")
    assert not (tmp_path / "map.html").exists()


def test_unknown_whitelisted_field_is_a_schema_error(
    result_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(result_dir, tmp_path)
    _edit_summary(folder, map_fields=["floor_count"])
    with pytest.raises(SchemaError, match="floor_count"):
        render_map(folder, tmp_path / "map.html")


def test_owner_class_outside_vocabulary_becomes_overig(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import pandas as pd

    values = pd.Series(["Gemeente", "J. Jansen", None, "provincie"])
    with caplog.at_level(logging.WARNING):
        out = owner_classes_from(values)
    assert out.tolist() == ["gemeente", "overig", "onbekend", "provincie"]
    assert "Jansen" not in caplog.text


def test_geometries_are_web_precision_wgs84(
    result_dir: Path, candidates: gpd.GeoDataFrame
) -> None:
    payload = build_payload(read_result(result_dir), title=None)
    geom = payload["candidates"]["geom"]
    xy = np.cumsum(np.asarray(geom["xy"]).reshape(-1, 2), axis=0) / 1e6
    assert len(geom["part"]) == len(candidates) + 1
    first_id = payload["candidates"]["id"][0]
    src = candidates.set_index("candidate_id").loc[[first_id]]
    expected = shapely.simplify(src.geometry.values, SIMPLIFY_M)
    expected = gpd.GeoSeries(expected, crs=src.crs).to_crs(WGS84)
    start, end = geom["ring"][geom["poly"][geom["part"][0]]], geom["ring"][1]
    got = shapely.Polygon(xy[start:end])
    assert got.hausdorff_distance(expected.iloc[0]) < 2e-6
    assert xy[:, 0].min() > 3.0 and xy[:, 0].max() < 7.5  # lon in NL
    assert xy[:, 1].min() > 50.5 and xy[:, 1].max() < 53.7  # lat in NL


def test_text_cannot_break_out_of_the_data_block(
    result_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(result_dir, tmp_path)
    path = folder / "candidates.gpkg"
    frame = gpd.read_file(path, layer="candidates")
    frame.loc[0, "reason_nl"] = "</script><script>alert('x')</script>"
    frame.to_file(path, layer="candidates")
    page = render_map(folder, tmp_path / "map.html").read_text("utf-8")
    assert "<script>alert" not in page
    assert "alert('x')" in json.dumps(_data_of(page)["strings"])


def test_title_overrides_the_scan_title(result_dir: Path, tmp_path: Path) -> None:
    page = render_map(
        result_dir, tmp_path / "m.html", title="Raad & college"
    ).read_text("utf-8")
    assert "<title>Raad &amp; college</title>" in page
    assert _data_of(page)["meta"]["title"] == "Raad & college"


def test_existing_output_is_not_overwritten(result_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    out.write_text("keep me", "utf-8")
    with pytest.raises(ConfigError, match="--overwrite"):
        render_map(result_dir, out)
    assert out.read_text("utf-8") == "keep me"
    with pytest.raises(ConfigError, match="not a map written by kansenkaart"):
        render_map(result_dir, out, overwrite=True)  # only a map it wrote
    assert out.read_text("utf-8") == "keep me"
    out.unlink()
    render_map(result_dir, out)
    render_map(result_dir, out, overwrite=True)
    assert out.stat().st_size > 100_000


def test_output_must_be_html(result_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\.html"):
        render_map(result_dir, tmp_path / "map.png")


def test_tiles_are_opt_in_and_warned_about(
    result_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    with caplog.at_level(logging.WARNING, logger="kansenkaart"):
        page = render_map(result_dir, tmp_path / "m.html", tiles=url).read_text("utf-8")
    assert "reveals which area" in caplog.text
    assert "tiles.example.org" in caplog.text
    assert url in page
    with pytest.raises(ConfigError, match="XYZ"):
        render_map(result_dir, tmp_path / "n.html", tiles="tiles.example.org")


def test_missing_files_and_columns_are_reported(
    result_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(DataSourceError, match="not a folder"):
        render_map(tmp_path / "nope", tmp_path / "m.html")
    folder = _copy(result_dir, tmp_path)
    (folder / "summary.json").unlink()
    with pytest.raises(DataSourceError, match=r"summary\.json"):
        render_map(folder, tmp_path / "m.html")
    folder = _copy(result_dir, tmp_path / "b")
    frame = gpd.read_file(folder / "candidates.gpkg", layer="candidates")
    rule = json.loads((folder / "summary.json").read_text("utf-8"))["rules"][0]["id"]
    frame.drop(columns=["reason_nl", rule]).to_file(
        folder / "candidates.gpkg", layer="candidates"
    )
    with pytest.raises(SchemaError, match=rf"reason_nl, {rule}"):
        render_map(folder, tmp_path / "m.html")


def test_context_layers_are_optional(result_dir: Path, tmp_path: Path) -> None:
    folder = _copy(result_dir, tmp_path)
    (folder / "context.gpkg").unlink()
    page = render_map(folder, tmp_path / "m.html").read_text("utf-8")
    assert _data_of(page)["context"] == {}


def test_context_layers_keep_one_column(plain_page: str) -> None:
    context = _data_of(plain_page)["context"]
    assert set(context) == {"boundary", "zoning", "buildings"}
    groups = {f["properties"]["main_group"] for f in context["zoning"]["features"]}
    assert {"wonen", "groen", "verkeer"} <= groups
    for layer in context.values():
        assert all(len(f["properties"]) <= 1 for f in layer["features"])
    assert context["buildings"]["features"][0]["properties"] == {}
