"""kansenkaart: reproducible scans for flexwonen sites in the Netherlands.

Read registers into canonical layers (:func:`read_buildings`,
:func:`read_parcels`, :func:`read_zoning`), run the local object scan or the
regional site scan (:func:`run_object_scan`, :func:`run_site_scan`, or
:func:`run_scan` with any scan definition) and write the results
(:func:`write_results`).
"""

from __future__ import annotations

import logging

from kansenkaart._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

from kansenkaart.pipeline import (  # noqa: E402
    run_object_scan,
    run_scan,
    run_site_scan,
    scan_to_folder,
)
from kansenkaart.results import ScanResult, read_result, write_results  # noqa: E402
from kansenkaart.rules.definition import load_scan  # noqa: E402
from kansenkaart.sources.layers import ScanInputs  # noqa: E402
from kansenkaart.sources.read import (  # noqa: E402
    read_buildings,
    read_layer,
    read_parcels,
    read_zoning,
)

__all__ = [
    "ScanInputs",
    "ScanResult",
    "__version__",
    "load_scan",
    "read_buildings",
    "read_layer",
    "read_parcels",
    "read_result",
    "read_zoning",
    "run_object_scan",
    "run_scan",
    "run_site_scan",
    "scan_to_folder",
    "write_results",
]
