"""Draw a match's site chains on the offline (optionally encrypted) map."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kansenkaart.match.outputs import chain_lines, site_points
from kansenkaart.render._chains import chains_payload, render_chains_page

if TYPE_CHECKING:
    from kansenkaart.match.run import MatchResult

__all__ = ["write_chain_map"]


def write_chain_map(
    result: MatchResult,
    out: Path,
    *,
    recipient: str | None = None,
    passphrase: str | None = None,
) -> Path:
    """Write ``out`` (HTML): chains as lines, sites as points, moves listed.

    Parameters
    ----------
    result : MatchResult
        The match.
    out : Path
        HTML file.
    recipient : str, optional
        Watermark text.
    passphrase : str, optional
        Encrypt the page.

    Returns
    -------
    Path
    """
    h = result.network.horizon
    fig = result.plan.figures
    payload = chains_payload(
        chain_lines(result),
        site_points(result),
        title="Matchplan: treintjes van locaties",
        subtitle=(
            f"{h.label(0)} – {h.label(h.n - 1)}: {fig['units_housed']} woningen, "
            f"{fig['unit_years_housed']:g} woningjaren, {fig['moves']} verhuizingen"
        ),
        attribution=result.summary.get("attribution", []),
    )
    out.write_text(
        render_chains_page(payload, recipient=recipient, passphrase=passphrase),
        encoding="utf-8",
    )
    return out
