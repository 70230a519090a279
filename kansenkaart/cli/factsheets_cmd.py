"""``kansenkaart factsheets``: one A4 page per top candidate, as a PDF."""

from __future__ import annotations

from pathlib import Path

import click

from kansenkaart.render.factsheets import write_factsheets

__all__ = ["factsheets_command"]


@click.command("factsheets")
@click.argument(
    "result_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF file to write, e.g. sites.pdf.",
)
@click.option(
    "--top",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many of the best ranked candidates get a page.",
)
@click.option("--recipient", help='Watermark naming the circle, e.g. "Raad, 3 dec".')
@click.option("--overwrite", is_flag=True, help="Replace OUT when it exists.")
def factsheets_command(
    result_dir: Path, out: Path, top: int, recipient: str | None, overwrite: bool
) -> None:
    """Print a factsheet per top candidate of a scan in RESULT_DIR to a PDF.

    Each A4 page shows a map snippet of the site and its surroundings, the
    score and its rank interval, every rule's result with its source, the
    plan areas, the owner class and what is still unknown. Needs Chromium
    (apt-get install chromium) and the extra: pip install "kansenkaart[session]".
    """
    path = write_factsheets(
        result_dir, out, top=top, recipient=recipient, overwrite=overwrite
    )
    click.echo(f"Factsheets written to {path} ({path.stat().st_size / 1e6:.1f} MB).")
