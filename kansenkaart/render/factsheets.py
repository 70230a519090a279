"""Factsheets: one A4 page per top candidate, as a PDF for the session table.

Each page holds a map snippet (the candidate with the buildings, plan areas
and boundary around it, drawn from the result folder, no tiles fetched), the
score with its rank interval, each rule's result with its source, the plan
areas that apply, the owner class, and what could not be decided. The same
privacy whitelist and watermark as the map apply. The PDF is printed by a
headless Chromium through Playwright (the extra ``session``).
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.model.privacy import map_owner_classes
from kansenkaart.render._page import read_static
from kansenkaart.render._privacy import check_map_fields
from kansenkaart.results import ScanResult, order_candidates, read_result

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["SYSTEM_CHROMIUM", "write_factsheets"]

logger = logging.getLogger(__name__)

#: The browser used when ``KANSENKAART_CHROMIUM`` is not set (Debian's package).
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
_SNIPPET_M = 150.0  # metres of context around the candidate
_SVG_PX = 420
_INSTALL_HINT = (
    "Factsheets are printed by a headless Chromium through Playwright. Install "
    'them with: pip install "kansenkaart[session]" and apt-get install chromium '
    "(or: playwright install chromium)."
)
_STYLE = {
    "zoning": 'fill="#e8e4d8" stroke="#b8b0a0" stroke-width="0.6"',
    "water": 'fill="#a6cee3" stroke="none"',
    "verkeer": 'fill="#dcdcdc" stroke="none"',
    "buildings": 'fill="#d9d9d9" stroke="#999" stroke-width="0.5"',
    "boundary": 'fill="none" stroke="#444" stroke-width="1.5" stroke-dasharray="6 4"',
    "candidate": 'fill="#2c7fb8" fill-opacity="0.85" stroke="#111" stroke-width="2"',
}


def _check_out(out: Path, *, overwrite: bool) -> Path:
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise ConfigError(f"{out}: factsheets are a PDF; give a name ending in .pdf.")
    if out.exists() and not overwrite:
        raise ConfigError(
            f"{out}: already exists. Choose another name or pass --overwrite."
        )
    if not out.parent.is_dir():
        raise ConfigError(f"{out.parent}: folder does not exist. Create it first.")
    return out


def _path_data(geoms: np.ndarray, to_px: Any) -> str:
    """SVG path data of the rings of the polygons in ``geoms``."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    rings = shapely.get_rings(parts[shapely.get_type_id(parts) == 3])
    coords, index = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return ""
    xy = to_px(coords)
    starts = np.flatnonzero(np.diff(index, prepend=-1))
    out = []
    for start, stop in zip(starts, [*starts[1:], len(index)], strict=True):
        ring = " L".join(f"{x:.1f},{y:.1f}" for x, y in xy[start:stop])
        out.append(f"M{ring} Z")
    return " ".join(out)


def _layer(frame: gpd.GeoDataFrame | None, box: shapely.Geometry) -> np.ndarray:
    if frame is None or not len(frame):
        return np.array([], dtype=object)
    hits = frame.geometry.values[frame.sindex.query(box)]
    return shapely.intersection(np.asarray(hits), box)


def _snippet(geom: shapely.Geometry, context: dict[str, gpd.GeoDataFrame]) -> str:
    """An SVG map of the candidate and its surroundings (RD New, north up)."""
    xmin, ymin, xmax, ymax = geom.bounds
    half = max(xmax - xmin, ymax - ymin) / 2 + _SNIPPET_M
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    box = shapely.box(cx - half, cy - half, cx + half, cy + half)
    scale = _SVG_PX / (2 * half)

    def to_px(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [(xy[:, 0] - (cx - half)) * scale, ((cy + half) - xy[:, 1]) * scale]
        )

    paths = []
    zoning = context.get("zoning")
    if zoning is not None and len(zoning):
        group = zoning["main_group"].astype("string").str.lower().fillna("")
        for name in ("zoning", "water", "verkeer"):
            part = zoning[group == name] if name != "zoning" else zoning
            data = _path_data(_layer(part, box), to_px)
            paths.append(f'<path {_STYLE[name]} fill-rule="evenodd" d="{data}"/>')
    for name in ("buildings", "boundary"):
        data = _path_data(_layer(context.get(name), box), to_px)
        paths.append(f'<path {_STYLE[name]} fill-rule="evenodd" d="{data}"/>')
    data = _path_data(np.array([geom], dtype=object), to_px)
    paths.append(f'<path {_STYLE["candidate"]} fill-rule="evenodd" d="{data}"/>')
    bar = 100 * scale
    return (
        f'<svg class="snippet" viewBox="0 0 {_SVG_PX} {_SVG_PX}" '
        f'xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" '
        f'fill="#f7f5ef"/>{"".join(paths)}'
        f'<rect x="10" y="{_SVG_PX - 22}" width="{bar:.1f}" height="5" fill="#222"/>'
        f'<text x="10" y="{_SVG_PX - 28}" font-size="11">100 m</text></svg>'
    )


def _e(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if isinstance(value, float) and not value.is_integer():
        value = f"{value:.2f}"
    elif isinstance(value, float):
        value = int(value)
    return html.escape(str(value))


def _overlays(geom: shapely.Geometry, context: dict[str, gpd.GeoDataFrame]) -> str:
    zoning = context.get("zoning")
    if zoning is None or not len(zoning):
        return "geen bestemmingsplannen in het resultaat"
    hits = zoning.iloc[zoning.sindex.query(geom, predicate="intersects")]
    if not len(hits):
        return "geen bestemmingsvlak"
    groups = hits["main_group"].astype("string").fillna("onbekend")
    return ", ".join(_e(g) for g in dict.fromkeys(groups))


class _Sheets:
    """Builds the HTML of every page from one result."""

    def __init__(self, result: ScanResult, recipient: str | None) -> None:
        self.result = result
        self.summary = result.summary
        self.rules = {str(r["id"]): r for r in result.summary["rules"]}
        fields = check_map_fields(
            self.summary.get("map_fields", []), result.candidates.columns
        )
        self.fields = fields
        self.recipient = recipient

    def rules_table(self, row: pd.Series) -> str:
        body = []
        for rid, rule in self.rules.items():
            text = row.get(rid)
            if str(text).startswith(
                ("overgeslagen", "niet beoordeeld: laag ontbreekt")
            ):
                continue  # listed under "Wat onbekend is"; keeps the page to A4
            body.append(
                f'<tr class="k-{_e(rule.get("kind"))}"><td><b>{_e(rid)}</b><br>'
                f"<small>{_e(rule.get('title'))}</small></td><td>{_e(text)}</td>"
                f"<td><small>{_e(rule.get('source'))}</small></td></tr>"
            )
        head = "<tr><th>Regel</th><th>Resultaat</th><th>Bron</th></tr>"
        return f'<table class="rules">{head}{"".join(body)}</table>'

    def unknowns(self, row: pd.Series) -> str:
        groups: dict[str, list[str]] = {}
        for rid in self.rules:
            text = str(row.get(rid, ""))
            if text.startswith(("niet beoordeeld", "onbekend", "overgeslagen")):
                groups.setdefault(text, []).append(rid)
        if not groups:
            return "<p>Alle regels zijn beoordeeld.</p>"
        nowrap = '<span style="white-space:nowrap">{}</span>'  # ids never break
        items = "".join(
            f"<li>{_e(text)}: {', '.join(nowrap.format(_e(i)) for i in ids)}</li>"
            for text, ids in groups.items()
        )
        return f"<ul>{items}</ul>"

    def facts(self, row: pd.Series) -> str:
        owner = (
            _e(map_owner_classes(pd.Series([row.get("owner_class")])).iloc[0])
            if "owner_class" in self.fields
            else "niet vrijgegeven voor de kaart"
        )
        items = [("Eigenaar (klasse)", owner)]
        items += [(f, _e(row.get(f))) for f in self.fields if f != "owner_class"]
        return "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in items)

    def interval(self, row: pd.Series) -> str:
        if "rank_p5" not in row or pd.isna(row.get("rank_p5")):
            return "geen gevoeligheidsanalyse in dit resultaat"
        return (
            f"rang {int(row['rank_p5'])}–{int(row['rank_p95'])} (p5–p95) bij "
            "wisselende gewichten"
        )

    def page(self, cid: str, row: pd.Series) -> str:
        geom = row.geometry
        score = f"{float(row['score']):.1f}".replace(".", ",")
        return (
            '<section class="sheet">'
            f"<h1>#{int(row['rank'])} · {_e(cid)}</h1>"
            f'<p class="sub">{_e(row.get("municipality_name"))} · '
            f"{_e(self.summary['scan'].get('title'))}</p>"
            f'<div class="top">{_snippet(geom, self.result.context)}'
            f'<div class="facts"><p class="score">Score {score} van 100</p>'
            f"<p>{_e(self.interval(row))}</p>"
            f'<p class="reason">{_e(row.get("reason_nl"))}</p>'
            f"<dl>{self.facts(row)}</dl>"
            f"<p><b>Bestemming:</b> {_overlays(geom, self.result.context)}</p>"
            "</div></div>"
            f"<h2>Wat onbekend is</h2>{self.unknowns(row)}{self.rules_table(row)}"
            f'<p class="foot">{_e(self.footer())}</p></section>'
        )

    def footer(self) -> str:
        scan = self.summary["scan"]
        sources = " · ".join(map(str, self.summary.get("attribution", [])))
        return (
            f"{scan.get('name')} regelset {scan.get('version')} · gemaakt "
            f"{str(self.summary.get('created', ''))[:16].replace('T', ' ')}"
            + (f" · Bronnen: {sources}" if sources else "")
        )

    def document(self, top: gpd.GeoDataFrame) -> str:
        pages = "".join(self.page(str(cid), row) for cid, row in top.iterrows())
        mark = ""
        if self.recipient:
            tile = _watermark_png(f"Vertrouwelijk — alleen voor {self.recipient}")
            mark = (
                '<div class="mark" style="background-image: url(data:image/png;'
                f'base64,{tile})"></div>'
            )
        css = read_static("factsheet.css")
        return (
            '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
            f"<title>Factsheets</title><style>{css}</style></head><body>"
            f"{mark}{pages}</body></html>"
        )


def _watermark_png(text: str) -> str:
    """The watermark as a transparent PNG tile (base64), drawn diagonally.

    An image rather than text: it cannot be selected away, and it does not
    mix into the text a reader or screen reader extracts from the PDF.
    """
    import base64  # noqa: PLC0415
    import io  # noqa: PLC0415

    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(figsize=(6.0, 3.2), dpi=100)
    fig.text(
        0.5,
        0.5,
        text,
        rotation=28,
        ha="center",
        va="center",
        fontsize=15,
        fontweight="bold",
        color=(0.63, 0.08, 0.08, 0.16),
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", transparent=True, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _top(result: ScanResult, top: int) -> gpd.GeoDataFrame:
    cand = result.candidates
    scored = cand[cand["outcome"] == "scored"]
    if not len(scored):
        msg = "the result has no scored candidates, so there is nothing to print."
        raise ConfigError(msg)
    return order_candidates(scored).head(top)


def _print_pdf(document: str, out: Path) -> None:
    try:
        from playwright.sync_api import Error, sync_playwright  # noqa: PLC0415
    except ImportError as err:
        raise ConfigError(_INSTALL_HINT) from err
    browser_path = os.environ.get("KANSENKAART_CHROMIUM") or (
        str(SYSTEM_CHROMIUM) if SYSTEM_CHROMIUM.exists() else None
    )
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=browser_path,
                args=["--headless=new", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page()
            page.set_content(document, wait_until="load")
            page.pdf(path=str(out), format="A4", print_background=True)
            browser.close()
    except Error as err:
        raise ConfigError(f"{_INSTALL_HINT} ({str(err).splitlines()[0]})") from err


def write_factsheets(
    result_dir: Path | str,
    out: Path | str,
    *,
    top: int = 20,
    recipient: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Print one A4 factsheet per top candidate of a scan result to a PDF.

    Parameters
    ----------
    result_dir : Path or str
        Folder a scan wrote.
    out : Path or str
        PDF file to write (written completely or not at all).
    top : int, default 20
        Number of best ranked candidates, one page each.
    recipient : str, optional
        Circle the sheets are made for; printed as a watermark on every page.
    overwrite : bool, default False
        Replace ``out`` when it exists.

    Returns
    -------
    Path
        The written PDF.

    Raises
    ------
    ConfigError
        When ``out`` is not a new PDF path, ``top`` is not positive, nothing is
        scored, or Playwright/Chromium is missing (with the install hint).
    DataSourceError, SchemaError
        When the result folder is incomplete.
    """
    out = _check_out(Path(out), overwrite=overwrite)
    if top < 1:
        raise ConfigError(f"--top {top}: give a number of candidates of at least 1.")
    result = read_result(Path(result_dir))
    sheets = _Sheets(result, recipient)
    chosen = _top(result, top)
    document = sheets.document(chosen)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".factsheets-") as tmp:
        part = Path(tmp) / out.name
        _print_pdf(document, part)
        if not part.is_file():
            raise DataSourceError(f"{out}: the browser wrote no PDF.")
        shutil.move(part, out)
    logger.info("wrote %d factsheets to %s", len(chosen), out)
    return out
