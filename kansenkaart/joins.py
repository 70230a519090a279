"""Joins of tables to candidates by id: how many candidates a table reaches.

An ownership table whose parcel ids are written another way than the
parcels' (``0363-A-1234`` against ``ASD02-A-1234``), or a vacancy table with
verblijfsobject ids against pand candidates, matches nothing: every owner is
then *onbekend* and no building is vacant, without a word. :func:`check_joins`
runs once, after the candidates are known and before any rule, and reports
each table's match rate in the log and the summary; below
:data:`WARN_BELOW` it warns with examples of the ids on both sides, and when
no candidate is found at all it stops with an error.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kansenkaart.errors import KansenkaartWarning, SchemaError

__all__ = ["ID_COLUMNS", "WARN_BELOW", "JoinWarning", "check_joins"]

logger = logging.getLogger(__name__)

#: Share of candidates found in a table below which a warning is given.
WARN_BELOW = 0.5
#: Id columns by which tables join candidates, in order of preference.
ID_COLUMNS = ("parcel_id", "building_id", "candidate_id")
_N_EXAMPLES = 2


class JoinWarning(KansenkaartWarning):
    """Few candidates were found in a table joined by id."""


def _shape(value: str) -> str:
    """The form of an id: letters as A, digits as 9, runs collapsed."""
    return re.sub(r"(.)\1+", r"\1", re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "A", value)))


def _same_form(a: pd.Index, b: pd.Index) -> bool:
    forms_a, forms_b = a.map(_shape).value_counts(), b.map(_shape).value_counts()
    return bool(len(forms_a) and len(forms_b) and forms_a.index[0] == forms_b.index[0])


def _examples(values: pd.Index | pd.Series) -> str:
    shown = pd.Series(values).dropna().astype(str).unique()[:_N_EXAMPLES]
    return ", ".join(repr(v) for v in shown) or "(none)"


def _tables(layers: Mapping[str, Any]) -> dict[str, tuple[pd.DataFrame, str]]:
    kinds = getattr(layers, "kind", None)
    out = {}
    for name, value in layers.items():
        is_table = kinds(name) == "table" if kinds else False
        if not is_table or not isinstance(value, pd.DataFrame):
            continue
        id_col = next((c for c in ID_COLUMNS if c in value.columns), None)
        if id_col is not None:
            out[name] = (value, id_col)
    return out


def _arrow_strings(values: pd.Index) -> pa.Array:
    arr = pa.array(pd.array(values, dtype="string"))
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _count_in(values: pd.Index, wanted: pd.Index) -> int:
    """How many of ``values`` are in ``wanted`` (Arrow's hash set: pandas'
    ``isin`` on Arrow strings loops in Python, 0.9 s at 100,000 ids)."""
    hit = pc.is_in(_arrow_strings(values), value_set=_arrow_strings(wanted))
    return int(pc.sum(hit).as_py() or 0)


def check_joins(
    cand: pd.DataFrame, layers: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Report how many candidates each table layer reaches by id.

    Parameters
    ----------
    cand : pandas.DataFrame
        The candidates, indexed by candidate id.
    layers : Layers
        The scan's layers; those of kind ``table`` with an id column of
        :data:`ID_COLUMNS` are checked.

    Returns
    -------
    dict
        Per table: ``id_column``, ``rows``, ``candidates``, ``matched`` and
        ``match_rate`` (share of candidates found in the table).

    Raises
    ------
    SchemaError
        When a table matches no candidate at all (naming both id formats).
    """
    report: dict[str, dict[str, Any]] = {}
    ids = pd.Index(cand.index.astype(str))
    paths = {s.layer: s.path for s in getattr(layers, "sources", ())}
    for name, (table, id_col) in sorted(_tables(layers).items()):
        label = f"--{name} {paths[name]}" if name in paths else f"--{name}"
        keys = pd.Index(table[id_col].dropna().astype(str).unique())
        matched = _count_in(ids, keys)
        rows_matched = _count_in(keys, ids)
        # a table may cover only some candidates (vacancy) or a larger area
        # (a municipality's ownership): either direction counts
        rate = max(matched / max(len(ids), 1), rows_matched / max(len(keys), 1))
        report[name] = {
            "id_column": id_col,
            "rows": len(table),
            "candidates": len(ids),
            "matched": matched,
            "match_rate": round(rate, 4),
        }
        logger.info(
            "%s: %d of %d candidates found by %s; %d of %d table ids are candidates",
            name,
            matched,
            len(ids),
            id_col,
            rows_matched,
            len(keys),
        )
        if rate >= WARN_BELOW or not len(ids):
            continue
        formats = (
            f"ids in the {name} table look like {_examples(table[id_col])}, "
            f"candidate ids like {_examples(ids)}"
        )
        if matched == 0:
            msg = (
                f"{label}: none of the {len(ids)} candidates is in the table "
                f"(column {id_col!r}): {formats}. Write the ids as the candidates "
                "do, or pass the table that belongs to these inputs."
            )
            raise SchemaError(msg)
        if _same_form(keys, ids):  # same id form: the table covers another area
            continue
        warnings.warn(
            f"{label}: only {matched} of {len(ids)} candidates ({100 * rate:.0f} %) "
            f"are in the table (column {id_col!r}); the others count as unknown. "
            f"{formats}. Check that the ids are written the same way.",
            JoinWarning,
            stacklevel=2,
        )
    return report
