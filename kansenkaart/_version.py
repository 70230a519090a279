"""The installed version of kansenkaart (the lowest layer; imports nothing of ours)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("kansenkaart")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
