"""Reader for an omgevingsplan or verordening delivered as STOP/TPOD.

Since 2024 zoning is published under the Omgevingswet as a *regeling* with
OW objects (IMOW) and GIO geometries (STOP). A package is a folder or a zip
holding ``manifest-ow.xml``, the OW *deelbestanden* it lists and the GIO GML
files. One package becomes one canonical ``zoning`` layer, the same model the
IMRO readers produce, so both scans use either or both:

* a ``Gebiedsaanwijzing`` of type *Functie* in an **omgevingsplan** becomes an
  ``Enkelbestemming`` whose ``main_group`` is the Functie group in words
  (``Wonen`` -> ``wonen``, ``AgrarischMetWaarden`` -> ``agrarisch met
  waarden``, ``Centrumgebied`` -> ``centrum``);
* every other Gebiedsaanwijzing (and every one in a provincial
  omgevingsverordening or a waterschapsverordening) becomes a
  ``Gebiedsaanduiding`` with its group as ``main_group`` (``waterwingebied``,
  ``molen``, ``stiltegebied``): an overlay, not a replacement of the zoning;
* each ``Normwaarde`` of an ``Omgevingsnorm`` becomes a ``Maatvoering`` with
  the norm's name and value (``maximum bouwhoogte``, ``13``);
* each ``ActiviteitLocatieaanduiding`` of a ``RegelVoorIedereen`` becomes an
  ``Activiteitlocatie`` named after its activity, with the
  activiteitregelkwalificatie as ``main_group`` (``toegestaan``,
  ``vergunningplicht``, ``verbod``, ``meldingsplicht``);
* the area where an omgevingsplan assigns functions (the union of its Functie
  locations) becomes its ``Bestemmingsplangebied``: there the new omgevingsplan
  replaces the old IMRO plan (the *tijdelijk deel*), see
  :func:`kansenkaart.model.zoning.combine_plans`. A verordening has no such
  area, so it never clips a municipal plan.

Locations resolve as ``Gebiedsaanwijzing -> Gebied | Gebiedengroep -> Gebied
-> GeometrieRef -> basisgeo:id`` of a GIO ``Locatie``. GIO geometries are
parsed by the shared GML surface parser: arcs are linearised (4° per step,
1 cm deviation) and no ``.gfs`` file is written. Objects with status
``beëindigen`` are left out. Per regeling the number of gebiedsaanwijzingen per
type (``Functie``, ``Beperkingengebied``, ...) is kept in
``attrs["gebiedsaanwijzingen"]``.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from lxml import etree

from kansenkaart.errors import DataSourceError, SchemaError
from kansenkaart.io._gml import PolygonRings, build_polygons, epsg_of, surface_rings
from kansenkaart.model.schema import ZONING
from kansenkaart.model.validate import OnInvalid, validate_layer

__all__ = ["REGELING_TYPES", "is_stop_tpod", "read_stop_tpod"]

logger = logging.getLogger(__name__)

#: STOP regelingtype -> what the regeling is.
REGELING_TYPES: dict[str, str] = {
    "/join/id/stop/regelingtype_003": "omgevingsplan",
    "/join/id/stop/regelingtype_004": "omgevingsverordening",
    "/join/id/stop/regelingtype_005": "waterschapsverordening",
}
_MANIFEST = "manifest-ow.xml"
_READ_TYPES = (
    "Gebied",
    "Gebiedengroep",
    "Gebiedsaanwijzing",
    "Omgevingsnorm",
    "Activiteit",
    "RegelVoorIedereen",
    "Ambtsgebied",
)
#: OW types that are not gebiedsaanwijzingen (left out of their counts).
_NOT_AANWIJZING = ("Omgevingsnorm", "Activiteit", "GIO")
_ENDED = "beëindigen"
#: Functie groups whose IMRO bestemmingshoofdgroep is spelled differently.
_GROUP_WORDS = {"centrumgebied": "centrum"}
_SEP = "; "


@dataclass
class _Package:
    """A folder or zip of STOP/TPOD files, read by relative POSIX name."""

    path: Path
    names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.path.is_dir():
            self.names = sorted(
                p.relative_to(self.path).as_posix()
                for p in self.path.rglob("*")
                if p.is_file()
            )
        elif zipfile.is_zipfile(self.path):
            with zipfile.ZipFile(self.path) as zf:
                self.names = [n for n in zf.namelist() if not n.endswith("/")]
        else:
            self.names = [self.path.name]

    def open(self, name: str) -> IO[bytes]:
        if self.path.is_dir():
            return (self.path / name).open("rb")
        if zipfile.is_zipfile(self.path):
            with zipfile.ZipFile(self.path) as zf:
                return io.BytesIO(zf.read(name))
        return self.path.open("rb")

    def find(self, basename: str) -> list[str]:
        return [n for n in self.names if PurePosixPath(n).name.lower() == basename]


def is_stop_tpod(names: list[str]) -> bool:
    """Whether a list of file names (of a folder or zip) is a STOP/TPOD package."""
    return any(PurePosixPath(n).name.lower() == _MANIFEST for n in names)


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(el: etree._Element | None, path: str) -> str | None:
    found = el.find(path) if el is not None else None
    text = found.text.strip() if found is not None and found.text else ""
    return text or None


def _last(uri: str | None) -> str | None:
    return uri.rstrip("/").rsplit("/", 1)[-1] if uri else None


def _words(concept: str | None) -> str | None:
    """``AgrarischMetWaarden`` -> ``agrarisch met waarden``."""
    if not concept:
        return None
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", concept).lower()
    return _GROUP_WORDS.get(words, words)


def _hrefs(el: etree._Element, path: str) -> list[str]:
    return [
        ref.get("{http://www.w3.org/1999/xlink}href", "") for ref in el.iterfind(path)
    ]


def _iterparse(pkg: _Package, name: str, tag: str) -> Iterator[etree._Element]:
    """Elements ``tag`` of one XML file in the package, streamed.

    Parsed with ``recover`` because published OW files carry an invalid
    ``xmlns:schemaLocation`` namespace (a warning); any fatal error (a
    truncated or broken file) still raises.
    """
    try:
        with pkg.open(name) as fh:
            parser = etree.iterparse(fh, events=("end",), tag=tag, recover=True)
            for _, el in parser:
                yield el
                el.clear()
            fatal = [e for e in parser.error_log if e.level_name == "FATAL"]
    except (KeyError, FileNotFoundError) as err:
        msg = (
            f"{pkg.path}: {name} is listed in {_MANIFEST} but missing. "
            "Pass the complete package."
        )
        raise DataSourceError(msg) from err
    if fatal:
        msg = (
            f"{pkg.path} ({name}): not well-formed XML (line {fatal[0].line}: "
            f"{fatal[0].message}). The file may be truncated: download it again."
        )
        raise DataSourceError(msg)


# ---------------------------------------------------------------------------
# GIO geometries
# ---------------------------------------------------------------------------


@dataclass
class _Geometries:
    rings: dict[str, list[PolygonRings]] = field(default_factory=dict)
    locations: list[dict[str, Any]] = field(default_factory=list)
    srs: str | None = None
    skipped: int = 0


def _read_gio(pkg: _Package, name: str, out: _Geometries) -> None:
    work = None
    for el in _iterparse(pkg, name, "{*}Locatie"):
        work = work or _text(el.getparent().getparent(), "{*}FRBRWork")
        geom = el.find("{*}geometrie/{*}Geometrie")
        gid = _text(geom, "{*}id")
        prop = geom.find("{*}geometrie") if geom is not None else None
        shape = prop[0] if prop is not None and len(prop) else None
        rings = surface_rings(shape)
        if not gid or not rings:
            out.skipped += 1  # points and lines are not areas
            continue
        out.srs = out.srs or shape.get("srsName")
        out.rings[gid.lower()] = rings
        value = _text(el, "{*}kwantitatieveNormwaarde") or _text(
            el, "{*}kwalitatieveNormwaarde"
        )
        out.locations.append(
            {"id": gid, "name": _text(el, "{*}naam"), "value": value, "work": work}
        )


def _geometries(pkg: _Package) -> _Geometries:
    out = _Geometries()
    for name in pkg.names:
        if name.lower().endswith(".gml"):
            _read_gio(pkg, name, out)
    if out.skipped:
        logger.info("%s: left out %d point/line GIO locations", pkg.path, out.skipped)
    return out


# ---------------------------------------------------------------------------
# OW objects
# ---------------------------------------------------------------------------


@dataclass
class _Manifest:
    work: str | None
    version: str | None
    files: dict[str, list[str]]  # objecttype -> names in the package


def _manifest(pkg: _Package) -> _Manifest:
    found = pkg.find(_MANIFEST)
    if not found:
        msg = (
            f"{pkg.path}: no {_MANIFEST} found, so this is not a complete STOP/TPOD "
            "package. Pass the folder or zip as downloaded (with OW-bestanden)."
        )
        raise DataSourceError(msg)
    name = found[0]
    base = PurePosixPath(name).parent
    root = next(_iterparse(pkg, name, "{*}Aanleveringen"))
    files: dict[str, list[str]] = {}
    for entry in root.iterfind(".//{*}Bestand"):
        kind, fname = _text(entry, "{*}objecttype"), _text(entry, "{*}naam")
        if kind and fname:
            files.setdefault(kind, []).append((base / fname).as_posix())
    return _Manifest(
        work=_text(root, ".//{*}WorkIDRegeling"),
        version=_text(root, "{*}IMOWversie"),
        files=files,
    )


@dataclass
class _Objects:
    gebied: dict[str, str] = field(default_factory=dict)  # id -> geometry id
    groep: dict[str, list[str]] = field(default_factory=dict)  # id -> gebied ids
    activiteit: dict[str, str] = field(default_factory=dict)  # id -> naam
    ambtsgebied: dict[str, str] = field(default_factory=dict)  # id -> GM0297
    records: list[dict[str, Any]] = field(default_factory=list)
    ended: int = 0


def _gebiedsaanwijzing(obj: etree._Element, out: _Objects) -> None:
    out.records.append(
        {
            "object_id": _text(obj, "{*}identificatie"),
            "ow_type": _last(_text(obj, "{*}type")),
            "name": _text(obj, "{*}naam"),
            "group": _last(_text(obj, "{*}groep")),
            "value": None,
            "refs": _hrefs(obj, "{*}locatieaanduiding/{*}LocatieRef"),
        }
    )


def _omgevingsnorm(obj: etree._Element, out: _Objects) -> None:
    name = _text(obj, "{*}naam")
    unit = _words(_last(_text(obj, "{*}eenheid")))
    for norm in obj.iterfind("{*}normwaarde/{*}Normwaarde"):
        value = _text(norm, "{*}kwantitatieveWaarde") or _text(
            norm, "{*}kwalitatieveWaarde"
        )
        out.records.append(
            {
                "object_id": _text(norm, "{*}identificatie"),
                "ow_type": "Omgevingsnorm",
                "name": f"{name} ({unit})" if name and unit else name,
                "group": _last(_text(obj, "{*}type")),
                "value": value,
                "refs": _hrefs(norm, "{*}locatieaanduiding/{*}LocatieRef"),
            }
        )


def _activiteit_locaties(obj: etree._Element, out: _Objects) -> None:
    """Where a RegelVoorIedereen says an activity is allowed, needs a permit, ..."""
    for aanduiding in obj.iterfind("{*}activiteitaanduiding"):
        refs = _hrefs(aanduiding, "{*}ActiviteitRef")
        for ala in aanduiding.iterfind("{*}ActiviteitLocatieaanduiding"):
            out.records.append(
                {
                    "object_id": _text(ala, "{*}identificatie"),
                    "ow_type": "Activiteit",
                    "name": refs[0] if refs else None,  # its naam, resolved later
                    "group": _last(_text(ala, "{*}activiteitregelkwalificatie")),
                    "value": None,
                    "refs": _hrefs(ala, "{*}locatieaanduiding/{*}LocatieRef"),
                }
            )


def _ow_object(obj: etree._Element, out: _Objects) -> None:
    kind = _local(obj.tag)
    if kind == "Gebied":
        ref = _hrefs(obj, "{*}geometrie/{*}GeometrieRef")
        out.gebied[_text(obj, "{*}identificatie") or ""] = ref[0] if ref else ""
    elif kind == "Gebiedengroep":
        refs = _hrefs(obj, "{*}groepselement/{*}GebiedRef")
        out.groep[_text(obj, "{*}identificatie") or ""] = refs
    elif kind == "Gebiedsaanwijzing":
        _gebiedsaanwijzing(obj, out)
    elif kind == "Omgevingsnorm":
        _omgevingsnorm(obj, out)
    elif kind == "Activiteit":
        out.activiteit[_text(obj, "{*}identificatie") or ""] = (
            _text(obj, "{*}naam") or ""
        )
    elif kind == "RegelVoorIedereen":
        _activiteit_locaties(obj, out)
    elif kind == "Ambtsgebied":
        code = _text(obj, ".//{*}bestuurlijkeGrenzenID") or ""
        out.ambtsgebied[_text(obj, "{*}identificatie") or ""] = code.upper()


def _objects(pkg: _Package, manifest: _Manifest) -> _Objects:
    out = _Objects()
    names = dict.fromkeys(n for k in _READ_TYPES for n in manifest.files.get(k, []))
    for name in names:  # a file listed for several object types is read once
        for wrapper in _iterparse(pkg, name, "{*}owObject"):
            obj = wrapper[0] if len(wrapper) else None
            if obj is None:
                continue
            if _text(obj, "{*}status") == _ENDED:
                out.ended += 1
                continue
            _ow_object(obj, out)
    for rec in out.records:  # an activity location is named after its activity
        if rec["ow_type"] == "Activiteit":
            rec["name"] = out.activiteit.get(rec["name"] or "", rec["name"])
    if out.ended:
        logger.info("%s: left out %d ended (beëindigd) OW objects", pkg.path, out.ended)
    return out


def _ambtsgebieden(objs: _Objects, geoms: _Geometries) -> None:
    """Give a gemeente's Ambtsgebied the embedded CBS boundary (simplified).

    Rules "for the whole municipality" point at the Ambtsgebied, which has no
    GIO; a provincie or waterschap code stays without an area (logged).
    """
    codes = {c for c in objs.ambtsgebied.values() if re.fullmatch(r"GM\d{4}", c)}
    if not codes:
        return
    from kansenkaart.datasets import data_path  # noqa: PLC0415

    gm = gpd.read_file(data_path("cbs_gemeenten_2022_simplified_wgs84.geojson"))
    gm = gm[gm["gemeentecode"].str.upper().isin(codes)].to_crs(28992)
    shapes = gm.geometry.make_valid().to_numpy()
    for code, shape in zip(gm["gemeentecode"].str.upper(), shapes, strict=True):
        polys = getattr(shape, "geoms", [shape])
        geoms.rings[f"cbs:{code}".lower()] = [
            [
                np.asarray(p.exterior.coords),
                *(np.asarray(r.coords) for r in p.interiors),
            ]
            for p in polys
            if p.geom_type == "Polygon"
        ]
    for ident, code in objs.ambtsgebied.items():
        if f"cbs:{code}".lower() in geoms.rings:
            objs.gebied[ident] = f"cbs:{code}"
    logger.info("ambtsgebied %s: the CBS gemeente boundary (simplified)", codes)


def _resolve(refs: list[str], objs: _Objects, geoms: _Geometries) -> list[str]:
    """The GIO geometry ids of a location reference (Gebied or Gebiedengroep)."""
    ids = []
    for ref in refs:
        for gebied in objs.groep.get(ref, [ref]):
            gid = objs.gebied.get(gebied, "").lower()
            if gid in geoms.rings:
                ids.append(gid)
    return ids


def _union_per_record(
    records: list[dict[str, Any]], objs: _Objects, geoms: _Geometries
) -> np.ndarray:
    """One (multi)polygon per record: the union of all its locations.

    One geometry is built per (record, location) pair and the pairs are
    dissolved per record, so overlapping locations never make an invalid
    multipolygon.
    """
    pairs = [
        (i, gid)
        for i, rec in enumerate(records)
        for gid in _resolve(rec["refs"], objs, geoms)
    ]
    out = np.full(len(records), None, dtype=object)
    if not pairs:
        return out
    parts = build_polygons([geoms.rings[gid] for _, gid in pairs])
    rows = np.array([i for i, _ in pairs])
    single = np.bincount(rows, minlength=len(records)) == 1
    keep_single = single[rows]
    out[rows[keep_single]] = parts[keep_single]
    if (~keep_single).any():
        merged = (
            gpd.GeoDataFrame({"row": rows[~keep_single]}, geometry=parts[~keep_single])
            .dissolve(by="row")
            .geometry
        )
        out[merged.index.to_numpy()] = merged.to_numpy()
    return out


# ---------------------------------------------------------------------------
# Regeling metadata
# ---------------------------------------------------------------------------


def _regeling(pkg: _Package) -> dict[str, Any]:
    """Title, soort and date of the regeling, from ``Regeling/*.xml`` when present."""
    info: dict[str, Any] = {"name": None, "soort": None, "date": None, "work": None}
    for name in pkg.names:
        lower = name.lower()
        if lower.endswith("regeling/metadata.xml"):
            root = next(_iterparse(pkg, name, "{*}RegelingMetadata"), None)
            info["name"] = _text(root, "{*}officieleTitel") or _text(
                root, ".//{*}citeertitel"
            )
            info["soort"] = REGELING_TYPES.get(_text(root, "{*}soortRegeling") or "")
        elif lower.endswith("regeling/identificatie.xml"):
            root = next(_iterparse(pkg, name, "{*}ExpressionIdentificatie"), None)
            info["work"] = _text(root, "{*}FRBRWork")
            expression = _text(root, "{*}FRBRExpression") or ""
            found = re.search(r"@(\d{4}-\d{2}-\d{2})", expression)
            info["date"] = found.group(1) if found else None
    return info


_MAKER_SOORT = {"gm": "omgevingsplan", "pv": "omgevingsverordening"}


def _soort(info: dict[str, Any], work: str | None) -> str:
    if info["soort"]:
        return str(info["soort"])
    maker = re.search(r"/act/([a-z]+)\d", work or "")
    prefix = maker.group(1) if maker else ""
    return _MAKER_SOORT.get(prefix, "waterschapsverordening" if prefix else "regeling")


def _object_type(ow_type: str | None, soort: str) -> str:
    if ow_type == "Omgevingsnorm":
        return "Maatvoering"
    if ow_type == "Activiteit":
        return "Activiteitlocatie"
    if ow_type == "Functie" and soort == "omgevingsplan":
        return "Enkelbestemming"
    return "Gebiedsaanduiding"


def _frame(
    records: list[dict[str, Any]],
    shapes: np.ndarray,
    *,
    srs: str | None,
    soort: str,
) -> gpd.GeoDataFrame:
    df = pd.DataFrame.from_records(
        records, columns=["object_id", "ow_type", "name", "group", "value"]
    )
    df["object_type"] = [_object_type(t, soort) for t in df["ow_type"]]
    df["main_group"] = [
        g if t == "Omgevingsnorm" else _words(g)
        for t, g in zip(df["ow_type"], df["group"], strict=True)
    ]
    crs = epsg_of(srs) if srs else "EPSG:28992"
    gdf = gpd.GeoDataFrame(df, geometry=shapes, crs=crs)
    missing = gdf.geometry.isna()
    if missing.any():
        logger.warning(
            "%d OW objects have no area in the GIOs (a point or line location, or "
            "a reference to a GIO not in the package); left out: %s",
            int(missing.sum()),
            ", ".join(gdf.loc[missing, "object_id"].astype(str).head(5)),
        )
    return gdf.loc[~missing]


def _plan_area(gdf: gpd.GeoDataFrame, soort: str, work: str) -> gpd.GeoDataFrame:
    """The omgevingsplan's own area: the union of its Functie locations."""
    functie = gdf.loc[gdf["object_type"] == "Enkelbestemming"]
    if soort != "omgevingsplan" or functie.empty:
        return gdf
    area = gpd.GeoDataFrame(
        {
            "object_id": [f"{work}#functies"],
            "object_type": ["Bestemmingsplangebied"],
            "name": ["gebied met functies in het nieuwe deel van het omgevingsplan"],
        },
        geometry=[functie.geometry.make_valid().union_all()],
        crs=gdf.crs,
    )
    return gpd.GeoDataFrame(pd.concat([area, gdf], ignore_index=True), crs=gdf.crs)


def _gio_records(geoms: _Geometries) -> list[dict[str, Any]]:
    """A GIO without OW objects: each of its locations as a Gebiedsaanduiding."""
    return [
        {
            "object_id": loc["id"],
            "ow_type": "GIO",
            "name": loc["name"],
            "group": None,
            "value": loc["value"],
            "refs": [loc["id"]],
        }
        for loc in geoms.locations
    ]


def read_stop_tpod(
    path: str | Path, *, on_invalid: OnInvalid = "fix"
) -> gpd.GeoDataFrame:
    """Read an omgevingsplan, omgevingsverordening or waterschapsverordening.

    Parameters
    ----------
    path : str or Path
        A STOP/TPOD package: a folder or zip with ``manifest-ow.xml``, the OW
        files it lists and the GIO GMLs; or one GIO GML file on its own (its
        locations become ``Gebiedsaanduiding`` objects).
    on_invalid : {"raise", "fix", "drop"}, default "fix"
        What to do with invalid polygons.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical ``zoning`` layer in EPSG:28992 (see the module docstring for
        how OW objects map onto it); ``plan_id`` is the regeling's work id,
        ``source`` is ``"stop-tpod"`` and ``imro_version`` the IMOW version.
        ``attrs["gebiedsaanwijzingen"]`` maps each ``plan_id`` to the number of
        gebiedsaanwijzingen per type; ``attrs["regeling"]`` gives its soort.

    Raises
    ------
    DataSourceError
        When the path is missing, a listed OW file is missing or a file is not
        well-formed XML.
    SchemaError
        When the package holds no area at all.

    Notes
    -----
    ``read_stop_tpod("omgevingsplan.zip").attrs["gebiedsaanwijzingen"]`` gives,
    for the Zaltbommel example package in ``tests/data/stop_tpod``,
    ``{"/akn/nl/act/gm0297/2019/reg456": {"Functie": 2}}``.
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: file not found. Check the path."
        raise DataSourceError(msg)
    pkg = _Package(path)
    geoms = _geometries(pkg)
    if is_stop_tpod(pkg.names):
        manifest = _manifest(pkg)
        objs = _objects(pkg, manifest)
        _ambtsgebieden(objs, geoms)
        records, version = objs.records, manifest.version
    else:
        manifest = _Manifest(work=None, version=None, files={})
        objs, records, version = _Objects(), _gio_records(geoms), None
        objs.gebied = {loc["id"]: loc["id"] for loc in geoms.locations}
    info = _regeling(pkg)
    work = manifest.work or info["work"] or _gio_work(geoms, path)
    soort = _soort(info, work)
    shapes = _union_per_record(records, objs, geoms)
    gdf = _frame(records, shapes, srs=geoms.srs, soort=soort)
    gdf = _plan_area(gdf, soort, work)
    if gdf.empty:
        msg = (
            f"{path}: no OW object with an area (Gebiedsaanwijzing, Omgevingsnorm) "
            "and no GIO location found. Pass the complete package."
        )
        raise SchemaError(msg)
    return _finish(
        gdf,
        work=work,
        info=info,
        soort=soort,
        version=version,
        path=path,
        on_invalid=on_invalid,
    )


def _gio_work(geoms: _Geometries, path: Path) -> str:
    return next((loc["work"] for loc in geoms.locations if loc["work"]), path.stem)


def _finish(
    gdf: gpd.GeoDataFrame,
    *,
    work: str,
    info: dict[str, Any],
    soort: str,
    version: str | None,
    path: Path,
    on_invalid: OnInvalid,
) -> gpd.GeoDataFrame:
    counts = Counter(
        t for t in gdf["ow_type"] if isinstance(t, str) and t not in _NOT_AANWIJZING
    )
    gdf["plan_id"] = work
    gdf["plan_name"] = info["name"] or soort
    gdf["plan_status"] = None
    gdf["plan_date"] = info["date"]
    gdf["imro_version"] = f"IMOW{version}" if version else None
    gdf["source"] = "stop-tpod"
    label = f"{path} ({soort} {work})"
    out = validate_layer(gdf, ZONING, source=label, on_invalid=on_invalid)
    out.attrs["gebiedsaanwijzingen"] = {
        work: {k: int(v) for k, v in sorted(counts.items())}
    }
    out.attrs["regeling"] = {work: soort}
    logger.info(
        "%s: %d objects %s",
        label,
        len(out),
        out["object_type"].value_counts().to_dict(),
    )
    return out
