"""The one scan result, and the order in which results are listed.

:class:`ScanResult` is what a scan produces in memory and what
:func:`kansenkaart.results.read_result` gives back from a result folder:
candidates indexed by ``candidate_id`` (EPSG:28992), the summary and the
context layers. The folder's files and their columns are described in
:mod:`kansenkaart.results`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kansenkaart.scoring.score import OUTCOMES

if TYPE_CHECKING:
    import geopandas as gpd

    from kansenkaart.rules.engine import RuleTable

__all__ = [
    "CONTEXT_LAYERS",
    "FIXED_COLUMNS",
    "OUTCOME_ORDER",
    "ScanResult",
    "order_candidates",
]

#: Outcomes in the order lists, tables and maps show them.
OUTCOME_ORDER: tuple[str, ...] = ("scored", "unknown", "excluded")
if set(OUTCOME_ORDER) != set(OUTCOMES):  # pragma: no cover - a programming error
    raise AssertionError("OUTCOME_ORDER must list every outcome once")

#: Columns every ``candidates`` layer has (besides one column per rule).
FIXED_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "outcome",
    "score",
    "rank",
    "rank_municipality",
    "municipality_code",
    "municipality_name",
    "excluded_by",
    "unknown_for",
    "reason_nl",
)

#: Context layers of ``context.gpkg`` (layer name -> the one column it keeps).
CONTEXT_LAYERS: dict[str, str | None] = {
    "boundary": "name",
    "zoning": "main_group",
    "buildings": None,
}


@dataclass(slots=True)
class ScanResult:
    """Everything a scan produced.

    Attributes
    ----------
    candidates : geopandas.GeoDataFrame
        Every candidate that entered the scan exactly once, indexed by
        ``candidate_id``, in EPSG:28992.
    summary : dict
        The ``summary.json`` contract: counts, rules with sources, inputs with
        hashes, attribution.
    table : RuleTable or None
        The candidate x rule table; None for a result read back from a folder.
    leave_one_out : pandas.DataFrame or None
        The leave-one-rule-out table of a sensitivity run.
    context : dict of str to geopandas.GeoDataFrame
        Context layers for the map (:data:`CONTEXT_LAYERS` once written).
    """

    candidates: gpd.GeoDataFrame
    summary: dict[str, Any]
    table: RuleTable | None = None
    leave_one_out: pd.DataFrame | None = None
    context: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    @property
    def rule_ids(self) -> list[str]:
        """Rule ids in the order of ``summary["rules"]``."""
        return [str(rule["id"]) for rule in self.summary["rules"]]


def order_candidates(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort candidates as every list shows them: scored by rank, unknown, excluded.

    Within an outcome, candidates are ordered by rank (unranked last), then by
    ``candidate_id`` (the index).

    Parameters
    ----------
    frame : pandas.DataFrame
        Candidates indexed by ``candidate_id`` with ``outcome`` and ``rank``.

    Returns
    -------
    pandas.DataFrame
        The same rows, reordered.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {"outcome": ["excluded", "scored", "unknown", "scored"],
    ...      "rank": [None, 2, None, 1]},
    ...     index=pd.Index(["a", "b", "c", "d"], name="candidate_id"),
    ... )
    >>> order_candidates(frame).index.tolist()
    ['d', 'b', 'c', 'a']
    """
    key = pd.DataFrame(
        {
            "o": frame["outcome"].map({o: i for i, o in enumerate(OUTCOME_ORDER)}),
            "r": pd.to_numeric(frame["rank"], errors="coerce")
            .astype("Float64")
            .fillna(np.inf),
            "id": frame.index.astype(str),
        },
        index=frame.index,
    )
    return frame.loc[key.sort_values(["o", "r", "id"], kind="stable").index]
