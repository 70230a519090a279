"""Encrypted maps: nothing in clear, sound parameters, weak passphrases refused."""

from __future__ import annotations

import base64
import json
import logging
import re
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kansenkaart.errors import ConfigError
from kansenkaart.render import check_passphrase, render_map
from kansenkaart.render._crypto import ITERATIONS, decrypt_page

from .conftest import RULES


def _params(loader: str) -> dict:
    match = re.search(r'id="kk-params">(.*?)</script>', loader, re.DOTALL)
    assert match
    return json.loads(match.group(1))


def _ciphertext(loader: str) -> str:
    match = re.search(r'id="kk-ciphertext">(.*?)</script>', loader, re.DOTALL)
    assert match
    return match.group(1).strip()


@pytest.fixture(scope="module")
def encrypted(
    result_dir: Path, passphrase: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    out = tmp_path_factory.mktemp("enc") / "map.html"
    render_map(
        result_dir, out, passphrase=passphrase, recipient="Versnellingskamer Katwijk"
    )
    return out.read_text("utf-8")


def test_encrypted_file_holds_no_candidate_data_in_clear(
    encrypted: str, candidates: gpd.GeoDataFrame
) -> None:
    leaked = [cid for cid in candidates["candidate_id"] if cid in encrypted]
    assert leaked == []
    for number in candidates["candidate_id"].str.rsplit(".", n=1).str[-1]:
        assert number not in encrypted
    clear_texts = [
        "Amsterdam",
        "Katwijk",
        "GM0363",
        "Versnellingskamer",
        "STN02-D-",
        "NL.IMRO.0537",
        "Voldoet aan alle",
        "uitgesloten",
        "punten",
        "particulier",
        "Kansenkaart flexwonen",
    ]
    for text in clear_texts:
        assert text not in encrypted, text
    for rule in RULES:
        assert rule["id"] not in encrypted
        assert rule["title"] not in encrypted
    assert not re.search(r"\b5[0-3]\.\d{4}", encrypted)  # no WGS84 latitude
    assert "L.map(" not in encrypted  # even the map code is inside the ciphertext


def test_encryption_parameters(encrypted: str) -> None:
    params = _params(encrypted)
    assert params["cipher"] == "AES-256-GCM"
    assert params["kdf"] == "PBKDF2-HMAC-SHA256"
    assert params["iterations"] >= 600_000 == ITERATIONS
    assert len(base64.b64decode(params["salt"])) == 16
    assert len(base64.b64decode(params["iv"])) == 12
    ciphertext = _ciphertext(encrypted)
    assert re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", ciphertext)
    assert not re.fullmatch(r"[0-9a-f]+", ciphertext)  # base64, not hex
    assert len(base64.b64decode(ciphertext)) > 100_000


def test_loader_stores_nothing_and_sends_nothing(encrypted: str) -> None:
    for word in (
        "localStorage",
        "sessionStorage",
        "document.cookie",
        "location.hash",
        "history.",
        "fetch(",
        "XMLHttpRequest",
        "http://",
        "https://",
    ):
        assert word not in encrypted, word


def test_roundtrip_gives_the_plain_map(
    encrypted: str, result_dir: Path, passphrase: str, tmp_path: Path
) -> None:
    page = decrypt_page(encrypted, passphrase)
    plain = render_map(
        result_dir, tmp_path / "plain.html", recipient="Versnellingskamer Katwijk"
    ).read_text("utf-8")
    assert page == plain


def test_wrong_passphrase_is_refused(encrypted: str) -> None:
    with pytest.raises(ConfigError, match="Wrong passphrase"):
        decrypt_page(encrypted, "lantaarn paraplu kiezel wortels")


def test_salt_and_iv_are_fresh_each_time(
    result_dir: Path, passphrase: str, tmp_path: Path
) -> None:
    first = render_map(result_dir, tmp_path / "a.html", passphrase=passphrase)
    second = render_map(result_dir, tmp_path / "b.html", passphrase=passphrase)
    p1, p2 = _params(first.read_text("utf-8")), _params(second.read_text("utf-8"))
    assert p1["salt"] != p2["salt"]
    assert p1["iv"] != p2["iv"]


def test_passphrase_never_appears_in_logs_or_output(
    result_dir: Path,
    passphrase: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.DEBUG):
        out = render_map(result_dir, tmp_path / "m.html", passphrase=passphrase)
        with pytest.raises(ConfigError) as err:
            decrypt_page(out.read_text("utf-8"), passphrase + "x")
    captured = capsys.readouterr()
    assert caplog.records  # something was logged, just not the passphrase
    for text in (
        caplog.text,
        captured.out,
        captured.err,
        str(err.value),
        out.read_text("utf-8"),
    ):
        assert passphrase not in text
        assert "lantaarn" not in text


@pytest.mark.parametrize(
    "weak",
    [
        "kort",
        "elf tekens!",  # 11 characters
        "wachtwoord123!",
        "Amsterdam2024!!",
        "welkomwelkom12",
        "Password-Password",
        "correct horse battery staple",
        "aaaaaaaaaaaaaaaaaaaa",
        "121212121212121212",
        "kansenkaart 2025!",
    ],
)
def test_weak_passphrases_are_refused_with_advice(
    weak: str, result_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="random words") as err:
        check_passphrase(weak)
    assert weak not in str(err.value)
    with pytest.raises(ConfigError, match="too weak"):
        render_map(result_dir, tmp_path / "m.html", passphrase=weak)
    assert not (tmp_path / "m.html").exists()


@pytest.mark.parametrize(
    "strong",
    ["lantaarn paraplu kiezel wortel", "Vlinder-Kompas-Regen-Stoel", "tq8#Lm2!vZr4Kw"],
)
def test_strong_passphrases_are_accepted(strong: str) -> None:
    check_passphrase(strong)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=4, max_size=40))
def test_refusal_messages_never_echo_the_passphrase(text: str) -> None:
    assume(text.strip() and text not in "The passphrase is too weak: " + "x" * 0)
    try:
        check_passphrase(text)
    except ConfigError as err:
        message = str(err)
        assume(text not in _ADVICE_AND_REASONS)
        assert text not in message


_ADVICE_AND_REASONS = (
    "The passphrase is too weak: it is shorter than 12 characters; it is (made of) "
    "a common word or password; it repeats too few different characters. Use four "
    "or more random words (for example from a diceware list), at least 12 "
    "characters in all, and share the passphrase separately from the map file."
)
