"""Every bad input of the catalogue: clear message, right exit status, --out intact."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli

from . import _build as b
from .cases import CASES, Case


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A result folder the tool wrote (objectscan on the Amsterdam panden)."""
    out = tmp_path_factory.mktemp("result") / "objectscan"
    result = CliRunner().invoke(
        cli, ["-q", "scan", "objects", "--buildings", str(b.BAG), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case,
    tmp_path: Path,
    result_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    work = tmp_path / "werkmap"
    work.mkdir()
    monkeypatch.chdir(work)
    ctx = b.Ctx(tmp=tmp_path, result_dir=lambda: result_dir)
    if case.prepare is not None:
        case.prepare(ctx)
    args = case.args(ctx)
    before = b.folder_hash(ctx.out), b.folder_hash(work)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = CliRunner().invoke(cli, args)
    output = result.output
    assert result.exit_code == case.code, output
    assert "Traceback" not in output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    for text in case.says:
        assert text.lower() in output.lower(), (text, output)
    if case.code != 0:
        assert (b.folder_hash(ctx.out), b.folder_hash(work)) == before
        half = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]
        assert half == []
    if case.check is not None:
        case.check(ctx, output)
