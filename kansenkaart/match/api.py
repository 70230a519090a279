"""One call from files to a written plan (what ``kansenkaart match`` runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from kansenkaart.errors import ConfigError
from kansenkaart.match.model import Policy, WhatIf, horizon_from
from kansenkaart.match.outputs import write_match
from kansenkaart.match.read import read_demand, read_sites, read_units
from kansenkaart.match.run import MatchResult, run_match
from kansenkaart.match.scan_sites import sites_from_result
from kansenkaart.results.folder import check_output_dir

__all__ = ["match_files", "parse_what_if"]


def parse_what_if(fixes: tuple[str, ...] = (), forbid: tuple[str, ...] = ()) -> WhatIf:
    """Parse ``BATCH=SITE@PERIOD`` fixes and ``SITE`` or ``SITE@DATE`` forbids.

    Examples
    --------
    >>> w = parse_what_if(("B3=Valkenburg@2031-Q2",), ("Katwijk-Noord@2029-07",))
    >>> w.fixes, str(w.forbid["Katwijk-Noord"].date())
    ((('B3', 'Valkenburg', '2031-Q2'),), '2029-07-01')
    """
    parsed = []
    for text in fixes:
        batch, eq, rest = text.partition("=")
        site, at, period = rest.rpartition("@")
        if not eq or not at or not batch or not site or not period:
            msg = (
                f"--fix {text!r}: write BATCH=SITE@PERIOD, e.g. B3=Valkenburg@2031-Q2."
            )
            raise ConfigError(msg)
        parsed.append((batch.strip(), site.strip(), period.strip()))
    closed: dict[str, Any] = {}
    for text in forbid:
        site, at, date = text.rpartition("@") if "@" in text else (text, "", "")
        when = pd.NaT
        if at:
            try:
                when = pd.Timestamp(date)
            except ValueError as err:
                msg = f"--forbid {text!r}: write SITE or SITE@YYYY-MM-DD."
                raise ConfigError(msg) from err
        closed[site.strip()] = when
    return WhatIf(fixes=tuple(parsed), forbid=closed)


def match_files(
    sites: str | Path,
    units: str | Path,
    out: str | Path,
    *,
    start: str,
    end: str,
    period: str = "quarter",
    demand: str | Path | None = None,
    policy: Policy | None = None,
    what_if: WhatIf | None = None,
    site_years: float | None = None,
    overwrite: bool = False,
    map_options: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> MatchResult:
    """Read the inputs, run the match and write every output into ``out``.

    Parameters
    ----------
    sites : str or Path
        Sites file (CSV/XLSX/GeoPackage) or a locatiescan result folder.
    units : str or Path
        Unit batches file.
    out : str or Path
        Output folder.
    start, end : str
        Horizon (``2026-01``, ``2041-01``).
    period : {"month", "quarter", "year"}
        Planning period.
    demand : str or Path, optional
        Demand file.
    policy : Policy, optional
        Rules and weights.
    what_if : WhatIf, optional
        Fixes and forbidden sites.
    site_years : float, optional
        Term of sites read from a result folder (the scan's horizon when
        omitted).
    overwrite : bool, default False
        Replace an earlier match in ``out``.
    map_options : dict, optional
        ``recipient`` and ``passphrase`` to write ``map.html``.
    progress : callable, optional
        Receives Dutch progress lines.

    Returns
    -------
    MatchResult
    """
    policy = policy or Policy()
    inputs = [Path(p) for p in (sites, units, demand) if p is not None]
    check_output_dir(Path(out), overwrite=overwrite, inputs=inputs)
    horizon = horizon_from(start, end, period=period)  # type: ignore[arg-type]
    if Path(sites).is_dir():
        site_table = sites_from_result(
            sites,
            available_from=str(horizon.starts[0]),
            years=site_years,
            prep_eur_per_site=policy.prep_eur_per_site,
        )
    else:
        site_table = read_sites(sites, prep_eur_per_site=policy.prep_eur_per_site)
    batch_table = read_units(units)
    demand_table = read_demand(demand) if demand is not None else None
    if progress:
        progress(
            f"ingelezen: {len(site_table.frame)} locaties, "
            f"{len(batch_table.frame)} batches"
        )
    result = run_match(
        site_table,
        batch_table,
        horizon,
        policy=policy,
        demand=demand_table,
        what_if=what_if,
        progress=progress,
    )
    if progress:
        progress("resultaten schrijven")
    write_match(
        result, out, overwrite=overwrite, map_options=map_options, inputs=inputs
    )
    return result
