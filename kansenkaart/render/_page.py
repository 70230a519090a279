"""Assemble the self-contained map page from folium-offline and our own assets.

folium-offline ships Leaflet's JavaScript and CSS inside the package and
inlines them at render time; we include only Leaflet itself and
Leaflet.markercluster (no jQuery, Bootstrap or icon fonts, whose stylesheets
point at font files). Our own
panel, popup, legend and watermark code lives in ``static/``.
"""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import offlinefolium
from branca.element import Figure, MacroElement
from offlinefolium.template import Template

from kansenkaart.errors import KansenkaartError

__all__ = ["build_page", "check_self_contained", "read_static"]

_LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
_LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
_CLUSTER = "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
# An external reference in markup outside scripts: a src or href attribute that
# is not inline (data:) or a fragment, a CSS url(...) that is not, or @import.
_SCRIPT_BODY = re.compile(r"(<script\b[^>]*>).*?(</script>)", re.IGNORECASE | re.DOTALL)
_EXTERNAL = re.compile(
    r"""\s(?:src|href|srcset|poster|data)\s*=\s*["']?(?!data:|#)"""
    r"""|(?<![\w.])url\(\s*["']?(?!data:|#)|@import""",
    re.IGNORECASE,
)


class _LeafletOnlyMap(offlinefolium.Map):
    """A folium-offline map that inlines Leaflet and markercluster, nothing else."""

    default_js = [  # noqa: RUF012 - folium API
        ("leaflet", _LEAFLET_JS),
        ("markerclusterjs", _CLUSTER + "leaflet.markercluster.js"),
    ]
    default_css = [  # noqa: RUF012 - folium API
        ("leaflet_css", _LEAFLET_CSS),
        ("markerclustercss", _CLUSTER + "MarkerCluster.css"),
        ("markerclusterdefaultcss", _CLUSTER + "MarkerCluster.Default.css"),
    ]


class _MapUI(MacroElement):
    """Our panel, data and script, attached to a folium map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        <script>{{ this.js }}</script>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <aside id="kk-panel" aria-label="Ranglijst en filters"></aside>
        <div id="kk-watermark" aria-hidden="true"></div>
        <script type="application/json" id="kk-data">{{ this.data }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        window.kansenkaartInit({{ this._parent.get_name() }},
            JSON.parse(document.getElementById("kk-data").textContent));
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "KansenkaartUI"
        self._id = "ui"
        self.css = read_static("map.css")
        self.js = read_static("live.js") + "\n" + read_static("map.js")
        self.data = _json_for_script(payload)


def read_static(name: str) -> str:
    """Return one of our own files in ``kansenkaart/render/static``."""
    return files("kansenkaart.render").joinpath("static", name).read_text("utf-8")


def _json_for_script(payload: dict[str, Any]) -> str:
    """Serialise for an inline <script> block (no ``</script>`` can appear)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def build_page(
    payload: dict[str, Any], *, recipient: str | None, tiles: str | None
) -> str:
    """Return the complete map page as one HTML string.

    Parameters
    ----------
    payload : dict
        Output of :func:`kansenkaart.render._payload.build_payload`.
    recipient : str or None
        Circle the map is made for; drawn as a watermark when given.
    tiles : str or None
        XYZ tile URL of an external basemap; None draws no basemap.

    Returns
    -------
    str
        HTML with every script, stylesheet and datum inline.
    """
    payload = {**payload, "meta": {**payload["meta"], "recipient": recipient}}
    figure = Figure(title=html.escape(payload["meta"]["title"]))
    fmap = _LeafletOnlyMap(
        location=[52.1, 5.3],
        zoom_start=8,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
    )
    fmap._id = "kansenkaart"  # fixed element names: the same input, the same page
    figure.add_child(fmap)
    if tiles:
        tile_layer = offlinefolium.TileLayer(
            tiles=tiles,
            attr=html.escape(f"Achtergrond: {urlsplit(tiles).netloc or tiles}"),
            name="Achtergrondkaart (extern)",
            max_zoom=20,
        )
        tile_layer._id = "basemap"
        tile_layer.add_to(fmap)
    _MapUI(payload).add_to(fmap)
    page = figure.render()
    check_self_contained(page)
    return page.replace("<html>", '<html lang="nl">', 1)


def check_self_contained(page: str) -> None:
    """Raise when the page references a script, style or image outside itself.

    Parameters
    ----------
    page : str
        Rendered HTML.

    Raises
    ------
    KansenkaartError
        When markup or CSS points at an external resource; a map for a closed
        session must open without any network request.
    """
    markup = _SCRIPT_BODY.sub(r"\1\2", page)
    match = _EXTERNAL.search(markup)
    if match:
        start = max(match.start() - 60, 0)
        msg = (
            "the rendered map references an external resource near "
            f"{markup[start : match.end() + 60]!r}; this is a bug in "
            "kansenkaart.render, please report it."
        )
        raise KansenkaartError(msg)
