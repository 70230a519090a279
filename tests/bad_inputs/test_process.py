"""The command as a process: Ctrl+C exits 130 cleanly, warnings print as one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import _build as b

_CLI = [sys.executable, "-c", "from kansenkaart.cli.main import cli; cli()"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONWARNINGS": "default"}


def test_interrupt_exits_130_without_traceback_or_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        *_CLI,
        "-v",
        "scan",
        "objects",
        "--buildings",
        str(b.BAG),
        "--sensitivity",
        "100000000",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        args, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env()
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:  # wait until the long sensitivity step runs
        lines.append(line)
        if "gevoeligheid" in line:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    stderr = "".join(lines) + rest
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "Interrupted" in stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_warnings_are_one_line_without_python_source(tmp_path: Path) -> None:
    panden = b.edit(b.BAG, tmp_path / "panden.gpkg", b.set_value("bouwjaar", 99999))
    args = [*_CLI, "scan", "objects", "--buildings", str(panden)]
    done = subprocess.run(
        [*args, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    warning = [ln for ln in done.stderr.splitlines() if "year_built" in ln]
    assert len(warning) == 1
    assert warning[0].startswith("Warning: ")
    assert ".py:" not in done.stderr
    assert "warnings.warn" not in done.stderr
