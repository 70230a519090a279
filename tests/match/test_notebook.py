"""notebooks/match.ipynb runs top to bottom on the embedded locatiescan."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "match.ipynb"


@pytest.mark.slow
def test_match_notebook_runs(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    ]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        for o in outputs
    )
    assert "'status': 'Optimal'" in text
    assert "map.html" in text and "chains.gpkg" in text
    assert "naar NL.IMRO" in text  # at least one explained move or placement
