"""Decide which attributes may reach a map (privacy by construction).

Only the fixed candidate columns, the rule columns and the columns the scan
definition whitelists in ``map_fields`` are ever read into a map. A column
that may hold person data (:func:`kansenkaart.model.privacy.may_hold_person_data`)
is refused even when whitelisted (the scan definition is checked for this
when it is loaded, the map checks again), and ownership is shown only as a
class (:func:`kansenkaart.model.privacy.map_owner_classes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kansenkaart.errors import ConfigError, SchemaError
from kansenkaart.model.privacy import personal_fields

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_map_fields"]


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
    personal = personal_fields(fields)
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
