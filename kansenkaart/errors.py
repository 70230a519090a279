"""Exceptions and warnings raised by kansenkaart.

Every error derives from :class:`KansenkaartError` and also from the matching
built-in exception, so generic handlers (``except ValueError``) keep working.
The CLI catches :class:`KansenkaartError`, prints its message and exits 1.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "ConfigError",
    "DataSourceError",
    "EmptySelectionWarning",
    "GeometryError",
    "GeometryRepairedWarning",
    "KansenkaartError",
    "KansenkaartWarning",
    "RuleError",
    "SchemaError",
]


class KansenkaartError(Exception):
    """Base class of every error raised on purpose by kansenkaart."""


class ConfigError(KansenkaartError, ValueError):
    """A parameter, option or output path is not usable."""


class DataSourceError(KansenkaartError, OSError):
    """A file, layer or format cannot be found or read."""


class SchemaError(KansenkaartError, ValueError):
    """Required columns are missing or hold values of the wrong kind."""


class CRSError(KansenkaartError, ValueError):
    """A layer has no coordinate reference system, or layers disagree."""


class GeometryError(KansenkaartError, ValueError):
    """Invalid or empty geometries were found under ``on_invalid="raise"``."""


class RuleError(KansenkaartError, ValueError):
    """A scan definition names an unknown predicate, layer, key or unit."""


class KansenkaartWarning(UserWarning):
    """Base class of the warnings emitted by kansenkaart."""


class GeometryRepairedWarning(KansenkaartWarning):
    """Invalid geometries were repaired (``on_invalid="fix"``) or dropped."""


class EmptySelectionWarning(KansenkaartWarning):
    """A layer or a selection holds no features."""


class PlanCurrencyWarning(KansenkaartWarning):
    """A zoning plan predates the Omgevingswet (1 January 2024): it is part of
    the *tijdelijk deel omgevingsplan* and later changes may only be in the
    municipality's omgevingsplan."""
