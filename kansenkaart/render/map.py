"""Write a scan's candidates as one self-contained, optionally encrypted map.

The map is a single HTML file: Leaflet (inlined from the installed
folium-offline package), our own panel/popup/legend code, and the data. It
opens from disk and makes no network request, unless an external tile layer
is asked for explicitly.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from kansenkaart.errors import ConfigError
from kansenkaart.render._crypto import check_passphrase, encrypt_page
from kansenkaart.render._page import build_page
from kansenkaart.render._payload import build_payload
from kansenkaart.render.basemap import DEFAULT_BUDGET_MB, embed_basemap
from kansenkaart.results import read_result, result_charts

__all__ = ["TILES_WARNING", "render_map"]

logger = logging.getLogger(__name__)

TILES_WARNING = (
    "an external tile layer is used: every tile the browser fetches from {host} "
    "reveals which area is being viewed. Leave out --tiles for closed sessions."
)


#: Texts of which one is in every page :func:`render_map` writes.
_SIGNATURES = (b"kansenkaart map", b"kansenkaart encrypted map loader")


def is_kansenkaart_html(path: Path) -> bool:
    """Whether ``path`` is a file that :func:`render_map` wrote (a map or loader)."""
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        data = fh.read()
    return any(sig in data for sig in _SIGNATURES)


def _write_whole(out: Path, page: str) -> None:
    """Write ``page`` beside ``out`` and move it into place: never half a file."""
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_output(out: Path, *, overwrite: bool) -> Path:
    out = Path(out)
    if out.suffix.lower() not in {".html", ".htm"}:
        msg = f"{out}: the map is an HTML file; give a name ending in .html."
        raise ConfigError(msg)
    if out.exists() and not overwrite:
        msg = f"{out}: already exists. Choose another name or pass --overwrite."
        raise ConfigError(msg)
    if out.exists() and not is_kansenkaart_html(out):
        msg = (
            f"{out}: will not overwrite: it is not a map written by kansenkaart. "
            "--overwrite only replaces a map this tool wrote; choose another name."
        )
        raise ConfigError(msg)
    if not out.parent.is_dir():
        msg = f"{out.parent}: folder does not exist. Create it first."
        raise ConfigError(msg)
    return out


def _check_tiles(tiles: str | None) -> None:
    if tiles is None:
        return
    if not tiles.startswith(("https://", "http://")) or "{z}" not in tiles:
        msg = (
            f"--tiles {tiles!r}: give an XYZ URL template with {{z}}, {{x}} and "
            "{y}, for example https://example.org/tiles/{z}/{x}/{y}.png."
        )
        raise ConfigError(msg)
    logger.warning(TILES_WARNING.format(host=tiles.split("/")[2]))


def render_map(
    result_dir: Path | str,
    out: Path | str,
    *,
    recipient: str | None = None,
    passphrase: str | None = None,
    tiles: str | None = None,
    title: str | None = None,
    overwrite: bool = False,
    basemap: Path | str | None = None,
    basemap_budget_mb: float = DEFAULT_BUDGET_MB,
) -> Path:
    """Write an interactive map of a scan's candidates to one HTML file.

    Parameters
    ----------
    result_dir : Path or str
        Folder a scan wrote: ``candidates.gpkg`` (EPSG:28992 polygons),
        ``summary.json`` and optionally ``context.gpkg``.
    out : Path or str
        HTML file to write.
    recipient : str, optional
        Circle the map is made for, e.g. ``"Versnellingskamer Katwijk, 3 dec"``;
        drawn as a watermark over map and list, on screen and in print.
    passphrase : str, optional
        Encrypt the map (AES-256-GCM, PBKDF2-SHA256 600,000 iterations). The
        map then opens only after this passphrase is typed. Never logged.
    tiles : str, optional
        XYZ URL template of an external basemap. Off by default: tile
        requests reveal the viewed area, so a warning is logged.
    title : str, optional
        Map title; the scan's title from ``summary.json`` when omitted.
    overwrite : bool, default False
        Replace ``out`` when it exists.
    basemap : Path or str, optional
        Raster tile set (MBTiles, or GeoPackage tiles on the web-mercator
        grid) the analyst has; the tiles around the candidates are embedded
        in the page (encrypted with the rest), so no tile is ever fetched.
        Without it, plan areas, buildings and boundaries give the context.
    basemap_budget_mb : float, default 15
        Most megabytes of basemap tiles to embed; zoom levels are taken from
        coarse to fine while they fit.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ConfigError
        When the passphrase is weak, ``out`` exists (without ``overwrite``),
        ``tiles`` is not an XYZ URL, or ``map_fields`` names a personal field.
    DataSourceError
        When the result folder or one of its files is missing or unreadable.
    SchemaError
        When required columns or summary keys are missing.
    """
    out = _check_output(Path(out), overwrite=overwrite)
    if passphrase is not None:
        check_passphrase(passphrase)
    _check_tiles(tiles)
    result = read_result(Path(result_dir))
    payload = build_payload(result, title=title)
    payload["charts"] = result_charts(result, kind="svg")
    if basemap is not None:
        points = np.asarray(payload["candidates"]["point"], dtype=float)
        payload["basemap"] = embed_basemap(
            basemap, points.reshape(-1, 2) / 1e6, budget_mb=basemap_budget_mb
        )
    page = build_page(payload, recipient=recipient, tiles=tiles)
    if passphrase is not None:
        page = encrypt_page(page, passphrase)
    _write_whole(out, page)
    logger.info(
        "wrote %s map of %d candidates to %s (%.1f MB)",
        "an encrypted" if passphrase is not None else "a",
        len(payload["candidates"]["id"]),
        out,
        out.stat().st_size / 1e6,
    )
    return out
