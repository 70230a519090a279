"""kansenkaart: reproducible scans for flexwonen sites in the Netherlands."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kansenkaart")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
