"""Paths of the embedded default data and shipped scan definitions.

The data live in the repository's ``data/`` and ``scans/`` folders. From a
source checkout (or an editable install) they are found beside the package;
a regular install copies them to ``<prefix>/share/kansenkaart/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kansenkaart.errors import DataSourceError

__all__ = ["data_path", "default_inputs", "scan_path"]

_HERE = Path(__file__).resolve().parent


def _root(sub: str) -> Path:
    for base in (_HERE.parent, Path(sys.prefix) / "share" / "kansenkaart"):
        if (base / sub).is_dir():
            return base / sub
    msg = (
        f"the embedded '{sub}' folder was not found beside the package or in "
        f"{Path(sys.prefix) / 'share' / 'kansenkaart'}. Reinstall kansenkaart "
        "from its repository (pip install .)."
    )
    raise DataSourceError(msg)


def data_path(name: str) -> Path:
    """Path of an embedded data file, e.g. ``data_path("natura2000_...gpkg")``."""
    path = _root("data") / name
    if not path.exists():
        raise DataSourceError(f"embedded data file {name!r} not found in {path.parent}")
    return path


def scan_path(name: str) -> Path:
    """Path of a shipped scan definition (``objectscan`` or ``locatiescan``)."""
    path = _root("scans") / f"{name.removesuffix('.toml')}.toml"
    if not path.exists():
        raise DataSourceError(f"scan definition {name!r} not found in {path.parent}")
    return path


def default_inputs() -> dict[str, list[Path] | Path]:
    """The embedded real data used by ``kansenkaart scan`` without arguments.

    Katwijk-Valkenburg (3DBAG buildings and two IMRO plans) and Amsterdam
    buurt BU03638600 (bag-light buildings and DKK parcels), with Natura 2000,
    rijksmonumenten and CBS municipalities as context.
    """
    return {
        "buildings": [
            data_path("amsterdam_BU03638600_bag_panden.gpkg"),
            data_path("katwijk_valkenburg_3dbag_tile_8-296-632_panden.gpkg"),
        ],
        "parcels": [data_path("amsterdam_BU03638600_brk_percelen.gpkg")],
        "zoning": [
            data_path("katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg"),
            data_path("katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg"),
        ],
        "natura2000": data_path(
            "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg"
        ),
        "monuments": data_path("rijksmonumenten_boerderijen_nabij_n2000.gpkg"),
        "municipalities": data_path("cbs_gemeenten_2022_simplified_wgs84.geojson"),
    }
