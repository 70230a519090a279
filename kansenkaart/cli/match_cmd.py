"""``kansenkaart match``: plan relocatable units over temporary sites in time."""

from __future__ import annotations

from pathlib import Path

import click

from kansenkaart.cli.map_cmd import _prompt_passphrase
from kansenkaart.cli.options import InputFile, OutputFolder
from kansenkaart.match.api import match_files, parse_what_if
from kansenkaart.match.model import Policy
from kansenkaart.match.plan import euro_nl
from kansenkaart.render._crypto import read_passphrase_file

__all__ = ["match_command"]


def _passphrase(encrypt: bool, passphrase_file: Path | None) -> str | None:
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    return _prompt_passphrase() if encrypt else None


def _report(result: object, out: Path) -> None:
    s = result.summary  # type: ignore[attr-defined]
    sol, opt, base = s["solver"], s["plan"], s["greedy"]
    click.echo(
        f"Oplosser: {sol['status']}, doel {euro_nl(sol['objective'])}, "
        f"grens {euro_nl(sol['bound'])}, gat {100 * sol['gap']:.2f} %."
    )
    for name, fig in (("Optimaal", opt), ("Handmatig (greedy)", base)):
        click.echo(
            f"{name}: {fig['units_housed']} woningen gehuisvest, "
            f"{fig['unit_years_housed']:g} woningjaren, {fig['moves']} "
            f"verhuizingen, kosten {euro_nl(fig['cost_eur'])}."
        )
    names = ["plan.csv", "plan.xlsx", "chains.gpkg", "timeline.png", "summary.json"]
    if (out / "map.html").exists():
        names.append("map.html")
    click.echo(f"Resultaten: {out} ({', '.join(names)}).")


@click.command("match")
@click.option(
    "--sites",
    required=True,
    type=InputFile(dir_okay=True),
    help="Sites: CSV/XLSX/GeoPackage, or a locatiescan result folder.",
)
@click.option(
    "--units",
    required=True,
    type=InputFile(),
    help="Unit batches: CSV/XLSX/GeoPackage.",
)
@click.option(
    "--demand",
    type=InputFile(),
    help="Units needed per region and period (optional).",
)
@click.option("--from", "start", required=True, help="First month, e.g. 2026-01.")
@click.option("--to", "end", required=True, help="End (not included), e.g. 2041-01.")
@click.option(
    "--period",
    type=click.Choice(["quarter", "month", "year"]),
    default="quarter",
    show_default=True,
    help="Planning period.",
)
@click.option("--out", required=True, type=OutputFolder(), help="Output folder.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an earlier result in --out (only a folder kansenkaart wrote).",
)
@click.option(
    "--fix",
    multiple=True,
    metavar="BATCH=SITE@PERIOD",
    help="Put a batch on a site in a period, e.g. B3=Valkenburg@2031-Q2.",
)
@click.option(
    "--forbid",
    multiple=True,
    metavar="SITE[@DATE]",
    help="Do not use a site (from a date on: it closes early).",
)
@click.option(
    "--time-limit",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds the optimiser may take.",
)
@click.option(
    "--min-stay",
    type=float,
    default=2.0,
    show_default=True,
    help="Minimum years a batch stays on a site.",
)
@click.option(
    "--split/--no-split",
    default=False,
    show_default=True,
    help="Let batches split into lots of at least --min-group units.",
)
@click.option("--min-group", type=int, default=15, show_default=True)
@click.option(
    "--max-distance",
    type=float,
    default=60.0,
    show_default=True,
    help="Longest move in km.",
)
@click.option(
    "--demand-mode",
    type=click.Choice(["soft", "hard"]),
    default="soft",
    show_default=True,
    help="hard: demand must be met, or be explained.",
)
@click.option(
    "--site-years",
    type=float,
    help="Term of sites from a result folder (default: the scan's horizon).",
)
@click.option("--map", "with_map", is_flag=True, help="Also write map.html (offline).")
@click.option("--recipient", help='Watermark on the map, e.g. "Raad, 3 dec".')
@click.option("--encrypt", is_flag=True, help="Encrypt the map; asks for a passphrase.")
@click.option(
    "--passphrase-file",
    type=InputFile(),
    help="Read the map passphrase from the first line of this file (implies "
    "--encrypt; UTF-8 or Windows cp1252, trailing spaces ignored).",
)
def match_command(  # noqa: PLR0917 - click passes each option as an argument
    sites: Path,
    units: Path,
    demand: Path | None,
    start: str,
    end: str,
    period: str,
    out: Path,
    overwrite: bool,
    fix: tuple[str, ...],
    forbid: tuple[str, ...],
    time_limit: float,
    min_stay: float,
    split: bool,
    min_group: int,
    max_distance: float,
    demand_mode: str,
    site_years: float | None,
    with_map: bool,
    recipient: str | None,
    encrypt: bool,
    passphrase_file: Path | None,
) -> None:
    """Match relocatable units to temporary sites over time ("treintjes").

    Plans per period which batch stands on which site, and where it moves
    when a site's term ends, with an optimiser (HiGHS); compares with doing
    it by hand (best-scored free site first). Writes plan.csv/xlsx,
    chains.gpkg, timeline.png/svg, summary.json and, with --map, map.html.
    """
    policy = Policy(
        time_limit_s=time_limit,
        min_stay_years=min_stay,
        split=split,
        min_group_units=min_group,
        max_distance_km=max_distance,
        demand=demand_mode,
    )
    passphrase = _passphrase(encrypt, passphrase_file)
    map_options = None
    if with_map or passphrase is not None or recipient:
        map_options = {"recipient": recipient, "passphrase": passphrase}
    result = match_files(
        sites,
        units,
        out,
        start=start,
        end=end,
        period=period,
        demand=demand,
        policy=policy,
        what_if=parse_what_if(fix, forbid),
        site_years=site_years,
        overwrite=overwrite,
        map_options=map_options,
        progress=lambda text: click.echo(f"… {text}", err=True),
    )
    _report(result, out)
