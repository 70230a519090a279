"""Decide which attributes may reach a map (privacy by construction).

Only the fixed candidate columns, the rule columns and the columns the scan
definition whitelists in ``map_fields`` are ever read into a map. A column
whose name suggests a person's name is refused even when whitelisted, and
ownership is shown only as a class from :data:`OWNER_CLASSES`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from kansenkaart.errors import ConfigError, SchemaError
from kansenkaart.layers.schema import OWNER_CLASSES as _CANONICAL_OWNER_CLASSES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OWNER_CLASSES", "check_map_fields", "owner_classes_from"]

logger = logging.getLogger(__name__)

#: Ownership classes a map may show; any other value is shown as "overig".
OWNER_CLASSES = frozenset(_CANONICAL_OWNER_CLASSES) | frozenset(
    {
        "rijk",
        "provincie",
        "gemeente",
        "waterschap",
        "woningcorporatie",
        "particulier",
        "bedrijf",
        "kerkgenootschap",
        "stichting of vereniging",
        "overig",
        "onbekend",
    }
)
_PERSONAL = re.compile(
    r"owner|eigenaar|name|naam|person|persoon|bsn|adres|address|email|telefoon|phone"
)
_CLASS_LIKE = re.compile(r"(_class|_klasse|_type|_categorie|_category|_count|_aantal)$")


def check_map_fields(fields: list[str], columns: pd.Index) -> list[str]:
    """Return the whitelisted extra fields, refusing personal ones.

    Parameters
    ----------
    fields : list of str
        ``map_fields`` of the scan summary.
    columns : pandas.Index
        Columns of the candidates layer.

    Returns
    -------
    list of str
        The fields in their given order, without duplicates.

    Raises
    ------
    ConfigError
        When a field name suggests a person's name or address.
    SchemaError
        When a whitelisted field is not a column of the candidates layer.
    """
    fields = list(dict.fromkeys(str(f) for f in fields))
    personal = [f for f in fields if _looks_personal(f)]
    if personal:
        msg = (
            f"map_fields names {', '.join(personal)}, which may hold a person's "
            "name or address. Maps show ownership only as a class: whitelist "
            "owner_class instead and remove these from map_fields."
        )
        raise ConfigError(msg)
    missing = [f for f in fields if f not in columns]
    if missing:
        msg = (
            f"map_fields names {', '.join(missing)}, which the candidates layer "
            "does not have. Fix map_fields in the scan definition."
        )
        raise SchemaError(msg)
    return fields


def _looks_personal(name: str) -> bool:
    lowered = name.lower()
    return bool(_PERSONAL.search(lowered)) and not _CLASS_LIKE.search(lowered)


def owner_classes_from(values: pd.Series) -> pd.Series:
    """Map owner classes to :data:`OWNER_CLASSES`, anything else to "overig".

    Parameters
    ----------
    values : pandas.Series
        An ``owner_class`` column.

    Returns
    -------
    pandas.Series
        Lower-cased classes; values outside the vocabulary (which could be a
        name typed into the wrong column) become ``"overig"``, missing ones
        ``"onbekend"``.
    """
    cleaned = values.astype("string").str.strip().str.lower().fillna("onbekend")
    outside = ~cleaned.isin(OWNER_CLASSES)
    if outside.any():
        logger.warning(
            "owner_class: %d values are not a known ownership class and are "
            "shown as 'overig'",
            int(outside.sum()),
        )
    return cleaned.mask(outside, "overig")
