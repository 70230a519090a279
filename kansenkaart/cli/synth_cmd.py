"""``kansenkaart synth``: write a synthetic province for benchmarks and tests."""

from __future__ import annotations

from pathlib import Path

import click

from kansenkaart.synth import generate_province, write_province

__all__ = ["synth_command"]


@click.command(name="synth")
@click.option(
    "--parcels",
    "n_parcels",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Number of parcels (a province like Zuid-Holland: 1000000).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output folder (created when missing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "gpkg"]),
    default="parquet",
    show_default=True,
    help="File format of the parcels, buildings and zoning layers.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing files.")
def synth_command(
    n_parcels: int, seed: int, out_dir: Path, fmt: str, overwrite: bool
) -> None:
    """Write a synthetic province (parcels, buildings, zoning, ownership, vacancy).

    The layers are in the canonical schemas and EPSG:28992; the same seed
    always gives the same files.
    """
    province = generate_province(n_parcels, seed=seed)
    files = write_province(province, out_dir, format=fmt, overwrite=overwrite)  # type: ignore[arg-type]
    for name, path in files.items():
        click.echo(f"{name}\t{path}")
