"""The ``kansenkaart`` command line.

Commands only parse options, call one library function and report. Errors of
the package (:class:`kansenkaart.errors.KansenkaartError`) are printed without
a traceback and exit with status 1; ``--debug`` shows the traceback. An
interrupt (Ctrl+C) exits with status 130 without a traceback. Warnings are
printed as one line (their category and message), never with a Python source
line.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Any

import click

from kansenkaart._version import __version__
from kansenkaart.errors import KansenkaartError

__all__ = ["cli"]


class _Group(click.Group):
    """Click group that turns package errors into one clear line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KansenkaartError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {err}", err=True)
            click.echo("(run with --debug for the full traceback)", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("\nInterrupted; nothing was written.", err=True)
            sys.exit(130)


def _show_warning(  # noqa: PLR0917 - the signature of warnings.showwarning
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print a warning as one line (its message), never with a source line."""
    if logging.getLogger("kansenkaart").isEnabledFor(logging.WARNING):
        click.echo(f"Warning: {message}", err=True)


def _configure_logging(verbose: int, quiet: int) -> None:
    level = logging.WARNING - 10 * verbose + 10 * quiet
    logging.basicConfig(
        level=max(level, logging.DEBUG),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    warnings.showwarning = _show_warning


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kansenkaart")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Less log output.")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int, debug: bool) -> None:
    """Kansenkaart: find and rank sites for flexwonen in the Netherlands.

    Start with `kansenkaart scan` to run the default scan on the embedded
    data, or `kansenkaart layers inspect FILE` to check your own inputs.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    _configure_logging(verbose, quiet)


def _register() -> None:
    # imported here, after the group exists; an import error is a bug and
    # must surface, never silently remove a command
    from kansenkaart.cli.factsheets_cmd import factsheets_command  # noqa: PLC0415
    from kansenkaart.cli.fetch_cmd import fetch_command  # noqa: PLC0415
    from kansenkaart.cli.layers_cmd import layers  # noqa: PLC0415
    from kansenkaart.cli.map_cmd import map_command  # noqa: PLC0415
    from kansenkaart.cli.match_cmd import match_command  # noqa: PLC0415
    from kansenkaart.cli.prepare_cmd import prepare_command  # noqa: PLC0415
    from kansenkaart.cli.scan_cmd import rules, scan  # noqa: PLC0415
    from kansenkaart.cli.synth_cmd import synth_command  # noqa: PLC0415

    for command in (
        fetch_command,
        layers,
        prepare_command,
        scan,
        rules,
        map_command,
        match_command,
        synth_command,
        factsheets_command,
    ):
        cli.add_command(command)


_register()
