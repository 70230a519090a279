"""Privacy vocabulary: the owner classes and the test for person-data columns.

This module is the one owner of two contracts that both the readers and the
map depend on:

* :data:`OWNER_CLASSES`, the closed set of ownership classes. An ownership
  table is read into these classes (:data:`OWNER_LABELS` lists the labels
  that are recognised); a map shows nothing else.
* :func:`may_hold_person_data`, the test on a column name that keeps data on
  natural persons out: the ownership reader never reads such a column, a scan
  definition may not whitelist one for the map, and the map refuses one.

No I/O happens here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = [
    "OWNER_CLASSES",
    "OWNER_LABELS",
    "OWNER_UNKNOWN",
    "PERSON_WORDS",
    "map_owner_classes",
    "may_hold_person_data",
    "personal_fields",
]

logger = logging.getLogger(__name__)

#: The closed set of owner classes (never a person's name).
OWNER_CLASSES: tuple[str, ...] = (
    "provincie",
    "gemeente",
    "rijk",
    "waterschap",
    "corporatie",
    "particulier",
    "overig",
)
#: What a map shows where the owner class is not known.
OWNER_UNKNOWN = "onbekend"

#: Clear owner-class labels (lower case) -> owner class.
OWNER_LABELS: dict[str, str] = {
    **{c: c for c in OWNER_CLASSES},
    "province": "provincie",
    "municipality": "gemeente",
    "rijksoverheid": "rijk",
    "staat": "rijk",
    "staat der nederlanden": "rijk",
    "state": "rijk",
    "hoogheemraadschap": "waterschap",
    "wetterskip": "waterschap",
    "water board": "waterschap",
    "woningcorporatie": "corporatie",
    "woningbouwcorporatie": "corporatie",
    "toegelaten instelling": "corporatie",
    "housing association": "corporatie",
    "natuurlijk persoon": "particulier",
    "prive": "particulier",
    "privé": "particulier",
    "private": "particulier",
    "overige": "overig",
    "other": "overig",
}

#: Parts of a column name that suggest it may hold data on natural persons
#: (names, addresses, contact details, birth data, citizen service number).
PERSON_WORDS: tuple[str, ...] = (
    "naam",
    "name",
    "eigenaar",
    "owner",
    "gerechtigde",
    "tenaamstelling",
    "persoon",
    "person",
    "voorletter",
    "initialen",
    "geboorte",
    "birth",
    "bsn",
    "adres",
    "address",
    "email",
    "telefoon",
    "phone",
)
_PERSON = re.compile("|".join(PERSON_WORDS))
#: A column named like a class or a count holds no person data
#: (``owner_class``, ``eigenaar_type``, ``aantal_eigenaren`` is not one).
_CLASS_LIKE = re.compile(
    r"(_class|_klasse|klasse|_type|type|_categorie|categorie|_category|_count|_aantal)$"
)


def _key(column: str) -> str:
    return str(column).strip().lstrip("\ufeff").lower()


def may_hold_person_data(column: str) -> bool:
    """Tell whether a column name suggests data on natural persons.

    Parameters
    ----------
    column : str
        A column name as found in a file or a scan definition.

    Returns
    -------
    bool
        True when the name contains one of :data:`PERSON_WORDS` and is not
        named like a class or a count.

    Examples
    --------
    >>> may_hold_person_data("Naam eigenaar")
    True
    >>> may_hold_person_data("owner_class"), may_hold_person_data("eigenaartype")
    (False, False)
    """
    key = _key(column)
    return bool(_PERSON.search(key)) and not _CLASS_LIKE.search(key)


def personal_fields(fields: Iterable[str]) -> list[str]:
    """The names among ``fields`` that may hold person data, in their order.

    Examples
    --------
    >>> personal_fields(["owner_class", "eigenaar_naam", "area_m2", "adres"])
    ['eigenaar_naam', 'adres']
    """
    return [str(f) for f in fields if may_hold_person_data(str(f))]


def map_owner_classes(values: pd.Series | Sequence[object]) -> pd.Series:
    """Owner classes as a map shows them: a class, ``overig`` or ``onbekend``.

    Parameters
    ----------
    values : pandas.Series or sequence
        An ``owner_class`` column.

    Returns
    -------
    pandas.Series
        Lower-cased classes of :data:`OWNER_CLASSES`; values outside it (which
        could be a name typed into the wrong column) become ``"overig"``,
        missing ones :data:`OWNER_UNKNOWN`.

    Examples
    --------
    >>> map_owner_classes(["Gemeente", None, "J. Jansen"]).tolist()
    ['gemeente', 'onbekend', 'overig']
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values))
    cleaned = series.astype("string").str.strip().str.lower().fillna(OWNER_UNKNOWN)
    outside = ~cleaned.isin((*OWNER_CLASSES, OWNER_UNKNOWN))
    if outside.any():
        logger.warning(
            "owner_class: %d values are not a known ownership class and are "
            "shown as 'overig'",
            int(outside.sum()),
        )
    return cleaned.mask(outside, "overig").astype(object)
