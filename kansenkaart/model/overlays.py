"""The plan's overlays: canonical classes and Maatvoering values.

A bestemmingsplan restricts or refines its Enkelbestemmingen with overlays:
Dubbelbestemmingen (*Waarde - Archeologie*, *Leiding - Gas*, *Waterstaat -
Waterkering*), Functieaanduidingen (*bedrijventerrein*, *specifieke vorm van
...*), Bouwaanduidingen, Gebiedsaanduidingen (*veiligheidszone*,
*geluidzone*, ...) and Maatvoeringen (maximum bouwhoogte, goothoogte,
bebouwingspercentage).

:func:`classify_overlays` puts every overlay object in one class of the
closed set :data:`OVERLAY_CLASSES`, with a kind for pipelines and water
works. It reads the **name first** and the IMRO hoofdgroep only when the name
says nothing, because real plans mislabel the hoofdgroep (one IMRO2008 plan
files *Archeologisch waardevol gebied* under *leiding*). Where name and
hoofdgroep disagree the object is counted in ``attrs["overlay_conflicts"]``.

:func:`maatvoering_values` turns the (waarde, waardeType) pairs of a
Maatvoering into numbers: ``max_height_m``, ``max_gutter_height_m``,
``max_coverage_share`` (bebouwingspercentage / 100) and ``max_storeys``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BROAD_GROUPS",
    "ENKEL_GROUPS",
    "LEIDING_KINDS",
    "MAATVOERING_COLUMNS",
    "OVERLAY_CLASSES",
    "OVERLAY_TYPES",
    "WATERSTAAT_KINDS",
    "classify_overlay",
    "classify_overlays",
    "maatvoering_values",
    "with_overlay_columns",
]

#: IMRO object types that are overlays on the Enkelbestemmingen.
OVERLAY_TYPES: tuple[str, ...] = (
    "Dubbelbestemming",
    "Functieaanduiding",
    "Bouwaanduiding",
    "Gebiedsaanduiding",
    "Maatvoering",
)

#: The closed set of canonical overlay classes.
OVERLAY_CLASSES: tuple[str, ...] = (
    "archeologie",
    "cultuurhistorie",
    "leiding",
    "waterstaat",
    "veiligheidszone",
    "geluidzone",
    "milieuzone",
    "natuur",
    "bedrijventerrein",
    "functie",
    "specifieke vorm",
    "bouwregel",
    "maatvoering",
    "overig",
)

#: Kinds of the class ``leiding``.
LEIDING_KINDS: tuple[str, ...] = ("gas", "water", "riool", "hoogspanning", "overig")
#: Kinds of the class ``waterstaat``.
WATERSTAAT_KINDS: tuple[str, ...] = ("waterkering", "waterberging", "overig")

#: Enkelbestemming hoofdgroepen broad enough that a Functieaanduiding on the
#: spot says which of their uses applies (used when uses are derived).
BROAD_GROUPS: tuple[str, ...] = (
    "gemengd",
    "centrum",
    "woongebied",
    "bedrijf",
    "maatschappelijk",
)

#: IMRO2012 Bestemmingshoofdgroepen of Enkelbestemmingen (SVBP2012).
ENKEL_GROUPS: tuple[str, ...] = (
    "agrarisch",
    "agrarisch met waarden",
    "bedrijf",
    "bedrijventerrein",
    "bos",
    "centrum",
    "cultuur en ontspanning",
    "detailhandel",
    "dienstverlening",
    "gemengd",
    "groen",
    "horeca",
    "kantoor",
    "maatschappelijk",
    "natuur",
    "overig",
    "recreatie",
    "sport",
    "tuin",
    "verkeer",
    "water",
    "wonen",
    "woongebied",
)

#: Maatvoering value columns of the canonical zoning layer.
MAATVOERING_COLUMNS: tuple[str, ...] = (
    "max_height_m",
    "max_gutter_height_m",
    "max_coverage_share",
    "max_storeys",
)

# Name patterns, first match wins. Each: (regex, class, kind or None).
_NAME_RULES: tuple[tuple[re.Pattern[str], str, str | None], ...] = tuple(
    (re.compile(p), c, k)
    for p, c, k in (
        (r"archeolog", "archeologie", None),
        (r"monument|cultuurhist|dorpsgezicht|stadsgezicht", "cultuurhistorie", None),
        (
            r"molenbiotoop|waterlinie|beeldbepalend|karakteristiek",
            "cultuurhistorie",
            None,
        ),
        (r"hoogspanning|bovengrondse?\s+elektr|\bkv\b", "leiding", "hoogspanning"),
        (r"leiding\s*-\s*gas|\bgas\b|gasleiding|aardgas", "leiding", "gas"),
        (r"leiding\s*-\s*riool|riool|afvalwater", "leiding", "riool"),
        (r"leiding\s*-\s*water|waterleiding|drinkwater", "leiding", "water"),
        (r"^leiding\b|buisleiding|brandstof|olie", "leiding", "overig"),
        (r"waterkering|\bdijk|kade\b", "waterstaat", "waterkering"),
        (
            r"waterberging|watercompensatie|waterbuffer|retentie",
            "waterstaat",
            "waterberging",
        ),
        (r"waterstaat|waterloop|waterwingebied", "waterstaat", "overig"),
        (
            r"veiligheidszone|risicocontour|explosie|\blpg\b|munitie",
            "veiligheidszone",
            None,
        ),
        (r"geluidzone|wet geluidhinder", "geluidzone", None),
        (
            r"natura\s*2000|\bnatuur|ecolog|landschap|aardkund|houtopstand",
            "natuur",
            None,
        ),
        (
            r"milieuzone|bodembescherm|grondwaterbescherm|geurzone|stilte",
            "milieuzone",
            None,
        ),
        (r"bedrijventerrein", "bedrijventerrein", None),
        (r"specifieke\s+(vorm|bouwaanduiding)", "specifieke vorm", None),
    )
)

# Hoofdgroep (bestemming or gebiedsaanduidinggroep) when the name says nothing.
_GROUP_CLASS: dict[str, tuple[str, str | None]] = {
    "leiding": ("leiding", "overig"),
    "waterstaat": ("waterstaat", "overig"),
    "veiligheidszone": ("veiligheidszone", None),
    "geluidzone": ("geluidzone", None),
    "milieuzone": ("milieuzone", None),
}

#: Functieaanduiding names that name a use (an Enkelbestemming hoofdgroep).
_FUNCTION_NAMES = (
    "agrarisch",
    "bedrijf",
    "centrum",
    "cultuur en ontspanning",
    "detailhandel",
    "dienstverlening",
    "gemengd",
    "horeca",
    "kantoor",
    "maatschappelijk",
    "recreatie",
    "sport",
    "wonen",
    "bedrijfswoning",
    "kamerverhuur",
)

_MEASURES: tuple[tuple[re.Pattern[str], str, float], ...] = (
    (re.compile(r"goothoogte"), "max_gutter_height_m", 1.0),
    (re.compile(r"bouwhoogte"), "max_height_m", 1.0),
    (re.compile(r"bebouwingspercentage"), "max_coverage_share", 0.01),
    (re.compile(r"bouwlagen"), "max_storeys", 1.0),
)


def _by_name(name: str) -> tuple[str, str | None] | None:
    for pattern, cls, kind in _NAME_RULES:
        if pattern.search(name):
            return cls, kind
    return None


def _fallback(object_type: str, name: str) -> str:
    if object_type == "Functieaanduiding" and name in _FUNCTION_NAMES:
        return "functie"
    if object_type == "Bouwaanduiding":
        return "bouwregel"
    return "overig"


def classify_overlay(
    object_type: str, name: str | None, main_group: str | None
) -> tuple[str | None, str | None, bool]:
    """Canonical class, kind and whether the hoofdgroep disagrees with the name.

    Parameters
    ----------
    object_type : str
        IMRO object type (only :data:`OVERLAY_TYPES` get a class).
    name : str or None
        IMRO ``naam``.
    main_group : str or None
        Bestemmingshoofdgroep or gebiedsaanduidinggroep.

    Returns
    -------
    tuple of (str or None, str or None, bool)
        ``(class, kind, conflict)``; class ``None`` for non-overlay types.

    Examples
    --------
    >>> classify_overlay(
    ...     "Dubbelbestemming", "Archeologisch waardevol gebied", "leiding")
    ('archeologie', None, True)
    >>> classify_overlay("Dubbelbestemming", "Leiding - Gas", "leiding")
    ('leiding', 'gas', False)
    """
    if object_type not in OVERLAY_TYPES:
        return None, None, False
    if object_type == "Maatvoering":
        return "maatvoering", None, False
    text = (name or "").strip().lower()
    group = (main_group or "").strip().lower()
    by_group = _GROUP_CLASS.get(group)
    by_name = _by_name(text)
    if by_name is not None:
        conflict = by_group is not None and by_group[0] != by_name[0]
        conflict |= group == "waarde" and by_name[0] not in (
            "archeologie",
            "cultuurhistorie",
            "natuur",
        )
        return by_name[0], by_name[1], bool(conflict)
    if by_group is not None:
        return by_group[0], by_group[1], False
    return _fallback(object_type, text), None, False


def classify_overlays(zoning: pd.DataFrame) -> pd.DataFrame:
    """Columns ``overlay_class`` and ``overlay_kind`` for a zoning layer.

    Parameters
    ----------
    zoning : pandas.DataFrame
        With ``object_type``, ``name`` and ``main_group``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``zoning``: ``overlay_class``, ``overlay_kind`` (string,
        null for Enkelbestemmingen, Bouwvlakken and the plan area) and
        ``overlay_conflict`` (bool: the hoofdgroep disagrees with the name).
    """
    # classify each distinct (type, name, group) once: plans repeat names
    keys = zoning[["object_type", "name", "main_group"]].astype(object)
    keys = keys.where(keys.notna(), None)
    distinct = keys.drop_duplicates()
    table = {
        tuple(row): classify_overlay(*row)
        for row in distinct.itertuples(index=False, name=None)
    }
    result = [table[tuple(row)] for row in keys.itertuples(index=False, name=None)]
    cls, kind, conflict = zip(*result, strict=True) if result else ((), (), ())
    return pd.DataFrame(
        {
            "overlay_class": pd.array(cls, dtype="string"),
            "overlay_kind": pd.array(kind, dtype="string"),
            "overlay_conflict": np.array(conflict, dtype=bool),
        },
        index=zoning.index,
    )


def _number(text: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return float("nan")


def _measures(values: Any, types: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    if not isinstance(values, str) or not isinstance(types, str):
        return out
    for value, kind in zip(values.split(";"), types.split(";"), strict=False):
        for pattern, column, factor in _MEASURES:
            if pattern.search(kind.lower()):
                number = _number(value)
                if not np.isnan(number):
                    out.setdefault(column, number * factor)
                break
    return out


def maatvoering_values(value: pd.Series, value_type: pd.Series) -> pd.DataFrame:
    """Numeric Maatvoering values from the joined waarde / waardeType texts.

    Parameters
    ----------
    value, value_type : pandas.Series
        ``"6; 9"`` and ``"maximum goothoogte (m); maximum bouwhoogte (m)"``
        (pairs in the same order; decimal commas allowed).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``value``, columns :data:`MAATVOERING_COLUMNS` (Float64,
        null where the object gives no such value).

    Examples
    --------
    >>> v = maatvoering_values(pd.Series(["6; 9"]),
    ...     pd.Series(["maximum goothoogte (m); maximum bouwhoogte (m)"]))
    >>> float(v.loc[0, "max_height_m"]), float(v.loc[0, "max_gutter_height_m"])
    (9.0, 6.0)
    """
    pairs = pd.DataFrame({"v": value, "t": value_type}).astype(object)
    rows = [_measures(v, t) for v, t in pairs.itertuples(index=False, name=None)]
    frame = pd.DataFrame.from_records(
        rows, index=value.index, columns=list(MAATVOERING_COLUMNS)
    )
    return frame.astype("Float64")


def with_overlay_columns(zoning: pd.DataFrame) -> pd.DataFrame:
    """``zoning`` with its overlay classes and Maatvoering values filled in.

    Parameters
    ----------
    zoning : pandas.DataFrame
        Zoning objects with ``object_type``, ``name``, ``main_group`` and,
        when known, ``value`` and ``value_type``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``overlay_class``, ``overlay_kind`` and
        :data:`MAATVOERING_COLUMNS`; the number of objects whose hoofdgroep
        disagrees with their name is in ``attrs["overlay_conflicts"]``.
    """
    out = zoning.copy()
    classes = classify_overlays(out)
    out["overlay_class"] = classes["overlay_class"]
    out["overlay_kind"] = classes["overlay_kind"]
    empty = pd.Series(None, index=out.index, dtype=object)
    value = out.get("value", empty)
    kinds = out.get("value_type", empty)
    values = maatvoering_values(value, kinds)
    for column in MAATVOERING_COLUMNS:
        out[column] = values[column]
    conflicts = out.loc[classes["overlay_conflict"].to_numpy()]
    out.attrs["overlay_conflicts"] = [
        f"{row.name!s} ({row.object_type}, hoofdgroep {row.main_group!s})"
        for row in conflicts.itertuples(index=False)
    ]
    return out
