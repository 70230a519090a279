"""Maps of scan results: self-contained, offline, optionally encrypted HTML.

Also the factsheets (:mod:`kansenkaart.render.factsheets`, a PDF per top
candidate) and the embedded basemap (:mod:`kansenkaart.render.basemap`).
This is the only package that imports folium (folium-offline) and the only
place where data are reprojected to WGS84 (EPSG:4326).
"""

from __future__ import annotations

from kansenkaart.render._crypto import check_passphrase
from kansenkaart.render.factsheets import write_factsheets
from kansenkaart.render.map import render_map

__all__ = ["check_passphrase", "render_map", "write_factsheets"]
