"""The code base passes ruff (lint and format), as part of the test command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra: pip install -e '.[test]'"
    return subprocess.run(
        [ruff, *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_ruff_check() -> None:
    result = _ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout


def test_ruff_format() -> None:
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout


def test_docstring_examples_use_the_installed_data() -> None:
    """Examples run anywhere: they name data through kansenkaart.datasets."""
    import re

    package = Path(__file__).resolve().parents[1] / "kansenkaart"
    relative = re.compile(r"""(>>>|\.\.\.).*["'](tests/)?data/""")
    found = [
        f"{path.name}:{n}"
        for path in package.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if relative.search(line)
    ]
    assert not found, found
