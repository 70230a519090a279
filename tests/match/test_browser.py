"""The chain map and the timeline chart in headless Chromium, no network request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli
from tests.match.conftest import site_rows, unit_rows
from tests.render.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

pytestmark = pytest.mark.browser
PASSPHRASE = "lantaarn paraplu kiezel wortel"


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("chains")
    site_rows(
        {
            "site_id": "Valkenburg",
            "x": 90_000,
            "y": 465_000,
            "available_to": "2028-01-01",
        },
        {
            "site_id": "Katwijk-Noord",
            "x": 92_000,
            "y": 468_000,
            "available_from": "2027-07-01",
        },
    ).to_csv(folder / "sites.csv", index=False)
    unit_rows({"batch_id": "B3", "units": 24, "x": 89_000, "y": 464_000}).to_csv(
        folder / "units.csv", index=False
    )
    (folder / "pass.txt").write_text(PASSPHRASE + "\n", encoding="utf-8")
    for name, extra in (
        ("plain", []),
        ("secret", ["--passphrase-file", str(folder / "pass.txt")]),
    ):
        result = CliRunner().invoke(
            cli,
            [
                "match",
                "--sites",
                str(folder / "sites.csv"),
                "--units",
                str(folder / "units.csv"),
                "--from",
                "2026-01",
                "--to",
                "2031-01",
                "--min-stay",
                "1",
                "--out",
                str(folder / name),
                "--map",
                "--recipient",
                "Regiotafel, 4 dec",
                *extra,
            ],
        )
        assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: apt-get install -y chromium chromium-driver"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _page(browser):
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, requests, errors


def test_chain_map_draws_chains_with_watermark_and_no_request(browser, plan_dir):
    context, page, requests, errors = _page(browser)
    url = (plan_dir / "plain" / "map.html").as_uri()
    page.goto(url)
    page.wait_for_function("window.__kkFirstDraw !== undefined", timeout=30_000)
    moves = pd.read_csv(plan_dir / "plain" / "moves.csv")
    assert page.evaluate("kansenkaart.lines()") == len(moves) >= 1
    assert page.evaluate("kansenkaart.sites()") == 2
    assert "Regiotafel, 4 dec" in page.inner_text("#kk-watermark")
    rows = page.locator("#kk-list li")
    assert rows.count() == len(moves)
    assert rows.nth(0).inner_text() == moves.explanation_nl[0]
    rows.nth(0).click()
    page.wait_for_selector(".kk-popup")
    page.emulate_media(media="print")
    assert page.is_visible("#kk-watermark")
    assert requests == [url]
    assert errors == []
    context.close()


def test_encrypted_chain_map_opens_with_the_passphrase(browser, plan_dir):
    context, page, requests, errors = _page(browser)
    url = (plan_dir / "secret" / "map.html").as_uri()
    page.goto(url)
    assert "Valkenburg" not in page.content()
    page.fill("#kk-pass", PASSPHRASE)
    page.click("#kk-open")
    page.wait_for_function("window.__kkFirstDraw !== undefined", timeout=60_000)
    assert page.evaluate("kansenkaart.lines()") >= 1
    assert requests == [url]
    assert errors == []
    context.close()


def test_timeline_chart_renders(browser, plan_dir):
    context, page, requests, errors = _page(browser)
    for name in ("timeline.svg", "timeline.png"):
        url = (plan_dir / "plain" / name).as_uri()
        requests.clear()
        page.goto(url)
        size = page.evaluate(
            "() => { const e = document.querySelector('svg, img');"
            " return [e.width.baseVal ? e.width.baseVal.value : e.naturalWidth,"
            " e.height.baseVal ? e.height.baseVal.value : e.naturalHeight]; }"
        )
        assert size[0] > 500 and size[1] > 50, (name, size)
        assert requests == [url]
    svg = (plan_dir / "plain" / "timeline.svg").read_text(encoding="utf-8")
    assert "B3" in svg and "Tijdlijn" in svg
    assert errors == []
    context.close()
