"""Open real maps in headless Chromium (the system browser, no download).

Needs Debian's ``chromium`` and ``chromium-driver`` packages; a missing
browser FAILS these tests (it is part of the test setup, not optional).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest

from kansenkaart.render import render_map

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--metrics-recording-only",
]
VIEWPORT = {"width": 1400, "height": 900}
RECIPIENT = "Versnellingskamer Katwijk, 3 dec"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless system Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need the system Chromium. "
            "Install it with: apt-get install -y chromium chromium-driver"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class _Recorder:
    """Every request, websocket and page error a page produces."""

    def __init__(self, page: object) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def page(browser: object) -> Iterator[tuple[object, _Recorder]]:
    """A fresh page in its own context (no shared storage) and its recorder."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    pg = context.new_page()
    yield pg, _Recorder(pg)
    context.close()


@pytest.fixture(scope="module")
def maps(
    result_dir: Path, passphrase: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("browser")
    return {
        "plain": render_map(result_dir, folder / "plain.html", recipient=RECIPIENT),
        "encrypted": render_map(
            result_dir,
            folder / "encrypted.html",
            recipient=RECIPIENT,
            passphrase=passphrase,
        ),
    }


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $KANSENKAART_ARTIFACTS or pytest's temp folder."""
    folder = Path(
        os.environ.get("KANSENKAART_ARTIFACTS") or tmp_path_factory.mktemp("shots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _wait_drawn(pg: object) -> None:
    pg.wait_for_function("window.__kkFirstDraw !== undefined", timeout=30_000)


def _drawn(pg: object) -> int:
    return int(pg.evaluate("window.kansenkaart.countDrawn()"))


def _painted_pixels(pg: object) -> int:
    """Non-transparent pixels on the candidate canvas (features really drawn)."""
    return int(
        pg.evaluate(
            """() => Array.from(document.querySelectorAll(
                   '.leaflet-overlay-pane canvas'))
                 .reduce((n, c) => { const d = c.getContext('2d')
                   .getImageData(0, 0, c.width, c.height).data; let k = 0;
                   for (let i = 3; i < d.length; i += 4) { if (d[i]) { k++; } }
                   return n + k; }, 0)"""
        )
    )


def _zoom_to_amsterdam(pg: object, candidates: gpd.GeoDataFrame) -> None:
    """Zoom in on the Amsterdam parcels: the scan spans two areas 30 km apart."""
    amsterdam = candidates[candidates["municipality_name"] == "Amsterdam"]
    x, y = amsterdam.to_crs(4326).union_all().centroid.coords[0]
    pg.evaluate(
        f"() => {{ window.map_kansenkaart.setView([{y}, {x}], 16, {{animate: false}}); }}"
    )
    pg.wait_for_function("kansenkaart.mode() === 'polygons'")


def _unlock(pg: object, passphrase: str) -> None:
    pg.fill("#kk-pass", passphrase)
    pg.click("#kk-open")


def test_plain_map_draws_every_candidate_and_the_list(
    page: tuple, maps: dict[str, Path], candidates: gpd.GeoDataFrame, summary: dict
) -> None:
    pg, rec = page
    pg.goto(maps["plain"].as_uri())
    _wait_drawn(pg)
    n = len(candidates)
    assert n > 300
    assert _drawn(pg) == n
    _zoom_to_amsterdam(pg, candidates)
    assert _painted_pixels(pg) > 10_000
    rows = pg.locator("#kk-list li")
    assert rows.count() == 300  # first page of the ranked list
    best = candidates.loc[candidates["rank"] == 1, "candidate_id"].iloc[0]
    assert rows.nth(0).get_attribute("data-id") == best
    assert rows.nth(0).locator(".kk-rank").inner_text() == "1"
    assert f"{n} kandidaten" in pg.inner_text(".kk-listhead")
    assert RECIPIENT in pg.inner_text("#kk-watermark")
    title = pg.inner_text(".kk-title")
    assert f"regelset {summary['scan']['version']}" in title
    # the sources and the CBS / Kadaster CC BY attribution the pipeline wrote
    assert "CBS / Kadaster via PDOK (CC BY 4.0)" in title
    assert "Kadastrale kaart: Kadaster (CC BY 4.0)" in title
    while pg.is_visible(".kk-more"):  # the list grows by 300 per click
        pg.click(".kk-more")
    assert rows.count() == n
    assert rec.errors == []


def test_filters_and_zoom_modes(
    page: tuple, maps: dict[str, Path], candidates: gpd.GeoDataFrame
) -> None:
    pg, rec = page
    pg.goto(maps["plain"].as_uri())
    _wait_drawn(pg)
    excluded = int((candidates["outcome"] == "excluded").sum())
    pg.uncheck("#kk-filter-excluded")
    assert _drawn(pg) == len(candidates) - excluded
    pg.check("#kk-filter-excluded")
    pg.select_option("#kk-filter-muni", "Katwijk")
    assert _drawn(pg) == int((candidates["municipality_name"] == "Katwijk").sum())
    pg.select_option("#kk-filter-muni", "")
    _zoom_to_amsterdam(pg, candidates)
    assert pg.evaluate("kansenkaart.mode()") == "polygons"
    pg.evaluate("() => { window.map_kansenkaart.setZoom(12, {animate: false}); }")
    pg.wait_for_function("kansenkaart.mode() === 'points'")
    assert _drawn(pg) == len(candidates)
    assert rec.errors == []


def test_encrypted_map_shows_nothing_before_the_passphrase(
    page: tuple, maps: dict[str, Path], candidates: gpd.GeoDataFrame
) -> None:
    pg, _ = page
    pg.goto(maps["encrypted"].as_uri())
    assert pg.is_visible("#kk-pass")
    assert pg.evaluate("typeof window.kansenkaart") == "undefined"
    assert pg.evaluate("typeof window.L") == "undefined"
    body = pg.content()
    assert not any(cid in body for cid in candidates["candidate_id"])
    assert pg.locator("#kk-list").count() == 0


def test_wrong_passphrase_shows_error_and_no_features(
    page: tuple, maps: dict[str, Path], candidates: gpd.GeoDataFrame
) -> None:
    pg, rec = page
    pg.goto(maps["encrypted"].as_uri())
    _unlock(pg, "lantaarn paraplu kiezel wortels")
    pg.wait_for_selector("#kk-error:not([hidden])", timeout=30_000)
    assert "Onjuiste wachtwoordzin" in pg.inner_text("#kk-error")
    assert pg.evaluate("typeof window.kansenkaart") == "undefined"
    assert pg.locator("canvas, #kk-list, .leaflet-container").count() == 0
    assert not any(cid in pg.content() for cid in candidates["candidate_id"])
    assert rec.errors == []


def test_right_passphrase_shows_the_same_features(
    page: tuple,
    maps: dict[str, Path],
    candidates: gpd.GeoDataFrame,
    passphrase: str,
    artifacts: Path,
) -> None:
    pg, rec = page
    pg.goto(maps["encrypted"].as_uri())
    _unlock(pg, "verkeerde wachtwoordzin hier")
    pg.wait_for_selector("#kk-error:not([hidden])", timeout=30_000)
    _unlock(pg, passphrase)
    _wait_drawn(pg)
    assert _drawn(pg) == len(candidates)
    assert pg.locator("#kk-list li").count() == 300
    _zoom_to_amsterdam(pg, candidates)
    assert _painted_pixels(pg) > 10_000
    assert pg.evaluate("localStorage.length + sessionStorage.length") == 0
    assert pg.url == maps["encrypted"].as_uri()  # nothing in the URL
    pg.locator("#kk-list li").nth(0).click()
    pg.wait_for_selector(".kk-popup")
    shot = artifacts / "decrypted_map.png"
    pg.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000
    assert rec.errors == []


def test_no_network_request_while_opening_decrypting_and_clicking(
    page: tuple, maps: dict[str, Path], passphrase: str
) -> None:
    pg, rec = page
    url = maps["encrypted"].as_uri()
    pg.goto(url)
    _unlock(pg, "een verkeerde wachtwoordzin")
    pg.wait_for_selector("#kk-error:not([hidden])", timeout=30_000)
    _unlock(pg, passphrase)
    _wait_drawn(pg)
    for k in range(5):
        pg.locator("#kk-list li").nth(k).click()
        pg.wait_for_selector(".kk-popup")
    pg.mouse.click(900, 450)
    pg.uncheck("#kk-filter-excluded")
    pg.select_option("#kk-filter-muni", "Amsterdam")
    pg.click(".leaflet-control-zoom-out")
    pg.click(".leaflet-control-zoom-out")
    pg.click(".leaflet-control-zoom-in")
    if pg.is_visible(".kk-more"):
        pg.click(".kk-more")
    pg.locator(".kk-sources details summary").click()
    pg.emulate_media(media="print")
    pg.wait_for_timeout(500)
    assert rec.requests == [url]
    assert rec.errors == []


def test_watermark_is_printed(page: tuple, maps: dict[str, Path]) -> None:
    pg, _ = page
    pg.goto(maps["plain"].as_uri())
    _wait_drawn(pg)
    pg.emulate_media(media="print")
    assert pg.is_visible("#kk-watermark")
    style = pg.evaluate(
        "[getComputedStyle(document.getElementById('kk-watermark')).position,"
        " getComputedStyle(document.getElementById('kk-watermark')).pointerEvents]"
    )
    assert style == ["fixed", "none"]
    pdf = pg.pdf(format="A4", landscape=True)
    assert len(pdf) > 10_000


def test_the_request_recorder_does_see_requests(page: tuple) -> None:
    """Control: the recorder used above would notice a request if one were made."""
    pg, rec = page
    pg.set_content('<img src="http://127.0.0.1:9/probe.png">')
    pg.wait_for_timeout(300)
    assert rec.requests == ["http://127.0.0.1:9/probe.png"]
