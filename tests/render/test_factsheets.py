"""Factsheets: one A4 PDF page per top candidate, printed by headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from kansenkaart.cli.main import cli
from kansenkaart.errors import ConfigError
from kansenkaart.render.factsheets import write_factsheets
from kansenkaart.results import order_candidates, read_result
from tests._scans import write_object_scan
from tests.render.conftest import PERSON_NAME

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def scan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_object_scan(tmp_path_factory.mktemp("sheets") / "result")


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    )
    count = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))
    return [
        subprocess.run(
            ["pdftotext", "-f", str(k), "-l", str(k), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for k in range(1, count + 1)
    ]


def test_one_page_per_top_candidate_with_rules_and_sources(
    scan_dir: Path, tmp_path: Path
) -> None:
    # the shipped objectscan scores more than 5 buildings on the embedded data
    pdf = write_factsheets(scan_dir, tmp_path / "sites.pdf", top=5, recipient="Raad")
    pages = _pages(pdf)
    result = read_result(scan_dir)
    top = order_candidates(result.candidates).head(5)
    assert len(pages) == 5
    for k, (cid, row) in enumerate(top.iterrows()):
        text = pages[k]
        assert f"#{k + 1} · {cid}" in text
        assert f"Score {float(row['score']):.1f}".replace(".", ",") in text
        assert f"rang {int(row['rank_p5'])}–{int(row['rank_p95'])}" in text
        for rule in result.summary["rules"]:
            assert rule["id"] in text
        assert "Transformatiemeter" in text  # a rule's source
        assert "Wat onbekend is" in text
        unknown = text.split("Wat onbekend is")[1].split("Regel")[0]
        assert "niet beoordeeld: laag ontbreekt:" in unknown
        assert "OBJ-LEEGSTAND" in unknown
        assert "OBJ-RISICO" in unknown
        assert "Bestemming:" in text
    plain = write_factsheets(scan_dir, tmp_path / "plain.pdf", top=1)
    assert _reddish_pixels(pdf, tmp_path / "mark") > 500  # the watermark
    assert _reddish_pixels(plain, tmp_path / "plain") == 0


def _reddish_pixels(pdf: Path, stem: Path) -> int:
    """Pixels of the (red) watermark on the first page, rasterised by poppler."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(pdf), str(stem)],
        check=True,
    )
    png = next(stem.parent.glob(f"{stem.name}*.png"))
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return int(
        ((rgb[..., 0] - rgb[..., 1] > 12) & (rgb[..., 0] - rgb[..., 2] > 12)).sum()
    )


def test_factsheets_keep_to_the_map_whitelist(
    owned_result_dir: Path, tmp_path: Path
) -> None:
    pdf = write_factsheets(owned_result_dir, tmp_path / "sites.pdf", top=3)
    pages = _pages(pdf)
    assert len(pages) == 3
    text = "".join(pages)
    assert PERSON_NAME not in text  # the ownership table's name column
    assert "Eigenaar" in text
    top = order_candidates(read_result(owned_result_dir).candidates).head(3)
    for k, owner in enumerate(top["owner_class"]):
        assert str(owner) in pages[k]


def test_bad_requests_are_refused_before_printing(
    scan_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"\.pdf"):
        write_factsheets(scan_dir, tmp_path / "sites.html")
    existing = tmp_path / "sites.pdf"
    existing.write_bytes(b"%PDF keep me")
    with pytest.raises(ConfigError, match="--overwrite"):
        write_factsheets(scan_dir, existing)
    assert existing.read_bytes() == b"%PDF keep me"
    with pytest.raises(ConfigError, match="--top"):
        write_factsheets(scan_dir, tmp_path / "other.pdf", top=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.pdf"]


def test_factsheets_command(scan_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sites.pdf"
    run = CliRunner().invoke(
        cli, ["factsheets", str(scan_dir), "--top", "2", "--out", str(out)]
    )
    assert run.exit_code == 0, run.output
    assert "Factsheets written" in run.output
    assert len(_pages(out)) == 2
    again = CliRunner().invoke(cli, ["factsheets", str(scan_dir), "--out", str(out)])
    assert again.exit_code == 1
    assert "--overwrite" in again.output
    assert "Traceback" not in again.output
