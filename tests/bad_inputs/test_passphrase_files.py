"""Passphrase files from any editor open the map with the passphrase as typed."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from kansenkaart.cli.main import cli
from kansenkaart.render._crypto import decrypt_page

from . import _build as b

TYPED = "lantaarn parapluï kiezel wörtel"

#: name -> the bytes an editor writes for TYPED
VARIANTS = {
    "utf8": TYPED.encode("utf-8"),
    "utf8_newline": (TYPED + "\n").encode("utf-8"),
    "utf8_bom_crlf": ("\ufeff" + TYPED + "\r\n").encode("utf-8"),
    "trailing_space_and_tab": (TYPED + " \t\r\n").encode("utf-8"),
    "cp1252_crlf": (TYPED + "\r\n").encode("cp1252"),
    "decomposed_nfd": (unicodedata.normalize("NFD", TYPED) + "\n").encode("utf-8"),
    "second_line_ignored": (TYPED + "\r\nhint: vier woorden\r\n").encode("utf-8"),
}


@pytest.fixture(scope="module")
def result_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small result folder the tool wrote (the Otterlo percelen)."""
    out = tmp_path_factory.mktemp("result") / "locatiescan"
    args = ["-q", "scan", "sites", "--parcels", str(b.PARCELS), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_map_opens_with_the_typed_passphrase(
    variant: str, result_dir: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "wachtwoord.txt"
    secret.write_bytes(VARIANTS[variant])
    out = tmp_path / "kaart.html"
    result = CliRunner().invoke(
        cli, ["map", str(result_dir), "-o", str(out), "--passphrase-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    # what the analyst types in the browser; the page NFC-normalises it
    page = decrypt_page(out.read_text("utf-8"), TYPED)
    assert "kansenkaart" in page


def test_the_loader_normalises_what_is_typed() -> None:
    loader = (b.REPO / "kansenkaart/render/static/loader.html").read_text("utf-8")
    assert 'passphrase.normalize("NFC")' in loader
