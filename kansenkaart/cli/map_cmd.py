"""``kansenkaart map``: write a scan's candidates as one offline HTML map.

The passphrase of ``--encrypt`` is read from a hidden prompt (typed twice) or
from ``--passphrase-file``; never from the command line or the environment,
and it is never printed or logged.
"""

from __future__ import annotations

from pathlib import Path

import click

from kansenkaart.cli.options import InputFile
from kansenkaart.errors import ConfigError
from kansenkaart.render import check_passphrase, render_map
from kansenkaart.render._crypto import read_passphrase_file
from kansenkaart.render.basemap import DEFAULT_BUDGET_MB
from kansenkaart.render.map import TILES_WARNING

__all__ = ["map_command"]


def _checked(value: str) -> str:
    try:
        check_passphrase(value)
    except ConfigError as err:
        raise click.BadParameter(str(err)) from None
    return value


def _prompt_passphrase() -> str:
    return str(
        click.prompt(
            "Wachtwoordzin voor de kaart",
            hide_input=True,
            confirmation_prompt="Herhaal de wachtwoordzin",
            value_proc=_checked,
            err=True,
        )
    )


@click.command("map")
@click.argument(
    "result_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="HTML file to write.",
)
@click.option("--recipient", help='Watermark naming the circle, e.g. "Raad, 3 dec".')
@click.option("--encrypt", is_flag=True, help="Encrypt; asks for a passphrase.")
@click.option(
    "--passphrase-file",
    type=InputFile(),
    help="Read the passphrase from the first line of this file (implies "
    "--encrypt; UTF-8 or Windows cp1252, trailing spaces ignored).",
)
@click.option("--tiles", metavar="URL", help="External XYZ basemap (reveals area).")
@click.option(
    "--basemap",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your own tile set (MBTiles or GeoPackage raster tiles): the tiles "
    "around the candidates go inside the map, encrypted with it; nothing is "
    "fetched.",
)
@click.option(
    "--basemap-budget-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_BUDGET_MB,
    show_default=True,
    help="Most megabytes of basemap tiles to put in the map.",
)
@click.option("--title", help="Map title (default: the scan's title).")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace OUT when it is a map kansenkaart wrote (never another file).",
)
def map_command(  # noqa: PLR0917 - click passes each option as an argument
    result_dir: Path,
    out: Path,
    recipient: str | None,
    encrypt: bool,
    passphrase_file: Path | None,
    tiles: str | None,
    basemap: Path | None,
    basemap_budget_mb: float,
    title: str | None,
    overwrite: bool,
) -> None:
    """Write an interactive, self-contained map of a scan in RESULT_DIR.

    The map opens from disk without internet. Use --encrypt for closed
    sessions and --recipient to name the circle it is made for.
    """
    passphrase = None
    if passphrase_file is not None:
        passphrase = read_passphrase_file(passphrase_file)
    elif encrypt:
        passphrase = _prompt_passphrase()
    if tiles:
        host = tiles.split("/")[2] if "//" in tiles else tiles
        click.echo("Warning: " + TILES_WARNING.format(host=host), err=True)
    path = render_map(
        result_dir,
        out,
        recipient=recipient,
        passphrase=passphrase,
        tiles=tiles,
        title=title,
        overwrite=overwrite,
        basemap=basemap,
        basemap_budget_mb=basemap_budget_mb,
    )
    kind = "Encrypted map" if passphrase is not None else "Map"
    click.echo(f"{kind} written to {path} ({path.stat().st_size / 1e6:.1f} MB).")
    if passphrase is not None:
        click.echo("Share the passphrase separately from the file.")
