"""Download an area's inputs from PDOK's OGC API Features services.

:func:`kansenkaart.fetch.run.fetch_area` is what ``kansenkaart fetch`` calls:
it resolves the area (:mod:`.area`), pages through each configured collection
with :class:`.client.FeaturesClient` (a resumable page cache per layer), and
writes one GeoPackage per layer plus ``manifest.json``. The services and
collections are configuration (``services.toml``), loaded by :mod:`.config`.
"""

from __future__ import annotations
