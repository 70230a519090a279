"""``kansenkaart map`` driven through click's CliRunner."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from kansenkaart.cli.map_cmd import map_command
from kansenkaart.errors import ConfigError
from kansenkaart.render._crypto import decrypt_page
from tests.render.conftest import (
    PASSPHRASE,
    footprints,  # noqa: F401 - fixtures used by result_dir
    result_dir,  # noqa: F401
)


def _invoke(args: list[str], **kwargs: object):
    return CliRunner().invoke(map_command, [str(a) for a in args], **kwargs)


def test_plain_map(result_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "map.html"
    result = _invoke([result_dir, "--out", out, "--recipient", "Raad, 3 dec"])
    assert result.exit_code == 0, result.output
    assert f"Map written to {out}" in result.output
    assert "Raad, 3 dec" in out.read_text("utf-8")


def test_encrypt_prompts_twice_and_refuses_weak_first(
    result_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "map.html"
    typed = f"wachtwoord123\n{PASSPHRASE}\n{PASSPHRASE}\n"
    result = _invoke([result_dir, "--out", out, "--encrypt"], input=typed)
    assert result.exit_code == 0, result.output
    assert "too weak" in result.output
    assert "Herhaal" in result.output
    assert "Encrypted map written" in result.output
    assert PASSPHRASE not in result.output
    assert "wachtwoord123" not in result.output
    assert "STN02-D-" in decrypt_page(out.read_text("utf-8"), PASSPHRASE)


def test_prompt_confirmation_must_match(result_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    typed = f"{PASSPHRASE}\n{PASSPHRASE}!\n"
    result = _invoke(
        [result_dir, "--out", tmp_path / "m.html", "--encrypt"], input=typed
    )
    assert result.exit_code != 0
    assert not (tmp_path / "m.html").exists()
    assert PASSPHRASE not in result.output


def test_passphrase_file(result_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    secret = tmp_path / "secret.txt"
    secret.write_text(PASSPHRASE + "\n", "utf-8")
    out = tmp_path / "map.html"
    result = _invoke([result_dir, "--out", out, "--passphrase-file", secret])
    assert result.exit_code == 0, result.output
    assert PASSPHRASE not in result.output
    assert decrypt_page(out.read_text("utf-8"), PASSPHRASE).startswith(
        "<!DOCTYPE html>"
    )


def test_weak_passphrase_file_fails_without_echo(
    result_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Amsterdam2024!\n", "utf-8")
    result = _invoke(
        [result_dir, "--out", tmp_path / "m.html", "--passphrase-file", secret]
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, ConfigError)
    assert "Amsterdam2024" not in str(result.exception) + result.output
    assert not (tmp_path / "m.html").exists()


def test_no_passphrase_option_and_no_environment(
    result_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "m.html"
    result = _invoke([result_dir, "--out", out, "--passphrase", PASSPHRASE])
    assert result.exit_code == 2  # usage error: there is no such option
    env = {"KANSENKAART_PASSPHRASE": PASSPHRASE, "PASSPHRASE": PASSPHRASE}
    result = _invoke([result_dir, "--out", out, "--encrypt"], env=env, input="")
    assert result.exit_code != 0  # it asked, nothing was typed: aborted
    assert not out.exists()


def test_tiles_print_a_warning(result_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    result = _invoke([result_dir, "--out", tmp_path / "m.html", "--tiles", url])
    assert result.exit_code == 0, result.output
    assert re.search(r"Warning: .*reveals which area", result.output)


def test_existing_output_needs_overwrite(result_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "m.html"
    assert _invoke([result_dir, "--out", out]).exit_code == 0
    result = _invoke([result_dir, "--out", out])
    assert result.exit_code == 1
    assert isinstance(result.exception, ConfigError)
    assert _invoke([result_dir, "--out", out, "--overwrite"]).exit_code == 0


def test_overwrite_never_replaces_a_file_the_tool_did_not_write(
    result_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "notulen.html"
    out.write_text("<html>notulen van de raad</html>", "utf-8")
    result = _invoke([result_dir, "--out", out, "--overwrite"])
    assert result.exit_code == 1
    assert "not a map written by kansenkaart" in str(result.exception)
    assert out.read_text("utf-8") == "<html>notulen van de raad</html>"
