"""The result folder contract: what --overwrite may replace, and how."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kansenkaart.datasets import data_path, scan_path
from kansenkaart.errors import ConfigError
from kansenkaart.pipeline import scan_to_folder
from kansenkaart.results import MARKER, RESULT_FILES, check_output_dir

BAG = data_path("amsterdam_BU03638600_bag_panden.gpkg")
N2K = data_path("natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg")

pytestmark = pytest.mark.filterwarnings("ignore::kansenkaart.errors.KansenkaartWarning")


def _scan(out: Path, **options: object) -> Path:
    from kansenkaart.sources.layers import ScanInputs

    _, path = scan_to_folder(
        scan_path("objectscan"),
        # with Natura 2000: without it that veto is undecided and all is onbekend
        ScanInputs(buildings=[BAG], layers={"natura2000": N2K}),
        out,
        reference_date="2026-01-01",
        **options,  # type: ignore[arg-type]
    )
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def full_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A result with every optional file: sensitivity and map."""
    out = tmp_path_factory.mktemp("full") / "res"
    return _scan(out, sensitivity_runs=5, map_options={})


def test_the_list_of_result_files_is_complete(full_result: Path) -> None:
    names = {p.name for p in full_result.iterdir()}
    assert names == {*RESULT_FILES, MARKER}
    marker = json.loads((full_result / MARKER).read_text("utf-8"))
    assert marker["kansenkaart_result"] == 1
    assert set(marker["files"]) == set(RESULT_FILES)


def test_overwrite_replaces_a_previous_result_only(tmp_path: Path) -> None:
    out = _scan(tmp_path / "res", sensitivity_runs=5)
    assert (out / "leave_one_rule_out.csv").exists()
    _scan(out, overwrite=True)  # no sensitivity this time
    assert not (out / "leave_one_rule_out.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_a_failed_run_leaves_the_previous_result_intact(tmp_path: Path) -> None:
    out = _scan(tmp_path / "res")
    before = _snapshot(out)

    def fail(_tmp: Path) -> None:
        raise RuntimeError("disk full")

    from kansenkaart.pipeline import run_scan
    from kansenkaart.results import write_results
    from kansenkaart.sources.layers import ScanInputs

    result = run_scan(scan_path("objectscan"), ScanInputs(buildings=[BAG]))
    with pytest.raises(RuntimeError, match="disk full"):
        write_results(result, out, overwrite=True, finish=fail)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


@pytest.mark.parametrize("name", ["rapport.docx", ".verborgen", "candidates.csv.bak"])
def test_a_foreign_file_is_named_and_kept(tmp_path: Path, name: str) -> None:
    out = _scan(tmp_path / "res")
    (out / name).write_text("eigen werk", "utf-8")
    with pytest.raises(ConfigError, match=f"{name!r} was not written by kansenkaart"):
        _scan(out, overwrite=True)
    assert (out / name).read_text("utf-8") == "eigen werk"


def test_never_the_working_directory_or_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for target in (Path("."), Path(".."), tmp_path, work):
        with pytest.raises(ConfigError, match="working directory"):
            check_output_dir(target, overwrite=True)


def test_never_a_folder_holding_an_input(tmp_path: Path) -> None:
    src = tmp_path / "invoer" / "panden.gpkg"
    src.parent.mkdir()
    src.write_bytes(BAG.read_bytes())
    for target in (src.parent, tmp_path):
        with pytest.raises(ConfigError, match="holds the input"):
            check_output_dir(target, overwrite=True, inputs=[src])
