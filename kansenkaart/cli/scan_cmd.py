"""``kansenkaart scan`` and ``kansenkaart rules``: run scans, list rules."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from kansenkaart.cli.options import (
    ISO_DATE,
    NON_NEGATIVE,
    InputFile,
    LayerPair,
    OutputFolder,
    ZoningInput,
)

__all__ = ["rules", "scan"]

_FILE = InputFile()
_FILE_OR_DB = InputFile(db_ok=True)
_FILE_FOLDER_OR_DB = InputFile(dir_okay=True, db_ok=True)


class _FileOrPrepared(InputFile):
    """An existing input file, or a folder made by ``kansenkaart prepare``."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Path | str:
        """Return the path of a file or prepared folder, or fail saying why not."""
        from kansenkaart.prepare import is_prepared  # noqa: PLC0415

        if isinstance(value, str | Path) and is_prepared(value):
            return Path(value)
        return super().convert(value, param, ctx)


_FILE_OR_PREPARED = _FileOrPrepared(db_ok=True)


def _common(func: Any) -> Any:
    options = [
        click.option(
            "--buildings",
            multiple=True,
            type=_FILE_FOLDER_OR_DB,
            help=(
                "BAG / bag-light / LV-BAG XML / 3DBAG file, or a PostGIS URL "
                "(postgresql://user@host/db: NLExtract's BAG tables; "
                "?table=schema.table for one table or view) (repeatable)."
            ),
        ),
        click.option(
            "--parcels",
            multiple=True,
            type=_FILE_OR_PREPARED,
            help="DKK parcels, GeoPackage or GML, postgresql://...?table=..., "
            "or a folder made by `kansenkaart prepare` (then it holds every "
            "layer) (repeatable).",
        ),
        click.option(
            "--zoning",
            multiple=True,
            type=ZoningInput(),
            help=(
                "IMRO plan (GML or GeoPackage) or omgevingsplan / verordening "
                "(STOP/TPOD folder or zip with manifest-ow.xml) (repeatable)."
            ),
        ),
        click.option(
            "--layer",
            "layer",
            multiple=True,
            type=LayerPair(),
            help="Other layer, e.g. natura2000=n2k.gpkg, noise=lden.tif, "
            "buurten=buurten.gpkg, monuments=postgresql://...?table=... "
            "(repeatable).",
        ),
        click.option(
            "--coverage",
            "coverage",
            multiple=True,
            type=LayerPair(),
            help="Where a layer is complete, as a polygon file, e.g. "
            "monuments=gemeente.gpkg (repeatable). Outside it the layer's rules "
            "are 'niet beoordeeld'. Default: the plan boundary for zoning, the "
            "extent of the file for buildings and parcels, all of NL for layers "
            "the scan file declares national.",
        ),
        click.option(
            "--ownership",
            type=_FILE,
            help="Ownership table (CSV/GeoPackage: parcel id, owner class).",
        ),
        click.option(
            "--vacancy",
            type=_FILE,
            help="Vacancy table (CSV: BAG pand or verblijfsobject id, vacant since). "
            "Verblijfsobjecten are counted per pand: add a pand_id column, or pass "
            "the BAG verblijfsobjecten with --layer units=VBO.xml.",
        ),
        click.option(
            "--scan",
            "scan_file",
            type=_FILE,
            help="Scan definition (TOML); the shipped one by default.",
        ),
        click.option(
            "--area", help="CBS gemeente/buurt code (GM0537) or a polygon file."
        ),
        click.option(
            "--out",
            "out_dir",
            type=OutputFolder(db_ok=True),
            help="Output folder (default: a new folder here), or a PostGIS schema "
            "postgresql://user@host/db?schema=NAME (one transaction).",
        ),
        click.option(
            "--overwrite",
            is_flag=True,
            help="Replace a previous result folder: only the files a scan "
            "writes; a folder holding other files is refused.",
        ),
        click.option(
            "--sensitivity",
            type=NON_NEGATIVE,
            default=0,
            show_default=True,
            help="Monte Carlo runs of weight perturbation (±25 %).",
        ),
        click.option(
            "--seed",
            type=NON_NEGATIVE,
            default=0,
            show_default=True,
            help="Seed of the sensitivity runs.",
        ),
        click.option(
            "--reference-date",
            type=ISO_DATE,
            help="'Today' for vacancy durations (YYYY-MM-DD).",
        ),
        click.option(
            "--engine",
            type=click.Choice(["auto", "fast", "partitioned", "dask"]),
            default="auto",
            show_default=True,
            help="fast: this machine, in spatial chunks on all cores; "
            "partitioned: a folder made by `kansenkaart prepare`, one part at a "
            "time on worker processes (national scans); dask: spatial partitions "
            "on a Dask cluster (see --scheduler); auto: partitioned for a large "
            "prepared folder, else fast.",
        ),
        click.option(
            "--scheduler",
            metavar="ADDRESS",
            help="Dask scheduler of an existing cluster (tcp://host:8786); "
            "with --engine dask and no address a local cluster is started.",
        ),
        click.option(
            "--map",
            "make_map",
            is_flag=True,
            help="Also write map.html (unencrypted; for closed sessions use "
            "`kansenkaart map --encrypt`).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run(default_scan: str, opts: dict[str, Any]) -> Path | str:
    from kansenkaart.datasets import scan_path  # noqa: PLC0415
    from kansenkaart.sources.layers import ScanInputs  # noqa: PLC0415

    layers = dict(opts["layer"])
    for name in ("ownership", "vacancy"):
        if opts.get(name):
            layers[name] = opts[name]
    inputs = ScanInputs(
        buildings=list(opts["buildings"]),
        parcels=list(opts["parcels"]),
        zoning=list(opts["zoning"]),
        layers=layers,
        area=opts.get("area"),
        coverage=dict(opts.get("coverage") or ()),
    )
    out = opts["out_dir"] or Path(
        f"kansenkaart-{default_scan}-{datetime.now():%Y%m%d-%H%M%S}"
    )
    return _execute(
        opts.get("scan_file") or scan_path(default_scan),
        inputs,
        out,
        opts,
    )


def _execute(
    scan_file: Path, inputs: Any, out: Path | str, opts: dict[str, Any]
) -> Path | str:
    from kansenkaart.pipeline import scan_to_folder  # noqa: PLC0415

    quiet = click.get_current_context().find_root().params.get("quiet", 0)
    steps = ["lezen", "kandidaten", "regels", "scoren", "schrijven"]
    with click.progressbar(
        length=len(steps) + 8,
        label=f"scan {Path(scan_file).stem}",
        file=sys.stderr,
        hidden=bool(quiet),
    ) as bar:
        result, path = scan_to_folder(
            scan_file,
            inputs,
            out,
            overwrite=opts["overwrite"],
            map_options={} if opts["make_map"] else None,
            sensitivity_runs=opts["sensitivity"],
            seed=opts["seed"],
            reference_date=opts.get("reference_date"),
            progress=lambda _text: bar.update(1),
            engine=opts.get("engine", "auto"),
            scheduler=opts.get("scheduler"),
        )
        bar.update(len(steps) + 8)
    s = result.summary
    click.echo(
        f"{s['scan']['title']}: {s['candidates_in']} kandidaten — "
        f"{s['scored']} gescoord, {s['unknown']} onbekend, {s['excluded']} uitgesloten."
    )
    part = s.get("completeness", {}).get("scored_partly_assessed", 0)
    if part:
        click.echo(
            f"Van de gescoorde kandidaten zijn er {part} op een deel van de criteria "
            "beoordeeld (zie score_max en assessed_nl)."
        )
    click.echo(f"Resultaten: {path.resolve() if isinstance(path, Path) else path}")
    return path


@click.group(invoke_without_command=True)
@click.option(
    "--out", "out_dir", type=OutputFolder(), help="Output folder for the default run."
)
@click.option(
    "--map/--no-map",
    "make_map",
    default=True,
    show_default=True,
    help="Write map.html in the default run.",
)
@click.pass_context
def scan(ctx: click.Context, out_dir: Path | None, make_map: bool) -> None:
    """Run a scan. Without a subcommand: both scans on the embedded real data.

    The default run writes a new folder under the current directory with one
    subfolder per scan (objectscan, locatiescan) and prints where it is.
    """
    if ctx.invoked_subcommand is not None:
        return
    from kansenkaart.datasets import default_inputs, scan_path  # noqa: PLC0415
    from kansenkaart.results import check_output_dir  # noqa: PLC0415
    from kansenkaart.sources.layers import ScanInputs  # noqa: PLC0415

    base = out_dir or Path(f"kansenkaart-{datetime.now():%Y%m%d-%H%M%S}")
    check_output_dir(base, overwrite=False)
    d = default_inputs()
    context = {k: d[k] for k in ("natura2000", "monuments", "municipalities")}
    opts = {"sensitivity": 100, "seed": 0, "overwrite": False, "make_map": make_map}
    obj = ScanInputs(buildings=d["buildings"], zoning=d["zoning"], layers=dict(context))
    site = ScanInputs(
        parcels=d["parcels"],
        zoning=d["zoning"],
        buildings=d["buildings"],
        layers=dict(context),
    )
    _execute(scan_path("objectscan"), obj, base / "objectscan", opts)
    _execute(scan_path("locatiescan"), site, base / "locatiescan", opts)
    click.echo(
        f"Klaar. Open {base.resolve()}/*/map.html in een browser "
        "of candidates.gpkg in QGIS."
    )


@scan.command("objects")
@_common
def scan_objects(**opts: Any) -> None:
    """Local object scan: which existing buildings can become (temporary) homes."""
    _run("objectscan", opts)


@scan.command("sites")
@_common
def scan_sites(**opts: Any) -> None:
    """Regional site scan: which land can carry relocatable homes for 10-15 years."""
    _run("locatiescan", opts)


@click.group()
def rules() -> None:
    """Show the rules of a scan definition."""


@rules.command("list")
@click.option(
    "--scan",
    "scan_file",
    type=_FILE,
    help="Scan definition (TOML); default: objectscan.",
)
def rules_list(scan_file: Path | None) -> None:
    """Print the rules of a scan as a table (id, kind, weight, title, source)."""
    from kansenkaart.datasets import scan_path  # noqa: PLC0415
    from kansenkaart.rules.definition import load_scan  # noqa: PLC0415

    definition = load_scan(scan_file or scan_path("objectscan"))
    click.echo(
        f"{definition.title} (versie {definition.version}, {definition.unit}, "
        f"regime {definition.regime}, horizon {definition.horizon_years:g} jaar)"
    )
    header = f"{'id':22} {'soort':6} {'gewicht':>7}  titel / bron"
    click.echo(header)
    click.echo("-" * len(header))
    for r in definition.rules:
        weight = f"{r.weight:g}" if r.kind == "score" else ""
        extra = "" if definition.regime in r.regimes else "  [n.v.t. in dit regime]"
        if r.kind == "veto" and r.on_unknown == "flag":
            extra += "  [niet te beoordelen: gemarkeerd, niet onbekend]"
        click.echo(f"{r.id:22} {r.kind:6} {weight:>7}  {r.title}{extra}")
        click.echo(f"{'':38}bron: {r.source}")
        if r.note:
            click.echo(f"{'':38}let op: {r.note}")
