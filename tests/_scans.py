"""Run the object scan on the embedded real data into a result folder (tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansenkaart.datasets import default_inputs, scan_path
from kansenkaart.errors import GeometryRepairedWarning
from kansenkaart.pipeline import ScanInputs, run_scan, scan_to_folder
from kansenkaart.results import ScanResult

CONTEXT = ("natura2000", "monuments", "municipalities")
REFERENCE_DATE = "2026-01-01"


def object_inputs() -> ScanInputs:
    """The embedded buildings, plans and context layers of the object scan."""
    d = default_inputs()
    return ScanInputs(
        buildings=d["buildings"], zoning=d["zoning"], layers={k: d[k] for k in CONTEXT}
    )


def run_object_scan(scan: Path | None = None) -> ScanResult:
    """The object scan (or the given scan file) on the embedded data."""
    with pytest.warns(GeometryRepairedWarning):
        return run_scan(
            scan or scan_path("objectscan"),
            object_inputs(),
            reference_date=REFERENCE_DATE,
        )


def write_object_scan(folder: Path, *, sensitivity_runs: int = 20) -> Path:
    """Write the object scan's result folder (1,610 candidates) to ``folder``."""
    with pytest.warns(GeometryRepairedWarning):
        _, path = scan_to_folder(
            scan_path("objectscan"),
            object_inputs(),
            folder,
            sensitivity_runs=sensitivity_runs,
            reference_date=REFERENCE_DATE,
        )
    return path
