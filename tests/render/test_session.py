"""The closed session in headless Chromium: live weights, clusters, basemap.

The map is made from a real scan (the object scan on the embedded data,
1,610 candidates in Amsterdam and Katwijk) and a small MBTiles basemap drawn
from the same data.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kansenkaart.render import render_map
from kansenkaart.results import read_result
from tests._scans import run_object_scan, write_object_scan
from tests.render import test_browser
from tests.render._tiles import write_mbtiles
from tests.render.test_browser import RECIPIENT

pytestmark = pytest.mark.browser
# the browser, a fresh page with its request recorder, the screenshot folder
browser = test_browser.browser
page = test_browser.page
artifacts = test_browser.artifacts
ZOOMS = range(11, 17)


@pytest.fixture(scope="module")
def scan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The object scan's result folder (with sensitivity)."""
    return write_object_scan(tmp_path_factory.mktemp("session") / "result")


@pytest.fixture(scope="module")
def mbtiles(scan_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PNG MBTiles basemap around the candidates, zoom 11-16."""
    result = read_result(scan_dir)
    points = result.candidates.geometry.representative_point().to_crs(4326)
    lonlat = np.column_stack([points.x, points.y])
    path = tmp_path_factory.mktemp("tiles") / "achtergrond.mbtiles"
    return write_mbtiles(
        path, result.context["buildings"], result.context["zoning"], lonlat, ZOOMS
    )


@pytest.fixture(scope="module")
def session_maps(
    scan_dir: Path,
    mbtiles: Path,
    passphrase: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("session_maps")
    common = {"recipient": RECIPIENT, "basemap": mbtiles}
    return {
        "plain": render_map(scan_dir, folder / "sessie.html", **common),
        "encrypted": render_map(
            scan_dir,
            folder / "sessie_versleuteld.html",
            passphrase=passphrase,
            **common,
        ),
    }


def _open(pg: object, path: Path) -> None:
    pg.goto(path.as_uri())
    pg.wait_for_function("window.__kkFirstDraw !== undefined", timeout=30_000)


def _move_slider(pg: object, rule_id: str, value: float) -> None:
    pg.fill(f"#kk-w-{rule_id}", str(value))


def test_slider_ranking_equals_the_rerun_of_the_exported_scan_file(
    page: tuple, session_maps: dict[str, Path], tmp_path: Path
) -> None:
    pg, rec = page
    _open(pg, session_maps["plain"])
    before = pd.DataFrame(pg.evaluate("kansenkaart.ranking()")).set_index("id")
    _move_slider(pg, "OBJ-BOUWJAAR", 40)
    _move_slider(pg, "OBJ-BESTEMMING", 0)  # 0 switches a criterion off
    pg.uncheck("#kk-on-OBJ-HOOGTE")  # a veto switched off
    pg.wait_for_function("window.__kkLastRerankMs !== undefined")
    pg.wait_for_timeout(200)
    assert "herberekend" in pg.inner_text(".kk-live-status")
    with pg.expect_download() as download:
        pg.click("#kk-export")
    edited = tmp_path / "edited.toml"
    edited.write_bytes(Path(download.value.path()).read_bytes())
    text = edited.read_text("utf-8")
    assert re.search(r"^weight = 40  # sessie; was 10", text, re.MULTILINE)
    assert '# [uitgeschakeld in de sessie]\n# [[rule]]\n# id = "OBJ-HOOGTE"' in text
    assert re.search(r'^# \s*id = "OBJ-BESTEMMING"', text, re.MULTILINE)
    assert re.search(r'^# \s*id = "OBJ-HOOGTE"', text, re.MULTILINE)
    page_result = pd.DataFrame(pg.evaluate("kansenkaart.ranking()")).set_index("id")
    rerun = run_object_scan(edited).candidates
    rerun.index = rerun.index.astype(str)
    rerun = rerun.loc[page_result.index]
    assert (page_result["outcome"] == rerun["outcome"]).all()
    scored = page_result["outcome"] == "scored"
    # veto off: not fewer (undecided heights were already flagged, not onbekend)
    assert scored.sum() >= (before["outcome"] == "scored").sum()
    np.testing.assert_allclose(
        page_result.loc[scored, "score"].astype(float),
        rerun.loc[scored, "score"].astype(float),
        rtol=0,
        atol=1e-9,
    )
    assert (page_result.loc[scored, "rank"] == rerun.loc[scored, "rank"]).all()
    assert (
        page_result.loc[scored, "rank_m"] == rerun.loc[scored, "rank_municipality"]
    ).all()
    moved = before.loc[before["outcome"] == "scored", "rank"]
    assert (moved != page_result.loc[moved.index, "rank"]).any()
    first = pg.locator("#kk-list li").nth(0).get_attribute("data-id")
    assert first == rerun.index[rerun["rank"] == 1][0]
    assert rec.requests == [session_maps["plain"].as_uri()]
    assert rec.errors == []


def test_reset_restores_the_scan_file_ranking(
    page: tuple, session_maps: dict[str, Path], scan_dir: Path
) -> None:
    pg, rec = page
    _open(pg, session_maps["plain"])
    _move_slider(pg, "OBJ-WONINGEN", 2.5)
    pg.wait_for_function("window.__kkLastRerankMs !== undefined")
    pg.click("#kk-reset")
    ranking = pd.DataFrame(pg.evaluate("kansenkaart.ranking()")).set_index("id")
    written = read_result(scan_dir).candidates.loc[ranking.index]
    assert (ranking["outcome"] == written["outcome"]).all()
    assert (ranking["rank"].fillna(0) == written["rank"].fillna(0)).all()
    scored = ranking["outcome"] == "scored"
    np.testing.assert_allclose(
        ranking.loc[scored, "score"], written.loc[scored, "score"], atol=1e-9
    )
    assert pg.input_value("#kk-w-OBJ-WONINGEN") == "25"
    assert rec.errors == []


def test_the_explanation_follows_the_weights(
    page: tuple, session_maps: dict[str, Path]
) -> None:
    pg, rec = page
    _open(pg, session_maps["plain"])
    pg.uncheck("#kk-on-OBJ-FUNCTIE")
    pg.wait_for_function("window.__kkLastRerankMs !== undefined")
    pg.locator("#kk-list li").nth(0).click()
    popup = pg.inner_text(".kk-popup")
    assert "uitgeschakeld in deze sessie" in popup
    assert re.search(r"Score \d+,\d van 100 \(rang 1\)", popup)
    assert rec.errors == []


def test_candidates_cluster_when_zoomed_out(
    page: tuple, session_maps: dict[str, Path], artifacts: Path
) -> None:
    pg, rec = page
    _open(pg, session_maps["plain"])
    pg.evaluate("() => { window.map_kansenkaart.setZoom(13, {animate: false}); }")
    pg.wait_for_function("kansenkaart.mode() === 'points'")
    pg.wait_for_timeout(300)
    counts = [int(t) for t in pg.locator(".marker-cluster span").all_inner_texts()]
    assert len(counts) >= 2
    assert 100 < sum(counts) <= 1610
    assert pg.evaluate("kansenkaart.basemapTiles()") > 0
    shot = artifacts / "session_clusters_on_basemap.png"
    pg.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    pg.evaluate("() => { window.map_kansenkaart.setZoom(16, {animate: false}); }")
    pg.wait_for_function("kansenkaart.mode() === 'polygons'")
    assert pg.locator(".marker-cluster").count() == 0
    assert rec.errors == []


def test_the_view_opens_on_one_area_with_a_selector(
    page: tuple, session_maps: dict[str, Path]
) -> None:
    pg, rec = page
    _open(pg, session_maps["plain"])
    options = pg.locator("#kk-area option").all_inner_texts()
    assert "Gebied: Amsterdam" in options and "Gebied: Katwijk" in options
    area = pg.input_value("#kk-area")
    best = pg.locator("#kk-list li").nth(0).inner_text()
    assert area in best
    bounds = pg.evaluate("map_kansenkaart.getBounds().toBBoxString()")
    west, _, east, _ = (float(v) for v in bounds.split(","))
    assert east - west < 0.2  # one area, not Katwijk and Amsterdam at once
    pg.select_option("#kk-area", "Amsterdam")
    center = pg.evaluate("map_kansenkaart.getCenter().lng")
    assert 4.8 < center < 5.0
    assert rec.errors == []


def test_search_finds_a_candidate_by_id(
    page: tuple, session_maps: dict[str, Path], scan_dir: Path
) -> None:
    pg, rec = page
    _open(pg, session_maps["plain"])
    cand = read_result(scan_dir).candidates
    target = cand.index[cand["outcome"] == "unknown"][0]
    pg.fill("#kk-search", target[-8:])
    assert target in pg.inner_text("#kk-search-hits")
    pg.press("#kk-search", "Enter")
    pg.wait_for_selector(".kk-popup")
    assert target in pg.inner_text(".kk-popup h3")
    assert rec.errors == []


def _tiles_in(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = 15"
        ).fetchall()
    return [base64.b64encode(r[0]).decode("ascii") for r in rows]


def test_basemap_tiles_are_embedded_and_drawn_without_requests(
    page: tuple, session_maps: dict[str, Path], mbtiles: Path
) -> None:
    pg, rec = page
    html = session_maps["plain"].read_text("utf-8")
    tiles = _tiles_in(mbtiles)
    assert sum(t in html for t in tiles) == len(tiles)
    _open(pg, session_maps["plain"])
    pg.wait_for_function("kansenkaart.basemapTiles() > 0")
    for zoom in (12, 15, 17):
        pg.evaluate(f"() => {{ map_kansenkaart.setZoom({zoom}, {{animate: false}}); }}")
        pg.wait_for_timeout(200)
        assert pg.evaluate("kansenkaart.basemapTiles()") > 0
    assert rec.requests == [session_maps["plain"].as_uri()]
    assert rec.errors == []


def test_encrypted_map_with_basemap_holds_no_tile_in_clear(
    page: tuple, session_maps: dict[str, Path], mbtiles: Path, passphrase: str
) -> None:
    text = session_maps["encrypted"].read_text("utf-8")
    for tile in _tiles_in(mbtiles):
        assert tile[:40] not in text
    assert "iVBORw0KGgo" not in text  # no PNG (base64) anywhere
    assert "Testachtergrond" not in text
    pg, rec = page
    pg.goto(session_maps["encrypted"].as_uri())
    pg.fill("#kk-pass", passphrase)
    pg.click("#kk-open")
    pg.wait_for_function("window.__kkFirstDraw !== undefined", timeout=30_000)
    pg.wait_for_function("kansenkaart.basemapTiles() > 0")
    assert pg.evaluate("kansenkaart.live()")
    assert rec.requests == [session_maps["encrypted"].as_uri()]
    assert rec.errors == []


def test_charts_are_in_the_side_panel(
    page: tuple, session_maps: dict[str, Path]
) -> None:
    pg, rec = page
    _open(pg, session_maps["plain"])
    pg.click(".kk-charts summary")
    images = pg.locator(".kk-chart img")
    assert images.count() == 3
    widths = pg.evaluate(
        "Array.from(document.querySelectorAll('.kk-chart img')).map(i => i.naturalWidth)"
    )
    assert min(widths) > 100
    assert rec.errors == []


def test_payload_carries_the_raw_rule_values(session_maps: dict[str, Path]) -> None:
    html = session_maps["plain"].read_text("utf-8")
    data = json.loads(
        re.search(r'id="kk-data">(.*?)</script>', html, re.DOTALL).group(1)
    )
    live = data["live"]
    ids = [r["id"] for r in live["rules"]]
    # skipped (no vacancy layer given): last, undecided for every candidate
    skipped = data["meta"]["skipped_rules"]
    assert "OBJ-LEEGSTAND" in skipped
    assert ids[-len(skipped) :] == [r for r in ids if r in skipped]
    for rid in skipped:
        assert set(live["values"][ids.index(rid)]["c"]) == {-1}
    assert ids[:3] == ["OBJ-FUNCTIE", "OBJ-WOONDEEL", "OBJ-STATUS"]
    values = live["values"][ids.index("OBJ-BESTEMMING")]
    decoded = [None if c < 0 else values["u"][c] for c in values["c"]]
    assert 0 < decoded.count(None) < len(decoded)
    assert {v for v in decoded if v is not None} <= {0.0, 0.5, 1.0}
    assert live["scan_text"].startswith("# Lokale objectenscan")


def test_encrypted_map_is_compressed_before_encryption(
    session_maps: dict[str, Path],
) -> None:
    plain = session_maps["plain"].stat().st_size
    encrypted = session_maps["encrypted"].stat().st_size
    assert encrypted < 0.6 * plain  # base64 adds a third; DEFLATE takes off more


def test_exported_site_scan_file_loads_with_the_session_choices(
    page: tuple, result_dir: Path, tmp_path: Path
) -> None:
    """The locatiescan (inline tables, comments, rules of another regime)."""
    from kansenkaart.rules.definition import load_scan

    pg, rec = page
    path = render_map(result_dir, tmp_path / "locatie.html")
    _open(pg, path)
    _move_slider(pg, "LOC-BEBOUWING", 5)
    _move_slider(pg, "LOC-NUTS", 0)
    pg.uncheck("#kk-on-LOC-CAPACITEIT")
    pg.uncheck("#kk-on-LOC-N2000-BUFFER")  # a flag
    with pg.expect_download() as download:
        pg.click("#kk-export")
    edited = tmp_path / "locatiescan-sessie.toml"
    edited.write_bytes(Path(download.value.path()).read_bytes())
    scan = load_scan(edited)
    original = load_scan(scan_path_of("locatiescan"))
    weights = {r.id: r.weight for r in scan.rules if r.kind == "score"}
    assert weights["LOC-BEBOUWING"] == 5
    assert weights["LOC-EIGENDOM"] == 25  # skipped here: no slider, unchanged
    assert "LOC-NUTS" not in weights
    ids = [r.id for r in scan.rules]
    gone = {"LOC-NUTS", "LOC-CAPACITEIT", "LOC-N2000-BUFFER"}
    assert ids == [r.id for r in original.rules if r.id not in gone]
    assert "LOC-GELUID-WABO" in ids  # another regime's rule stays as it was
    assert scan.layers == original.layers and scan.map_fields == original.map_fields
    assert rec.errors == []


def scan_path_of(name: str) -> Path:
    from kansenkaart.datasets import scan_path

    return scan_path(name)
