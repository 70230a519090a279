"""Detect what a file holds (its layer kind and format) and pick its reader.

Detection looks at the extension first, then at the layer names and columns
(GeoPackage, GeoParquet) or at the XML namespaces in the first kilobytes (GML,
LV-BAG XML). Every reader is registered in :data:`READERS` under the format
name that ``kansenkaart layers inspect`` prints.
"""

from __future__ import annotations

import gzip
import importlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kansenkaart.errors import DataSourceError
from kansenkaart.io._vector import layer_info, list_layers
from kansenkaart.io.stop_tpod import is_stop_tpod

__all__ = ["READERS", "SUPPORTED", "Detected", "detect_format", "get_reader"]

#: Extension -> description, shown when a file type is not supported.
SUPPORTED: dict[str, str] = {
    ".gpkg": "GeoPackage (BAG, bag-light, 3DBAG, DKK, IMRO, context layers)",
    ".gml": "GML (DKK v4/v5 kadastrale kaart, IMRO2008/IMRO2012 plans)",
    ".xml": "LV-BAG 2.0 XML extract (PND/VBO)",
    ".zip": "zipped LV-BAG 2.0 XML extract, or a STOP/TPOD omgevingsplan package",
    "(folder)": "LV-BAG 2.0 XML folder, or a STOP/TPOD package (manifest-ow.xml)",
    ".json": "CityJSON tile (3DBAG) or GeoJSON",
    ".json.gz": "gzipped CityJSON tile (3DBAG)",
    ".geojson": "GeoJSON (boundaries, context layers)",
    ".parquet": "GeoParquet (canonical layers)",
    ".fgb": "FlatGeobuf (context layers)",
    ".csv": "CSV table (ownership, vacancy)",
    ".tif": "GeoTIFF raster (e.g. noise Lden)",
    ".tiff": "GeoTIFF raster (e.g. noise Lden)",
}

#: format name -> (layer kind, "module:function") of its reader.
READERS: dict[str, tuple[str, str]] = {
    "bag-gpkg": ("buildings", "kansenkaart.io.bag:read_bag_gpkg"),
    "bag-light": ("buildings", "kansenkaart.io.bag:read_bag_light"),
    "lvbag-xml": ("buildings", "kansenkaart.io.bag_xml:read_lvbag_xml"),
    "3dbag-gpkg": ("buildings", "kansenkaart.io.threedbag:read_3dbag_gpkg"),
    "3dbag-cityjson": ("buildings", "kansenkaart.io.threedbag:read_3dbag_cityjson"),
    "dkk-gpkg": ("parcels", "kansenkaart.io.dkk:read_dkk_gpkg"),
    "dkk-gml": ("parcels", "kansenkaart.io.dkk:read_dkk_gml"),
    "imro-gml": ("zoning", "kansenkaart.io.imro:read_imro_gml"),
    "imro-gpkg": ("zoning", "kansenkaart.io.imro:read_imro_gpkg"),
    "stop-tpod": ("zoning", "kansenkaart.io.stop_tpod:read_stop_tpod"),
    "canonical-parquet": (
        "buildings|parcels|zoning",
        "kansenkaart.io.parquet:read_canonical_parquet",
    ),
    "ownership": ("context", "kansenkaart.io.ownership:read_ownership"),
    "vacancy": ("context", "kansenkaart.io.vacancy:read_vacancy"),
    "vector": ("context", "kansenkaart.io.context:read_context"),
    "geotiff": ("raster", "kansenkaart.io.raster:read_raster_info"),
}


@dataclass(frozen=True, slots=True)
class Detected:
    """What a file was recognised as.

    Attributes
    ----------
    kind : str
        ``buildings``, ``parcels``, ``zoning``, ``context`` or ``raster``.
    format : str
        Key of :data:`READERS`.
    path : Path
        The file.
    """

    kind: str
    format: str
    path: Path


def get_reader(fmt: str) -> Callable[..., Any]:
    """Import and return the reader function registered for ``fmt``."""
    module, func = READERS[fmt][1].split(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for ext in (".city.json.gz", ".json.gz", ".city.json"):
        if name.endswith(ext):
            return ".json.gz" if ext.endswith(".gz") else ".json"
    return path.suffix.lower()


def _head(path: Path, n: int = 16384) -> str:
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rb") as fh:
            return fh.read(n).decode("utf-8", "replace")
    with path.open("rb") as fh:
        return fh.read(n).decode("utf-8", "replace")


def _from_xml_head(head: str) -> str | None:
    if "standaarden.overheid.nl/stop/imop/geo" in head:  # a GIO on its own
        return "stop-tpod"
    if "geonovum.nl/imro" in head:
        return "imro-gml"
    if "kadaster.nl/schemas/brkkadastralekaart" in head or "kadastralekaart" in head:
        return "dkk-gml"
    if "lvbag" in head or "bag-extract" in head:
        return "lvbag-xml"
    return None


def _from_gpkg(path: Path) -> str:
    layers = list_layers(path)
    lower = {name.lower() for name in layers}
    if {"pand", "verblijfsobject"} <= lower:
        return "bag-gpkg"
    if lower & {"enkelbestemming", "bestemmingsplangebied", "dubbelbestemming"}:
        return "imro-gpkg"
    fields = (
        {str(f) for f in layer_info(path, layers[0])["fields"]} if layers else set()
    )
    return _from_columns(fields)


def _from_columns(fields: set[str]) -> str:
    lower = {f.lower() for f in fields}
    if any(f.startswith("b3_") for f in lower):
        return "3dbag-gpkg"
    if {"gebruiksdoel", "aantal_verblijfsobjecten"} <= lower:
        return "bag-light"
    if {f.replace("_", "") for f in lower} & _DKK_HINTS:
        return "dkk-gpkg"  # its reader names any missing DKK column
    if "owner_class" in lower or "eigenaarklasse" in lower:
        return "ownership"
    return "vector"


#: Columns only a DKK parcel layer has (lower case, underscores removed).
_DKK_HINTS = frozenset(
    {"perceelnummer", "kadastralegroottewaarde", "akrkadastralegemeentecodewaarde"}
)


def _check_path(path: Path) -> None:
    """Refuse a missing, looping, empty or unreadable path with its reason."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            msg = f"{path}: a symbolic link that points to itself (a symlink loop)."
            raise DataSourceError(msg) from None
        except OSError:
            msg = f"{path}: a symbolic link to a file that does not exist."
            raise DataSourceError(msg) from None
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    if path.is_file() and path.stat().st_size == 0:
        msg = f"{path}: empty file (0 bytes). Download or export it again."
        raise DataSourceError(msg)


def _from_folder(path: Path) -> str:
    if _is_stop_tpod_dir(path):
        return "stop-tpod"
    if any(p.suffix.lower() in (".xml", ".zip") for p in path.iterdir()):
        return "lvbag-xml"
    msg = (
        f"{path}: is a folder, not a file (and holds no LV-BAG XML files and no "
        "STOP/TPOD manifest-ow.xml). "
        "Give the file itself."
    )
    raise DataSourceError(msg)


def _from_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n.lower() for n in zf.namelist()]
    except zipfile.BadZipFile as err:
        msg = f"{path}: not a readable zip file ({err}). Download it again."
        raise DataSourceError(msg) from err
    if is_stop_tpod(names):
        return "stop-tpod"
    if any(("pnd" in n or "vbo" in n) and n.endswith((".xml", ".zip")) for n in names):
        return "lvbag-xml"
    msg = (
        f"{path}: the zip holds no LV-BAG PND/VBO XML files and no STOP/TPOD "
        "manifest-ow.xml "
        f"(found: {', '.join(names[:5]) or 'nothing'}). Unzip it and pass the "
        "files themselves."
    )
    raise DataSourceError(msg)


def _is_stop_tpod_dir(path: Path) -> bool:
    return any(True for _ in path.rglob("manifest-ow.xml"))


def _unsupported(path: Path) -> DataSourceError:
    kinds = "\n".join(f"  {ext:9} {desc}" for ext, desc in SUPPORTED.items())
    return DataSourceError(
        f"{path}: unsupported file type {_suffix(path) or '(no extension)'!r}. "
        f"Supported formats:\n{kinds}"
    )


def _csv_format(path: Path) -> str:
    header = _head(path, 4096).lstrip("\ufeff").splitlines()[:1]
    cols = {
        c.strip().strip('"').lower()
        for c in (header[0] if header else "").replace(";", ",").split(",")
    }
    if cols & {"vacant_since", "leegstand_sinds", "leeg_sinds"}:
        return "vacancy"
    if cols & {"owner_class", "eigenaarklasse", "eigenaar_klasse"}:
        return "ownership"
    msg = (
        f"{path}: a CSV is read as an ownership table (columns parcel_id, "
        "owner_class) or a vacancy table (columns building_id, vacant_since); "
        f"found columns {', '.join(sorted(cols))}."
    )
    raise DataSourceError(msg)


def _parquet_format(path: Path) -> str:
    import pyarrow.parquet as pq  # noqa: PLC0415 - only needed for GeoParquet

    try:
        names = set(pq.read_schema(path).names)
    except (OSError, ValueError) as err:
        msg = f"{path}: cannot be read as GeoParquet ({err})."
        raise DataSourceError(msg) from err
    if names & {"building_id", "parcel_id", "object_id"}:
        return "canonical-parquet"
    return _from_columns(names)


def _json_format(path: Path) -> str:
    head = _head(path, 65536).replace(" ", "")
    is_city = '"CityJSON"' in head or '"CityObjects"' in head
    return "3dbag-cityjson" if is_city else "vector"


def _xml_format(path: Path) -> str | None:
    return _from_xml_head(_head(path))


def _fixed(fmt: str) -> Callable[[Path], str]:
    return lambda _path: fmt


#: Extension -> how to tell the format of such a file (None: not recognised).
_BY_EXTENSION: dict[str, Callable[[Path], str | None]] = {
    ".gpkg": _from_gpkg,
    ".gml": _xml_format,
    ".xml": _xml_format,
    ".zip": _from_zip,
    ".json": _json_format,
    ".json.gz": _json_format,
    ".geojson": _json_format,
    ".parquet": _parquet_format,
    ".fgb": _fixed("vector"),
    ".csv": _csv_format,
    ".tif": _fixed("geotiff"),
    ".tiff": _fixed("geotiff"),
}


def detect_format(path: str | Path) -> Detected:
    """Recognise the layer kind and format of ``path``.

    Raises
    ------
    DataSourceError
        When the file does not exist or its type is not supported; the message
        lists the supported formats.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> found = detect_format(data_path("amsterdam_BU03638600_brk_percelen.gpkg"))
    >>> found.kind, found.format
    ('parcels', 'dkk-gpkg')
    """
    path = Path(path)
    _check_path(path)
    if path.is_dir():
        fmt: str | None = _from_folder(path)
    else:
        finder = _BY_EXTENSION.get(_suffix(path))
        if finder is None:
            raise _unsupported(path)
        fmt = finder(path)
    if fmt is None and not _head(path, 4096).strip("\ufeff \t\r\n\x00"):
        msg = f"{path}: empty file (no XML content). Download or export it again."
        raise DataSourceError(msg)
    if fmt is None:
        msg = (
            f"{path}: an XML/GML file that is neither IMRO, DKK kadastrale kaart "
            "nor LV-BAG 2.0. Supported: " + "; ".join(SUPPORTED.values())
        )
        raise DataSourceError(msg)
    kind = READERS[fmt][0]
    if fmt == "canonical-parquet":
        from kansenkaart.io.parquet import detect_kind  # noqa: PLC0415

        kind = detect_kind(path)
    return Detected(kind=kind, format=fmt, path=path)
