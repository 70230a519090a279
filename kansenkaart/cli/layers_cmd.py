"""``kansenkaart layers``: look at input files before scanning them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kansenkaart.cli.options import PathOrUrl

__all__ = ["layers"]


@click.group()
def layers() -> None:
    """Inspect input layers (BAG, DKK, IMRO, context, rasters)."""


def _print_human(info: dict[str, Any]) -> None:
    status = "ok" if info["readable"] else "NOT READABLE"
    click.echo(f"{info['path']}  [{status}]")
    click.echo(f"  kind: {info['kind'] or '?'}   format: {info['format'] or '?'}")
    for name, meta in info["layers"].items():
        click.echo(f"  layer {name}: {meta['features']} features, {meta['crs']}")
    if info.get("features") is not None:
        click.echo(f"  features after validation: {info['features']} ({info['crs']})")
    if info.get("bbox"):
        click.echo(
            "  bbox (EPSG:28992): " + ", ".join(f"{v:.1f}" for v in info["bbox"])
        )
    for use, n in sorted(info.get("uses", {}).items(), key=lambda kv: -kv[1]):
        click.echo(f"  gebruiksdoel {use}: {n}")
    for plan in info.get("plans", []):
        _echo_plan(plan)
    for problem in info["problems"]:
        click.echo(f"  ! {problem}")


def _echo_plan(plan: dict[str, Any]) -> None:
    click.echo(
        f"  plan {plan['plan_id']} ({plan['plan_status']}, {plan['plan_date']}): "
        + ", ".join(f"{k} {v}" for k, v in plan["counts"].items())
    )
    for label, key in (("enkelbestemmingen", "main_groups"), ("overlays", "overlays")):
        if plan.get(key):
            items = ", ".join(f"{k} {v}" for k, v in plan[key].items())
            click.echo(f"    {label}: {items}")
    if plan.get("before_2024"):
        click.echo(
            "    let op: plan van voor 2024, nu tijdelijk deel omgevingsplan; "
            "controleer latere wijzigingen in het omgevingsplan"
        )


@layers.command("inspect")
@click.argument("paths", nargs=-1, required=True, type=PathOrUrl())
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input.")
@click.option(
    "--on-invalid",
    type=click.Choice(["raise", "fix", "drop"]),
    default="fix",
    show_default=True,
    help="What to do with invalid geometries.",
)
def inspect_cmd(paths: tuple[Path | str, ...], as_json: bool, on_invalid: str) -> None:
    """Report kind, format, layers, counts, CRS, extent and problems of PATHS.

    Exit status 0 when every file is readable, 1 otherwise.
    """
    from kansenkaart.sources.inspect import inspect_path  # noqa: PLC0415

    ok = True
    for path in paths:
        info = inspect_path(path, on_invalid=on_invalid)
        ok &= bool(info["readable"])
        if as_json:
            click.echo(json.dumps(info, ensure_ascii=False, default=str))
        else:
            _print_human(info)
    if not ok:
        raise SystemExit(1)
