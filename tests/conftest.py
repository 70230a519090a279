"""Shared fixtures: paths to the real data in ``data/`` and ``tests/data/``."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
TEST_DATA_DIR = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder with the embedded default data (``data/``)."""
    return DATA_DIR


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    """Folder with the real test files (``tests/data/``)."""
    return TEST_DATA_DIR
