"""Benchmark: a map of N candidates, plain and encrypted, with a basemap.

Prints the file sizes, the Python render time, the time from opening the
file (and, encrypted, from pressing "Kaart openen") to the first drawn
features in headless system Chromium (/usr/bin/chromium), and the time a
slider move takes to recompute scores, outcomes and ranks of every candidate
and redraw (live weights). With ``--basemap`` (the default) a raster MBTiles
basemap is drawn from the footprints and embedded within a budget. Run from
the repo root:

    python benchmarks/map_render.py [--n 20000] [--no-basemap] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kansenkaart.render import render_map  # noqa: E402
from tests.render._tiles import write_mbtiles  # noqa: E402
from tests.render.conftest import (  # noqa: E402
    FOOTPRINTS,
    PASSPHRASE,
    candidates_from_footprints,
    summary_for,
    write_context,
)
from tests.render.test_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402


def synthetic_footprints(n: int) -> gpd.GeoDataFrame:
    """Tile the 464 real footprints over a grid of 1.5 km cells until n."""
    base = gpd.read_file(FOOTPRINTS)
    copies = -(-n // len(base))
    side = int(np.ceil(np.sqrt(copies)))
    frames = []
    for k in range(copies):
        dx, dy = (k % side) * 1500.0, (k // side) * 1500.0
        part = base.copy()
        part["geometry"] = shapely.transform(
            base.geometry.values, lambda c, d=(dx, dy): c + d
        )
        part["identificatie"] = part["identificatie"].astype(str) + f"{k:03d}"
        frames.append(part)
    out = pd.concat(frames, ignore_index=True).iloc[:n]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=base.crs)


def with_rule_values(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Raw rule values (``val_<RULE>``) that agree with the made-up outcomes."""
    rng = np.random.default_rng(7)
    n = len(candidates)
    unknown = candidates["outcome"].eq("unknown").to_numpy()
    out = candidates.copy()
    out["val_OBJ-STATUS"] = candidates["excluded_by"].eq("OBJ-STATUS").astype(float)
    out["val_OBJ-MONUMENT"] = candidates["excluded_by"].eq("OBJ-MONUMENT").astype(float)
    out["val_OBJ-OPP"] = np.round(rng.random(n), 3)
    out["val_OBJ-BOUWJAAR"] = np.where(unknown, np.nan, rng.integers(0, 2, n))
    out["val_OBJ-EIGENAAR"] = rng.integers(0, 2, n).astype(float)
    return out


def write_big_result(folder: Path, n: int) -> tuple[Path, gpd.GeoDataFrame]:
    folder.mkdir(parents=True, exist_ok=True)
    footprints = synthetic_footprints(n)
    candidates = with_rule_values(candidates_from_footprints(footprints))
    candidates.to_file(folder / "candidates.gpkg", layer="candidates")
    import json  # noqa: PLC0415

    summary = summary_for(candidates)
    for rule in summary["rules"]:
        rule["status"] = "evaluated"
    summary["skipped_rules"] = []
    (folder / "summary.json").write_text(json.dumps(summary), "utf-8")
    write_context(folder / "context.gpkg", gpd.read_file(FOOTPRINTS))
    return folder, footprints


def write_basemap(folder: Path, footprints: gpd.GeoDataFrame) -> Path:
    """An MBTiles basemap (zoom 10-15) drawn from the footprints."""
    pts = footprints.geometry.representative_point().to_crs(4326)
    lonlat = np.column_stack([pts.x, pts.y])
    path = folder / "basemap.mbtiles"
    path.unlink(missing_ok=True)
    return write_mbtiles(path, footprints, None, lonlat, range(10, 16))


RERANK_JS = """async () => {
  const median = a => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const compute = [], total = [];
  for (const w of [0.9, 0.2, 0.75, 0.4, 1.2, 0.6, 0.3]) {
    const t0 = performance.now();
    compute.push(kansenkaart.setWeight('OBJ-OPP', w));
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    total.push(performance.now() - t0);
  }
  return [median(compute), median(total)];
}"""


def time_in_browser(plain: Path, encrypted: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    figures = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        start = time.perf_counter()
        page.goto(plain.as_uri())
        page.wait_for_function("window.__kkFirstDraw !== undefined", timeout=120_000)
        figures["plain_wall_s"] = time.perf_counter() - start
        figures["plain_first_draw_ms"] = page.evaluate("window.__kkFirstDraw")
        figures["drawn"] = page.evaluate("kansenkaart.countDrawn()")
        figures["mode"] = page.evaluate("kansenkaart.mode()")
        start = time.perf_counter()
        first_id = page.get_attribute("#kk-list li", "data-id")
        page.evaluate("id => { window.kansenkaart.focus(id); }", first_id)
        page.wait_for_function("kansenkaart.mode() === 'polygons'", timeout=120_000)
        figures["first_zoom_in_to_polygons_s"] = time.perf_counter() - start
        page.close()
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(encrypted.as_uri())
        page.fill("#kk-pass", PASSPHRASE)
        start = time.perf_counter()
        page.click("#kk-open")
        page.wait_for_function("window.__kkFirstDraw !== undefined", timeout=120_000)
        figures["encrypted_wall_s"] = time.perf_counter() - start
        figures["encrypted_decrypt_to_first_draw_ms"] = page.evaluate(
            "window.__kkFirstDraw - window.__kkDecryptStart"
        )
        page.wait_for_function("window.__kkAllDrawn !== undefined", timeout=120_000)
        figures["encrypted_decrypt_to_all_clustered_ms"] = page.evaluate(
            "window.__kkAllDrawn - window.__kkDecryptStart"
        )
        page.evaluate("() => { map_kansenkaart.setZoom(12, {animate: false}); }")
        page.wait_for_function("kansenkaart.mode() === 'points'")
        figures["clusters_at_zoom_12"] = page.evaluate("kansenkaart.clusters()")
        figures["basemap_tiles_drawn"] = page.evaluate("kansenkaart.basemapTiles()")
        compute, redraw = page.evaluate(RERANK_JS)
        figures["slider_rerank_median_ms"] = compute
        figures["slider_rerank_and_redraw_median_ms"] = redraw
        page.wait_for_function("window.__kkAllDrawn !== undefined", timeout=120_000)
        browser.close()
    return figures


def main() -> None:
    import logging  # noqa: PLC0415

    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("kansenkaart.render.basemap").setLevel(logging.INFO)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, help="keep the maps in this folder")
    parser.add_argument("--no-basemap", action="store_true", help="map without tiles")
    parser.add_argument("--budget-mb", type=float, default=8.0, help="basemap budget")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        result, footprints = write_big_result(folder / "result", args.n)
        options = {}
        if not args.no_basemap:
            options = {
                "basemap": write_basemap(folder, footprints),
                "basemap_budget_mb": args.budget_mb,
            }
        start = time.perf_counter()
        plain = render_map(
            result,
            folder / "plain.html",
            recipient="Benchmark",
            overwrite=True,
            **options,
        )
        render_plain = time.perf_counter() - start
        start = time.perf_counter()
        encrypted = render_map(
            result,
            folder / "encrypted.html",
            recipient="Benchmark",
            passphrase=PASSPHRASE,
            overwrite=True,
            **options,
        )
        render_enc = time.perf_counter() - start
        print(f"candidates:                  {args.n}")
        print(f"plain file:                  {plain.stat().st_size / 1e6:.1f} MB")
        print(f"encrypted file:              {encrypted.stat().st_size / 1e6:.1f} MB")
        print(f"render (python), plain:      {render_plain:.1f} s")
        print(f"render (python), encrypted:  {render_enc:.1f} s")
        for key, value in time_in_browser(plain, encrypted).items():
            text = (
                f"{value:.0f}"
                if isinstance(value, float) and key.endswith("ms")
                else (f"{value:.2f}" if isinstance(value, float) else str(value))
            )
            print(f"{key + ':':<29}{text}")


if __name__ == "__main__":
    main()
