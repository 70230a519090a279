"""Read buildings from the official LV-BAG 2.0 XML extract (PND and VBO files).

The Kadaster extract comes as a zip of zips (``lvbag-extract-nl.zip`` holding
``9999PND08102020.zip``, ``9999VBO08102020.zip``, ... which hold the XML parts
``9999PND08102020-000001.xml``, ...); a municipal extract has the same shape
with the municipality code instead of ``9999``. Files are recognised by the
name pattern ``<4-digit code><PND|VBO><ddmmyyyy>`` anywhere in their name;
other object types (LIG, STA, NUM, OPR, WPL) are skipped.

The XML is streamed with :func:`xml.etree.ElementTree.iterparse` and every
object is cleared once read, so a municipal or national extract is never held
as one XML tree. Only current voorkomens are kept (see :func:`read_lvbag_xml`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from kansenkaart.crs import RD_NEW
from kansenkaart.errors import DataSourceError
from kansenkaart.io.bag import (
    VBO_GONE_STATUSES,
    aggregate_units,
    clean_building_ids,
    layer_source,
    year_built_from,
)
from kansenkaart.model.schema import BUILDINGS
from kansenkaart.model.validate import OnInvalid, validate_layer

__all__ = ["read_lvbag_units", "read_lvbag_xml"]

logger = logging.getLogger(__name__)

#: ``<municipality code><object type><date>`` in LV-BAG extract file names.
_NAME = re.compile(r"(?P<code>\d{4})(?P<kind>PND|VBO)(?P<date>\d{8})", re.IGNORECASE)
_INACTIVE_TAGS = frozenset(
    {"tijdstipInactief", "tijdstipInactiefLV", "tijdstipNietBagLV"}
)

_OBJECT_TAGS = ("}Pand", "}Verblijfsobject")

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


@dataclass(frozen=True, slots=True)
class _Part:
    """One XML part of the extract: a label for messages and how to open it."""

    label: str
    kind: str  # "PND" or "VBO"
    open: Opener


@dataclass(slots=True)
class _Records:
    """Current voorkomens collected while streaming (one dict per object)."""

    panden: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------
# finding the XML parts: file, sibling files, folder, (nested) zip
# --------------------------------------------------------------------------


def _kind_of(name: str) -> str | None:
    match = _NAME.search(Path(name).name)
    return match["kind"].upper() if match else None


def _zip_parts(label: str, opener: Opener) -> list[_Part]:
    """Parts inside a zip, recursing into zips in zips (streamed, not extracted)."""
    parts: list[_Part] = []
    with opener() as fh:
        try:
            names = sorted(zipfile.ZipFile(fh).namelist())
        except zipfile.BadZipFile as err:
            msg = f"{label}: not a readable zip file ({err}). Download it again."
            raise DataSourceError(msg) from err
    for name in names:
        kind = _kind_of(name)
        if kind is None:
            continue
        inner = _member_opener(opener, name)
        if name.lower().endswith(".zip"):
            parts += _zip_parts(f"{label}!{name}", inner)
        elif name.lower().endswith(".xml"):
            parts.append(_Part(f"{label}!{name}", kind, inner))
    return parts


def _member_opener(outer: Opener, name: str) -> Opener:
    class _Member(AbstractContextManager[IO[bytes]]):
        def __enter__(self) -> IO[bytes]:
            self._outer = outer()
            handle = self._outer.__enter__()
            self._zip = zipfile.ZipFile(handle)
            return self._zip.open(name)

        def __exit__(self, *exc: object) -> None:
            self._zip.close()
            self._outer.__exit__(None, None, None)

    return _Member


def _file_parts(path: Path) -> list[_Part]:
    if path.suffix.lower() == ".zip":
        return _zip_parts(str(path), lambda: path.open("rb"))
    kind = _kind_of(path.name)
    if kind is None:
        # an unconventional name: parse it and take whatever objects it holds
        return [_Part(str(path), "PND", lambda: path.open("rb"))]
    return [_Part(str(path), kind, lambda: path.open("rb"))]


def _siblings(path: Path) -> list[Path]:
    """A PND file and the VBO files next to it with the same code and date."""
    match = _NAME.search(path.name)
    if match is None or match["kind"].upper() != "PND":
        return [path]
    code, date = match["code"], match["date"]
    found = [
        p
        for p in path.parent.iterdir()
        if (m := _NAME.search(p.name))
        and (m["code"], m["date"]) == (code, date)
        and p.suffix.lower() == ".xml"
    ]
    return sorted(set(found) | {path})


def _collect_parts(path: Path) -> list[_Part]:
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    if path.is_dir():
        files = sorted(
            p
            for p in path.iterdir()
            if _kind_of(p.name) and p.suffix.lower() in (".xml", ".zip")
        )
    elif path.suffix.lower() == ".xml":
        files = _siblings(path)
    else:
        files = [path]
    parts = [part for f in files for part in _file_parts(f)]
    if not parts:
        msg = (
            f"{path}: no LV-BAG PND or VBO XML files found (names must contain e.g. "
            "'0221PND15092020' or '9999VBO08102020'). Pass the extract zip, the "
            "folder with the XML parts or a PND XML file."
        )
        raise DataSourceError(msg)
    return parts


# --------------------------------------------------------------------------
# streaming parse
# --------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _voorkomen(elem: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {"inactive": False}
    for child in elem.iter():
        name = _local(child.tag)
        if name == "voorkomenidentificatie":
            out["occurrence"] = int(child.text or 0)
        elif name == "beginGeldigheid":
            out["valid_from"] = child.text
        elif name == "eindGeldigheid":
            out["valid_to"] = child.text
        elif name in _INACTIVE_TAGS:
            out["inactive"] = True
    return out


def _is_current(voorkomen: dict[str, Any], today: str) -> bool:
    """Valid today: begun, not ended, not made inactive."""
    if voorkomen["inactive"]:
        return False
    begin, end = voorkomen.get("valid_from"), voorkomen.get("valid_to")
    return (begin is None or begin[:10] <= today) and (end is None or end[:10] > today)


def _rings(geometry: ET.Element) -> list[np.ndarray]:
    """Exterior ring first, then interior rings, as (n, 2) arrays (Z dropped)."""
    rings = []
    dim = 3
    for elem in geometry.iter():
        name = _local(elem.tag)
        if name == "Polygon" and elem.get("srsDimension"):
            dim = int(elem.get("srsDimension", "3"))
        elif name == "posList" and elem.text:
            dim = int(elem.get("srsDimension", dim))
            values = np.array(elem.text.split(), dtype=float)
            rings.append(values.reshape(-1, dim)[:, :2])
    return rings


def _pand(elem: ET.Element) -> dict[str, Any]:
    rec: dict[str, Any] = {"rings": []}
    for child in elem:
        name = _local(child.tag)
        if name == "identificatie":
            rec["building_id"] = child.text
        elif name == "oorspronkelijkBouwjaar":
            rec["year_built"] = child.text
        elif name == "status":
            rec["status"] = child.text
        elif name == "geometrie":
            rec["rings"] = _rings(child)
        elif name == "voorkomen":
            rec.update(_voorkomen(child))
    return rec


def _unit(elem: ET.Element) -> dict[str, Any]:
    rec: dict[str, Any] = {"uses": [], "pand_refs": []}
    for child in elem:
        name = _local(child.tag)
        if name == "identificatie":
            rec["unit_id"] = child.text
        elif name == "gebruiksdoel":
            rec["uses"].append(child.text)
        elif name == "oppervlakte":
            rec["floor_area_m2"] = child.text
        elif name == "status":
            rec["status"] = child.text
        elif name == "maaktDeelUitVan":
            rec["pand_refs"] += [ref.text for ref in child]
        elif name == "voorkomen":
            rec.update(_voorkomen(child))
    return rec


def _stream(part: _Part, records: _Records, *, today: str | None) -> None:
    """Parse one XML part into ``records``; ``today=None`` keeps every voorkomen."""
    stack: list[ET.Element] = []
    with part.open() as fh:
        try:
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                if event == "start":
                    stack.append(elem)
                    continue
                stack.pop()
                if not elem.tag.endswith(_OBJECT_TAGS):
                    continue
                is_pand = elem.tag.endswith("}Pand")
                rec = _pand(elem) if is_pand else _unit(elem)
                if today is None or _is_current(rec, today):
                    (records.panden if is_pand else records.units).append(rec)
                # free the object and everything already read before it
                elem.clear()
                for ancestor in stack:
                    ancestor.clear()
        except ET.ParseError as err:
            msg = (
                f"{part.label}: not well-formed XML ({err}). "
                "Download the extract again."
            )
            raise DataSourceError(msg) from err


def _parse(parts: list[_Part], *, today: str | None) -> _Records:
    records = _Records()
    for part in parts:
        _stream(part, records, today=today)
        logger.info("%s: parsed", part.label)
    return records


def _latest(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Keep the latest voorkomen (highest voorkomenidentificatie) per object."""
    if frame.empty:
        return frame
    order = frame.sort_values([id_column, "occurrence"], kind="stable")
    return order.drop_duplicates(id_column, keep="last").sort_index()


def _today(as_of: dt.date | None) -> str:
    return (as_of or dt.date.today()).isoformat()


# --------------------------------------------------------------------------
# geometry: all rings in one go with shapely's vectorised constructors
# --------------------------------------------------------------------------


def _polygons(rings_per_pand: list[list[np.ndarray]]) -> np.ndarray:
    """Polygons (with holes) from per-pand ring lists; None where there are none."""
    n_rings = np.array([len(r) for r in rings_per_pand], dtype=np.intp)
    result = np.full(len(rings_per_pand), None, dtype=object)
    flat = [ring for rings in rings_per_pand for ring in rings]
    if not flat:
        return result
    n_coords = np.array([len(ring) for ring in flat], dtype=np.intp)
    coords = np.concatenate(flat)
    rings = shapely.linearrings(
        coords, indices=np.repeat(np.arange(len(flat)), n_coords)
    )
    has = n_rings > 0
    owner = np.repeat(np.arange(int(has.sum())), n_rings[has])
    result[has] = shapely.polygons(rings, indices=owner)
    return result


# --------------------------------------------------------------------------
# public readers
# --------------------------------------------------------------------------


def _units_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    raw = pd.DataFrame.from_records(
        records,
        columns=[
            "unit_id",
            "pand_refs",
            "uses",
            "floor_area_m2",
            "status",
            "occurrence",
            "valid_from",
            "valid_to",
        ],
    )
    raw["uses"] = raw["uses"].map(lambda uses: ",".join(u for u in uses if u))
    refs = raw["pand_refs"].explode()
    units = raw.loc[refs.index].drop(columns="pand_refs")
    units.insert(1, "building_id", clean_building_ids(refs.astype("string")))
    return units.astype(
        {
            "unit_id": "string",
            "uses": "string",
            "floor_area_m2": "Float64",
            "status": "string",
            "occurrence": "Int64",
            "valid_from": "string",
            "valid_to": "string",
        }
    ).reset_index(drop=True)


def read_lvbag_units(
    path: str | Path, *, current_only: bool = True, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Read the verblijfsobjecten (VBO) of an LV-BAG 2.0 XML extract as a table.

    Parameters
    ----------
    path : str or Path
        A VBO XML part, a folder holding the parts, or the extract zip (zips in
        zips are followed). Given one VBO XML file, only that file is read.
    current_only : bool, default True
        Keep only the current voorkomen of each unit (as in
        :func:`read_lvbag_xml`); False returns every voorkomen in the file.
    as_of : datetime.date, optional
        Reference date for "current"; today by default.

    Returns
    -------
    pandas.DataFrame
        One row per (unit, pand) pair: a unit that lies in several panden
        (``maaktDeelUitVan`` with several PandRefs) has one row per pand.
        Columns ``unit_id`` and ``building_id`` (16-digit strings),
        ``uses`` (the BAG gebruiksdoelen, comma-joined as spelled by the
        register), ``floor_area_m2`` (``oppervlakte``), ``status``,
        ``occurrence`` (voorkomenidentificatie), ``valid_from`` and
        ``valid_to`` (begin/eindGeldigheid).

    Raises
    ------
    DataSourceError
        When no VBO XML is found or a file is not well-formed.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> vbo = data_path("doesburg_0221VBO15092020-000001_sample.xml")
    >>> units = read_lvbag_units(vbo)
    >>> units["uses"].tolist()
    ['woonfunctie', 'overige gebruiksfunctie']
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".xml":
        parts = _file_parts(path)
    else:
        parts = [p for p in _collect_parts(path) if p.kind == "VBO"]
    if not parts:
        msg = (
            f"{path}: holds no LV-BAG VBO XML part (e.g. '0221VBO15092020-000001.xml')."
        )
        raise DataSourceError(msg)
    records = _parse(parts, today=_today(as_of) if current_only else None)
    units = _units_frame(records.units)
    if current_only:
        units = _latest_units(units).reset_index(drop=True)
    logger.info("%s: %d verblijfsobject-pand rows", path, len(units))
    return units


def _pand_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    raw = pd.DataFrame.from_records(
        records, columns=["building_id", "year_built", "status", "occurrence", "rings"]
    )
    raw["building_id"] = clean_building_ids(raw["building_id"])
    return _latest(raw, "building_id").reset_index(drop=True)


def read_lvbag_xml(
    path: str | Path, *, on_invalid: OnInvalid = "fix", as_of: dt.date | None = None
) -> gpd.GeoDataFrame:
    """Read panden (with their verblijfsobjecten) from an LV-BAG 2.0 XML extract.

    ``path`` may be:

    * a PND XML part: the VBO parts in the same folder with the same
      municipality code and date in their name (``0221PND15092020-000001.xml``
      -> every ``*0221VBO15092020*.xml``) are read with it;
    * a folder holding PND and VBO parts (``.xml`` or ``.zip``);
    * the extract zip, also a zip of zips (national or municipal extract).

    Only current voorkomens are used: a voorkomen whose ``eindGeldigheid`` is
    on or before ``as_of`` (today by default), whose ``beginGeldigheid`` lies
    after it, or that has a ``tijdstipInactief`` (or ``tijdstipInactiefLV`` /
    ``tijdstipNietBagLV``) is skipped, and of the rest the latest
    (highest ``voorkomenidentificatie``) is kept per identificatie. Units are
    summarised per pand as in :func:`kansenkaart.io.bag.read_bag_gpkg`
    (``use_*``, ``floor_area_m2`` = sum of ``oppervlakte``, ``n_units``);
    units whose status means they do not exist are left out. Without any VBO
    part, the uses are null (unknown) instead of False.

    Polygons are read from the ``gml:Polygon`` ``posList`` (3D, EPSG:28992);
    the Z coordinate is dropped and interior rings become holes.

    Parameters
    ----------
    path : str or Path
        PND XML file, folder or zip (see above).
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        Policy for invalid pand polygons.
    as_of : datetime.date, optional
        Reference date for "current"; today by default.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical buildings (polygons, EPSG:28992), ``source`` ``"lvbag-xml"``.

    Raises
    ------
    DataSourceError
        When no PND part is found (VBOs alone cannot make buildings: read them
        with :func:`read_lvbag_units`), or an XML part is not well-formed.

    Examples
    --------
    >>> from kansenkaart.datasets import data_path
    >>> b = read_lvbag_xml(data_path("doesburg_0221PND15092020-000001_sample.xml"))
    >>> b["building_id"].tolist()
    ['0221100000311191', '0221100000312938']
    """
    path = Path(path)
    parts = _collect_parts(path)
    if not any(p.kind == "PND" for p in parts):
        msg = (
            f"{path}: holds verblijfsobjecten (VBO) but no panden (PND); buildings "
            "need the PND part for their outlines. Pass the PND XML, the folder or "
            "the extract zip, or read the units with read_lvbag_units()."
        )
        raise DataSourceError(msg)
    records = _parse(parts, today=_today(as_of))
    panden = _pand_frame(records.panden).sort_values("building_id", ignore_index=True)
    frame = panden[["building_id", "status"]].assign(
        year_built=year_built_from(panden["year_built"]).to_numpy()
    )
    if any(p.kind == "VBO" for p in parts):
        units = _units_frame(records.units)
        units = _latest_units(units)
        units = units[~units["status"].isin(VBO_GONE_STATUSES)]
        frame = frame.join(
            aggregate_units(units, pd.Index(frame["building_id"])), on="building_id"
        )
    frame["source"] = "lvbag-xml"
    gdf = gpd.GeoDataFrame(
        frame, geometry=_polygons(panden["rings"].tolist()), crs=RD_NEW
    )
    return validate_layer(
        gdf, BUILDINGS, source=layer_source(path, "Pand"), on_invalid=on_invalid
    )


def _latest_units(units: pd.DataFrame) -> pd.DataFrame:
    """Rows of the latest voorkomen per unit (all its pand rows)."""
    latest = units.groupby("unit_id")["occurrence"].transform("max")
    return units[units["occurrence"] == latest]
