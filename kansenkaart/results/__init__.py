"""The result folder of a scan: the one owner of its contract.

A result folder holds ``candidates.gpkg`` (layer ``candidates``, EPSG:28992,
with a default QGIS style in its ``layer_styles`` table, see
:mod:`kansenkaart.results.styles`), ``candidates.csv`` (with x/y of a
representative point), ``candidates.xlsx`` (sheets ``kandidaten`` and
``regels``), ``summary.json`` (:mod:`kansenkaart.results.summary`),
``context.gpkg`` (the layers of :data:`CONTEXT_LAYERS`), the charts
``chart_*.png`` and ``chart_*.svg`` (:mod:`kansenkaart.results.charts`) and,
after a sensitivity run, ``leave_one_rule_out.csv``.

Besides :data:`FIXED_COLUMNS` and one Dutch result text per rule, the
``candidates`` layer has ``pts_<RULE>`` (points per score rule) and
``val_<RULE>`` (:data:`VALUE_PREFIX`; the raw value the scoring used: the
fraction 0-1 of a score rule, 1/0 for a veto or flag, null when undecided;
the map's live weights recompute scores from these).

:func:`write_results` writes it all or nothing; :func:`read_result` reads and
checks it; both use the one :class:`ScanResult`.
"""

from __future__ import annotations

from kansenkaart.results.assemble import VALUE_PREFIX
from kansenkaart.results.charts import CHART_NAMES, result_charts, write_charts
from kansenkaart.results.folder import (
    MARKER,
    MATCH_FILES,
    RESULT_FILES,
    check_output_dir,
)
from kansenkaart.results.model import (
    CONTEXT_LAYERS,
    FIXED_COLUMNS,
    OUTCOME_ORDER,
    ScanResult,
    order_candidates,
)
from kansenkaart.results.read import read_result
from kansenkaart.results.summary import build_summary, file_sha256
from kansenkaart.results.write import write_results

__all__ = [
    "CHART_NAMES",
    "CONTEXT_LAYERS",
    "FIXED_COLUMNS",
    "MARKER",
    "MATCH_FILES",
    "OUTCOME_ORDER",
    "RESULT_FILES",
    "VALUE_PREFIX",
    "ScanResult",
    "build_summary",
    "check_output_dir",
    "file_sha256",
    "order_candidates",
    "read_result",
    "result_charts",
    "write_charts",
    "write_results",
]
