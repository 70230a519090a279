"""``kansenkaart prepare``: convert a scan's inputs once for national scans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kansenkaart.cli.options import InputFile, LayerPair

__all__ = ["prepare_command"]

_FILE = InputFile()


@click.command(name="prepare")
@click.option(
    "--buildings", multiple=True, type=_FILE, help="BAG file(s) (repeatable)."
)
@click.option(
    "--parcels", multiple=True, type=_FILE, help="DKK parcel file(s) (repeatable)."
)
@click.option(
    "--zoning", multiple=True, type=_FILE, help="IMRO plan file(s) (repeatable)."
)
@click.option(
    "--layer",
    "layer",
    multiple=True,
    type=LayerPair(),
    help="Other layer, e.g. natura2000=n2k.gpkg (repeatable).",
)
@click.option("--ownership", type=_FILE, help="Ownership table (parcel id, class).")
@click.option("--vacancy", type=_FILE, help="Vacancy table (BAG id, vacant since).")
@click.option(
    "--scan",
    "scan_file",
    type=_FILE,
    help="Scan definition whose [layers.NAME] declare extra layers.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The prepared folder to write.",
)
@click.option(
    "--row-group-rows",
    type=click.IntRange(min=1),
    default=50_000,
    show_default=True,
    help="Features per row group: the piece a worker reads at a time.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing folder.")
def prepare_command(**opts: Any) -> None:
    """Convert inputs into a folder that a national scan reads piece by piece.

    Every layer is sorted by location and split into small pieces with their
    bounding boxes (GeoParquet), so that `kansenkaart scan sites --parcels
    FOLDER` can read one region at a time on several processes instead of the
    whole country at once. The folder records the inputs (with their SHA-256)
    and the kansenkaart version: after a change of either, prepare again.
    """
    from kansenkaart.prepare import prepare_dataset  # noqa: PLC0415
    from kansenkaart.rules.definition import load_scan  # noqa: PLC0415
    from kansenkaart.sources.layers import ScanInputs  # noqa: PLC0415

    layers = dict(opts["layer"])
    for name in ("ownership", "vacancy"):
        if opts[name]:
            layers[name] = opts[name]
    inputs = ScanInputs(
        buildings=list(opts["buildings"]),
        parcels=list(opts["parcels"]),
        zoning=list(opts["zoning"]),
        layers=layers,
    )
    declared = load_scan(opts["scan_file"]).layer_kinds if opts["scan_file"] else None
    quiet = click.get_current_context().find_root().params.get("quiet", 0)
    path = prepare_dataset(
        inputs,
        opts["out_dir"],
        declared=declared,
        row_group_rows=opts["row_group_rows"],
        overwrite=opts["overwrite"],
        progress=None if quiet else lambda text: click.echo(text, err=True),
    )
    click.echo(f"Voorbereid: {path.resolve()}")
    click.echo(f"Scan: kansenkaart scan sites --parcels {path} --out RESULTAAT")
