"""``kansenkaart fetch``: download an area's inputs from PDOK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kansenkaart.fetch.config import load_config
from kansenkaart.fetch.run import fetch_area

__all__ = ["fetch_command"]


class _Bars:
    """One progress bar per collection; a running count when the total is unknown."""

    def __init__(self) -> None:
        self.layer: str | None = None
        self.bar: Any = None
        self.shown = 0

    def __call__(self, layer: str, done: int, total: int | None) -> None:
        if layer != self.layer:
            self.close()
            self.layer, self.shown = layer, 0
            self.bar = click.progressbar(
                length=total or 0,
                label=f"{layer:<16}",
                show_pos=True,
                show_percent=bool(total),
                file=click.get_text_stream("stderr"),
            )
            self.bar.__enter__()
        if total and self.bar.length != total:
            self.bar.length = total
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _urls(values: tuple[str, ...]) -> dict[str | None, str]:
    out: dict[str | None, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if sep and not name.startswith(("http:", "https:")):
            out[name] = url
        else:
            out[None] = value
    return out


@click.command("fetch")
@click.option(
    "--area",
    required=True,
    help=(
        "Gemeente (GM0537), wijk (WK053700) or buurt (BU05370001) code, a bbox "
        "'minx,miny,maxx,maxy' in RD New metres, or a polygon file."
    ),
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the GeoPackages and manifest.json.",
)
@click.option(
    "--layers",
    "layers",
    multiple=True,
    help="Only these layers (pand, perceel, natura2000, ...; repeatable).",
)
@click.option(
    "--service-url",
    "service_urls",
    multiple=True,
    metavar="[NAME=]URL",
    help=(
        "Another address for the services: one URL for all, or NAME=URL for one "
        "(bag, dkk, natura2000, rce, cbs). For a mirror or a test server."
    ),
)
@click.option(
    "--services",
    "services_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Services TOML to use instead of the shipped one.",
)
@click.option("--overwrite", is_flag=True, help="Fetch again into a finished folder.")
def fetch_command(  # noqa: PLR0917 - one argument per option
    area: str,
    out: Path,
    layers: tuple[str, ...],
    service_urls: tuple[str, ...],
    services_file: Path | None,
    overwrite: bool,
) -> None:
    """Download BAG panden, DKK percelen, Natura 2000 and rijksmonumenten for an area.

    Writes one GeoPackage per layer (RD New) and manifest.json (service,
    query, time, counts, licence), then prints the `kansenkaart scan` commands
    that use them. An interrupted fetch resumes when run again.
    """
    config = load_config(services_file).with_urls(_urls(service_urls))
    bars = _Bars()
    try:
        result = fetch_area(
            area, out, config=config, layers=layers, overwrite=overwrite, progress=bars
        )
    finally:
        bars.close()
    for layer in result.manifest["layers"]:
        if layer["skipped"]:
            click.echo(f"{layer['name']}: overgeslagen ({layer['skipped']})")
        else:
            click.echo(f"{layer['name']}: {layer['features']} objecten")
    click.echo(f"Klaar: {out} (zie manifest.json). Draai daarna:")
    for command in result.scan_commands:
        click.echo(f"  {command}")
