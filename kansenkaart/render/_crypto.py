"""Encrypt a map page for a closed session, and refuse weak passphrases.

The whole map page (scripts, data, panel) becomes one AES-256-GCM ciphertext:
the key is derived with PBKDF2-HMAC-SHA256 (600,000 iterations, random
128-bit salt), the IV is a random 96 bits, and the ciphertext is stored
base64-encoded in a small loader page that decrypts it with WebCrypto once the
passphrase is typed. The page is compressed (raw DEFLATE) before it is
encrypted, and inflated by the browser's ``DecompressionStream``. The loader
holds no candidate data in clear.

The passphrase is never logged, never put in a message and never stored.
"""

from __future__ import annotations

import base64
import json
import os
import re
import unicodedata
import zlib
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from kansenkaart.errors import ConfigError
from kansenkaart.render._page import read_static

__all__ = [
    "ITERATIONS",
    "MIN_PASSPHRASE_LENGTH",
    "check_passphrase",
    "decrypt_page",
    "encrypt_page",
    "read_passphrase_file",
]

#: PBKDF2-HMAC-SHA256 iterations (OWASP 2023 advice for SHA-256: 600,000).
ITERATIONS = 600_000
MIN_PASSPHRASE_LENGTH = 12
_SALT_BYTES = 16
_IV_BYTES = 12
_AAD = "kansenkaart-map-v1"
_COMPRESSION = "deflate-raw"
_ADVICE = (
    "Use four or more random words (for example from a diceware list), "
    "at least 12 characters in all, and share the passphrase separately "
    "from the map file."
)


@cache
def _common_words() -> frozenset[str]:
    lines = read_static("common_passphrases.txt").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def _min_words(letters: str, words: frozenset[str]) -> int | None:
    """Fewest common words that spell ``letters`` exactly (None if impossible)."""
    best: list[int | None] = [0] + [None] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(end):
            prev, current = best[start], best[end]
            if (
                prev is not None
                and letters[start:end] in words
                and (current is None or prev + 1 < current)
            ):
                best[end] = prev + 1
    return best[-1]


def _passphrase_problems(passphrase: str) -> list[str]:
    problems = []
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        problems.append(f"it is shorter than {MIN_PASSPHRASE_LENGTH} characters")
    letters = re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", passphrase.lower()))
    words = _min_words(letters, _common_words()) if letters else 0
    if words is not None and words <= 2:
        problems.append("it is (made of) a common word or password")
    if len(set(passphrase.lower())) < 5:
        problems.append("it repeats too few different characters")
    return problems


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase that is short or built from common words.

    Parameters
    ----------
    passphrase : str
        The candidate passphrase. It is never logged or echoed.

    Raises
    ------
    ConfigError
        When it is shorter than 12 characters, is (after dropping digits and
        punctuation) one or two common words or passwords, or uses fewer than
        five different characters. The message gives advice.

    Examples
    --------
    >>> check_passphrase("lantaarn paraplu kiezel wortel")
    >>> check_passphrase("Wachtwoord2024!")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kansenkaart.errors.ConfigError: The passphrase is too weak: ...
    """
    problems = _passphrase_problems(passphrase)
    if problems:
        msg = f"The passphrase is too weak: {'; '.join(problems)}. {_ADVICE}"
        raise ConfigError(msg)


def read_passphrase_file(path: Path) -> str:
    """The passphrase on the first line of ``path``, as the page will see it typed.

    Reads UTF-8 with or without a byte order mark, falling back to Windows
    cp1252; strips trailing spaces, tabs and the CR of Windows line ends; and
    NFC-normalises the text exactly as the loader page normalises what is
    typed (``String.prototype.normalize("NFC")``).

    Raises
    ------
    ConfigError
        When the file cannot be read, its first line is empty, or the
        passphrase is weak (:func:`check_passphrase`).
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        msg = f"--passphrase-file {path}: cannot be read ({err.strerror or err})."
        raise ConfigError(msg) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    lines = text.splitlines()
    passphrase = unicodedata.normalize("NFC", lines[0].rstrip()) if lines else ""
    if not passphrase:
        msg = (
            f"--passphrase-file {path}: the first line should hold the "
            "passphrase, but it is empty."
        )
        raise ConfigError(msg)
    check_passphrase(passphrase)
    return passphrase


def _derive_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations
    )
    return kdf.derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def encrypt_page(page: str, passphrase: str) -> str:
    """Return a loader page that holds ``page`` encrypted with ``passphrase``.

    Parameters
    ----------
    page : str
        The complete, self-contained map page.
    passphrase : str
        Checked with :func:`check_passphrase` first.

    Returns
    -------
    str
        HTML with a passphrase form, the KDF parameters, and the base64
        AES-256-GCM ciphertext; no part of ``page`` appears in clear.

    Raises
    ------
    ConfigError
        When the passphrase is weak.
    """
    check_passphrase(passphrase)
    salt, iv = os.urandom(_SALT_BYTES), os.urandom(_IV_BYTES)
    key = _derive_key(passphrase, salt, ITERATIONS)
    packed = _deflate(page.encode("utf-8"))
    ciphertext = AESGCM(key).encrypt(iv, packed, _AAD.encode())
    params = {
        "format": _AAD,
        "cipher": "AES-256-GCM",
        "kdf": "PBKDF2-HMAC-SHA256",
        "iterations": ITERATIONS,
        "salt": base64.b64encode(salt).decode("ascii"),
        "iv": base64.b64encode(iv).decode("ascii"),
        "aad": _AAD,
        "compression": _COMPRESSION,
    }
    loader = read_static("loader.html")
    return loader.replace("__KK_PARAMS__", json.dumps(params)).replace(
        "__KK_CIPHERTEXT__", base64.b64encode(ciphertext).decode("ascii")
    )


def decrypt_page(loader: str, passphrase: str) -> str:
    """Return the map page inside a loader page (what the browser does).

    Parameters
    ----------
    loader : str
        Output of :func:`encrypt_page`.
    passphrase : str
        The passphrase it was encrypted with.

    Returns
    -------
    str
        The original map page.

    Raises
    ------
    ConfigError
        When the passphrase is wrong or the file was altered.
    """
    params = json.loads(_between(loader, 'id="kk-params">', "</script>"))
    ciphertext = base64.b64decode(_between(loader, 'id="kk-ciphertext">', "</script>"))
    salt = base64.b64decode(params["salt"])
    key = _derive_key(passphrase, salt, int(params["iterations"]))
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(params["iv"]), ciphertext, params["aad"].encode()
        )
    except InvalidTag as err:
        msg = "Wrong passphrase, or the map file was altered."
        raise ConfigError(msg) from err
    if params.get("compression") == _COMPRESSION:
        plain = zlib.decompress(plain, wbits=-15)
    return plain.decode("utf-8")


def _deflate(data: bytes) -> bytes:
    """Raw DEFLATE (no zlib header), as ``DecompressionStream("deflate-raw")``."""
    packer = zlib.compressobj(level=6, wbits=-15)
    return packer.compress(data) + packer.flush()


def _between(text: str, start: str, end: str) -> str:
    head = text.index(start) + len(start)
    return text[head : text.index(end, head)]
