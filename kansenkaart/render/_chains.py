"""A self-contained page that draws a match's site chains on an offline map.

Built from the same parts as the scan map (:mod:`kansenkaart.render._page`):
Leaflet inlined from folium-offline, the scan map's stylesheet (panel and
watermark), no basemap, the page checked for external references, and,
with a passphrase, the same AES-256-GCM loader. Coordinates arrive in RD New
and are reprojected to WGS84 here, the only place for it.
"""

from __future__ import annotations

import html
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from branca.element import Figure, MacroElement
from offlinefolium.template import Template

from kansenkaart.crs import WGS84
from kansenkaart.render._crypto import check_passphrase, encrypt_page
from kansenkaart.render._page import (
    _json_for_script,
    _LeafletOnlyMap,
    check_self_contained,
    read_static,
)

__all__ = ["chains_payload", "render_chains_page"]


class _ChainsUI(MacroElement):
    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        <script>{{ this.js }}</script>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <aside id="kk-panel" aria-label="Verplaatsingen"></aside>
        <div id="kk-watermark" aria-hidden="true"></div>
        <script type="application/json" id="kk-data">{{ this.data }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        window.kansenkaartChains({{ this._parent.get_name() }},
            JSON.parse(document.getElementById("kk-data").textContent));
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "KansenkaartChains"
        self._id = "chains"
        self.css = read_static("map.css")
        self.js = read_static("chains.js")
        self.data = _json_for_script(payload)


def _latlon(geoms: gpd.GeoSeries) -> list[list[list[float]]]:
    """Each geometry's vertices as [lat, lon] in WGS84, rounded to 1e-6 degree."""
    values = geoms.to_crs(WGS84).values
    coords = np.round(shapely.get_coordinates(values), 6)
    ends = np.cumsum(shapely.get_num_coordinates(values))
    return [part[:, ::-1].tolist() for part in np.split(coords, ends[:-1])]


def chains_payload(
    chains: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    title: str,
    subtitle: str,
    attribution: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """Return the page data: moves (lines, texts) and sites (points, texts).

    Parameters
    ----------
    chains : geopandas.GeoDataFrame
        Lines in EPSG:28992 with ``batch_id``, ``kind``, ``explanation_nl``.
    sites : geopandas.GeoDataFrame
        Points in EPSG:28992 with ``site_id``, ``capacity``, ``unit_years``,
        ``batches``, ``available_from``, ``available_to``.
    title, subtitle : str
        Shown at the top of the panel.
    attribution : list of str, optional
        Source credits (of the locatiescan the sites come from), shown as
        "Bronnen: ..." under the title.

    Returns
    -------
    dict
    """
    lines = _latlon(chains.geometry) if len(chains) else []
    points = _latlon(sites.geometry) if len(sites) else []
    return {
        "meta": {
            "title": title,
            "subtitle": subtitle,
            "attribution": [str(a) for a in attribution],
        },
        "moves": [
            {"batch": str(b), "kind": str(k), "text": str(t), "coords": c}
            for b, k, t, c in zip(
                chains.batch_id, chains.kind, chains.explanation_nl, lines, strict=True
            )
        ],
        "sites": [
            {
                "id": str(s.site_id),
                "coord": p[0],
                "used": bool(s.unit_years > 0),
                "text": (
                    f"capaciteit {s.capacity} woningen, termijn {s.available_from} tot "
                    f"{s.available_to}; {s.unit_years:g} woningjaren in het plan"
                    + (f" ({s.batches})" if s.batches else "")
                ),
            }
            for s, p in zip(sites.itertuples(), points, strict=True)
        ],
    }


def render_chains_page(
    payload: dict[str, Any],
    *,
    recipient: str | None = None,
    passphrase: str | None = None,
) -> str:
    """Return the chain map as one HTML string (encrypted with a passphrase).

    Parameters
    ----------
    payload : dict
        From :func:`chains_payload`.
    recipient : str, optional
        Watermark over map and list, on screen and on paper.
    passphrase : str, optional
        Encrypt the page (same loader and KDF as the scan map).

    Returns
    -------
    str

    Raises
    ------
    ConfigError
        When the passphrase is weak.
    """
    if passphrase is not None:
        check_passphrase(passphrase)
    payload = {**payload, "meta": {**payload["meta"], "recipient": recipient}}
    figure = Figure(title=html.escape(payload["meta"]["title"]))
    fmap = _LeafletOnlyMap(
        location=[52.1, 5.3],
        zoom_start=9,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    fmap._id = "kansenkaart"
    figure.add_child(fmap)
    _ChainsUI(payload).add_to(fmap)
    page = figure.render().replace("<html>", '<html lang="nl">', 1)
    check_self_contained(page)
    if passphrase is not None:
        page = encrypt_page(page, passphrase)
    return page
