"""The result folder of a scan: the one owner of its contract.

A result folder holds ``candidates.gpkg`` (layer ``candidates``, EPSG:28992),
``candidates.csv`` (with x/y of a representative point), ``candidates.xlsx``
(sheets ``kandidaten`` and ``regels``), ``summary.json``
(:mod:`kansenkaart.results.summary`), ``context.gpkg`` (the layers of
:data:`CONTEXT_LAYERS`) and, after a sensitivity run,
``leave_one_rule_out.csv``. Besides :data:`FIXED_COLUMNS` and one Dutch
result text per rule, the ``candidates`` layer has ``pts_<RULE>`` (points per
score rule) and ``val_<RULE>`` (the raw value the scoring used: fraction 0-1
of a score rule, 1/0 for a veto or flag, null when undecided; the map's live
weights recompute scores from these). :func:`write_results` writes it all or nothing;
:func:`read_result` reads and checks it; both use the one :class:`ScanResult`.
"""

from __future__ import annotations

from kansenkaart.results.folder import MARKER, RESULT_FILES, check_output_dir
from kansenkaart.results.assemble import VALUE_PREFIX
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
    "CONTEXT_LAYERS",
    "FIXED_COLUMNS",
    "MARKER",
    "OUTCOME_ORDER",
    "RESULT_FILES",
    "VALUE_PREFIX",
    "ScanResult",
    "build_summary",
    "check_output_dir",
    "file_sha256",
    "order_candidates",
    "read_result",
    "write_results",
]
