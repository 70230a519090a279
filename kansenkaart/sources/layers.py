"""A scan's inputs and the layers read from them.

:class:`ScanInputs` names the input files of a scan by layer; :func:`load_layers`
reads each into its canonical layer and returns them in a typed
:class:`Layers` container (a read-only mapping from layer name to a
GeoDataFrame, a table or, for a raster, its path) that also records where
each layer came from.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.io._csv import read_csv_text
from kansenkaart.io.context import (
    read_boundaries,
    read_context,
    read_monuments,
    read_natura2000,
)
from kansenkaart.io.detect import detect_format
from kansenkaart.io.ownership import read_ownership
from kansenkaart.io.postgis import is_postgis_url, parse_pg_url, postgis_as_gpkg
from kansenkaart.io.vacancy import read_vacancy
from kansenkaart.io.zones import ZONE_LAYERS, read_zones
from kansenkaart.model.validate import Finding
from kansenkaart.sources.coverage import (
    Coverage,
    combine,
    coverage_from_file,
    frame_coverage,
    national,
    not_spatial,
)
from kansenkaart.sources.read import read_buildings, read_parcels, read_zoning
from kansenkaart.sources.units import read_unit_relation, vacancy_by_building

__all__ = [
    "KNOWN_LAYERS",
    "LayerKind",
    "LayerValue",
    "Layers",
    "Progress",
    "ScanInputs",
    "area_polygon",
    "check_area",
    "load_layers",
]

#: A CBS gemeente, wijk or buurt code (GM0363, WK036386, BU03638600).
_CBS_CODE = re.compile(r"(GM|WK|BU)\d{4,8}", re.IGNORECASE)

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
LayerKind = Literal["buildings", "parcels", "zoning", "vector", "table", "raster"]
LayerValue = gpd.GeoDataFrame | pd.DataFrame | Path

#: Layer names every scan knows, with their kind. A scan file may declare more
#: under ``[layers.NAME]``.
KNOWN_LAYERS: dict[str, LayerKind] = {
    "buildings": "buildings",
    "parcels": "parcels",
    "zoning": "zoning",
    "natura2000": "vector",
    "monuments": "vector",
    "municipalities": "vector",
    "buurten": "vector",
    "wijken": "vector",
    "ownership": "table",
    "vacancy": "table",
    "units": "table",
    "noise": "raster",
    "risk_contours": "vector",
    "safety_zones": "vector",
    "high_voltage": "vector",
    "flood_risk": "vector",
    "nnn": "vector",
}

_NAMED_READERS: dict[str, Callable[[Path], LayerValue]] = {
    "natura2000": read_natura2000,
    "monuments": read_monuments,
    "municipalities": read_boundaries,
    "buurten": read_boundaries,
    "wijken": read_boundaries,
    "ownership": read_ownership,
    "vacancy": read_vacancy,
    "units": read_unit_relation,
    "noise": Path,
    **dict.fromkeys(ZONE_LAYERS, read_zones),
}


@dataclass(slots=True)
class ScanInputs:
    """Input files of a scan, by layer name.

    Attributes
    ----------
    buildings, parcels, zoning : list of Path
        One or more files per kind (frames are concatenated; zoning plans are
        combined with plan precedence).
    layers : dict of str to Path
        Other layers by name: ``natura2000``, ``monuments``,
        ``municipalities``, ``ownership``, ``vacancy``, ``noise`` or a name
        declared in the scan file.
    area : str or Path, optional
        CBS code (``GM0537``, ``BU03638600``) or a polygon file; only
        candidates whose representative point lies inside are scanned.
    coverage : dict of str to Path
        Per layer name, a polygon file with the area where that layer is
        complete (``--coverage LAYER=FILE``); it replaces the coverage taken
        from the layer's own files.
    """

    buildings: list[Path] = field(default_factory=list)
    parcels: list[Path] = field(default_factory=list)
    zoning: list[Path] = field(default_factory=list)
    layers: dict[str, Path] = field(default_factory=dict)
    area: str | Path | None = None
    coverage: dict[str, Path] = field(default_factory=dict)

    def files(self) -> list[tuple[str, Path]]:
        """Every input as (layer name, path); a coverage file of layer X is
        named ``coverage:X``."""
        out = [("buildings", p) for p in self.buildings]
        out += [("parcels", p) for p in self.parcels]
        out += [("zoning", p) for p in self.zoning]
        out += sorted(self.layers.items())
        out += [
            (f"coverage:{name}", Path(p)) for name, p in sorted(self.coverage.items())
        ]
        if self.area is not None and Path(str(self.area)).exists():
            out.append(("area", Path(str(self.area))))
        return out


@dataclass(frozen=True, slots=True)
class LayerSource:
    """Where one input file of a layer came from."""

    layer: str
    path: Path | str  # a str: a PostGIS URL without password
    format: str | None


class Layers(Mapping[str, LayerValue]):
    """The layers of one scan by name, with their kinds and sources.

    A read-only mapping: ``layers["zoning"]`` is a GeoDataFrame,
    ``layers["ownership"]`` a table, ``layers["noise"]`` the raster's path.
    ``coverage`` gives per layer where it has data
    (:class:`~kansenkaart.sources.coverage.Coverage`).
    """

    __slots__ = ("_kinds", "_values", "coverage", "sources")

    def __init__(
        self,
        values: Mapping[str, LayerValue] | None = None,
        *,
        kinds: Mapping[str, LayerKind] | None = None,
        sources: tuple[LayerSource, ...] = (),
        coverage: Mapping[str, Coverage] | None = None,
    ) -> None:
        self._values: dict[str, LayerValue] = dict(values or {})
        self._kinds: dict[str, LayerKind] = dict(kinds or {})
        self.sources = sources
        self.coverage: dict[str, Coverage] = dict(coverage or {})

    def __getitem__(self, name: str) -> LayerValue:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Layers({', '.join(self._values)})"

    def kind(self, name: str) -> LayerKind:
        """The kind of layer ``name`` (``vector`` when not recorded)."""
        return self._kinds.get(name, KNOWN_LAYERS.get(name, "vector"))

    def vector(self, name: str) -> gpd.GeoDataFrame | None:
        """Layer ``name`` as a GeoDataFrame, or None when absent."""
        value = self._values.get(name)
        return value if isinstance(value, gpd.GeoDataFrame) else None

    def replace(self, values: Mapping[str, LayerValue]) -> Layers:
        """A copy with other values (e.g. a spatial cut), same kinds and sources."""
        return Layers(
            values, kinds=self._kinds, sources=self.sources, coverage=self.coverage
        )


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True)
    dup = out.iloc[:, 0].duplicated(keep="first")
    findings = [f for frame in frames for f in frame.attrs.get("findings", [])]
    if dup.any():
        ids = tuple(out.iloc[:, 0][dup].astype(str))
        msg = f"{len(ids)} ids occur in more than one input file; kept the first"
        logger.warning(msg)
        findings.append(Finding("warning", "duplicate_id", msg, ids))
    merged = gpd.GeoDataFrame(out[~dup], crs=frames[0].crs)
    # what validation recorded per file, for the summary's accounting
    merged.attrs = {
        "findings": findings,
        "n_read": sum(int(f.attrs.get("n_read", len(f))) for f in frames),
    }
    return merged


def _numeric_table(df: pd.DataFrame) -> pd.DataFrame:
    for col in df.columns:
        converted = pd.to_numeric(df[col], errors="coerce")
        if converted.notna().all() and not col.endswith("_id"):
            df[col] = converted
    return df


def _read_named(name: str, path: Path | str, kind: LayerKind) -> LayerValue:
    if is_postgis_url(path):
        with postgis_as_gpkg(str(path)) as tmp:
            return _read_named(name, tmp, kind)
    path = Path(path)
    if name in _NAMED_READERS:
        return _NAMED_READERS[name](path)
    if kind == "raster":
        return path
    if kind == "zoning":  # e.g. a provincial verordening as constraints
        return read_zoning(path)
    if kind == "table":
        return _numeric_table(read_csv_text(path))
    return read_context(path)


def _source(name: str, path: Path | str) -> LayerSource:
    """Where a layer came from; a database URL without its password."""
    if is_postgis_url(path):
        return LayerSource(name, parse_pg_url(str(path)).redacted, "postgis")
    return LayerSource(name, Path(path), _format_of(Path(path)))


def _format_of(path: Path) -> str | None:
    try:
        return detect_format(path).format
    except DataSourceError:  # a raster path or table the reader will judge
        return None


def _step(progress: Progress | None, text: str) -> None:
    logger.info(text)
    if progress is not None:
        progress(text)


def _check_names(inputs: ScanInputs, declared: Mapping[str, LayerKind]) -> None:
    allowed = set(KNOWN_LAYERS) | set(declared)
    unknown = sorted(set(inputs.layers) - allowed)
    if unknown:
        msg = (
            f"unknown layer name(s) {', '.join(unknown)}. Known: "
            f"{', '.join(sorted(allowed))}; declare new ones under [layers.NAME] "
            "in the scan file."
        )
        raise ConfigError(msg)


def _file_coverage(value: LayerValue, kind: str) -> Coverage:
    if isinstance(value, gpd.GeoDataFrame):
        return frame_coverage(kind, value)
    return not_spatial("raster" if kind == "raster" else "table")


def resolve_coverage(
    inputs: ScanInputs,
    per_file: Mapping[str, list[Coverage]],
    national_layers: Iterable[str],
) -> dict[str, Coverage]:
    """The coverage of every layer: its files' coverages combined, then the
    scan file's ``national = true`` and the ``--coverage`` files applied.

    Raises
    ------
    ConfigError
        When ``--coverage`` names a layer that was not given.
    """
    out = {name: combine(parts) for name, parts in per_file.items()}
    for name in national_layers:
        if name in out:
            out[name] = national()
    for name, path in inputs.coverage.items():
        if name not in out:
            msg = (
                f"--coverage {name}={path}: no layer {name!r} was given; pass the "
                "layer itself too, or drop the option."
            )
            raise ConfigError(msg)
        out[name] = coverage_from_file(Path(path))
    return out


def load_layers(
    inputs: ScanInputs,
    *,
    declared: Mapping[str, LayerKind] | None = None,
    national_layers: Iterable[str] = (),
    outline_buildings: bool = False,
    progress: Progress | None = None,
) -> Layers:
    """Read every input into its canonical layer.

    Parameters
    ----------
    inputs : ScanInputs
        The input files by layer name.
    declared : mapping of str to LayerKind, optional
        Layers the scan file declares besides :data:`KNOWN_LAYERS`.
    national_layers : iterable of str
        Layers the scan file declares ``national = true``: they cover the
        whole country whatever their files hold.
    outline_buildings : bool, default False
        Read buildings by their outline only (id and geometry): for scans
        whose candidates are not the buildings.
    progress : callable, optional
        Called with a short Dutch text at every step.

    Returns
    -------
    Layers
        The layers by name, each in EPSG:28992, with their coverage.

    Raises
    ------
    ConfigError
        When a layer name is neither known nor declared, or a coverage is
        given for a layer that is not.
    """
    declared = dict(declared or {})
    _check_names(inputs, declared)
    values: dict[str, LayerValue] = {}
    per_file: dict[str, list[Coverage]] = {}
    if inputs.buildings:
        _step(progress, "gebouwen lezen")
        columns = [] if outline_buildings else None
        frames = [read_buildings(p, columns=columns) for p in inputs.buildings]
        per_file["buildings"] = [frame_coverage("buildings", f) for f in frames]
        values["buildings"] = _concat(frames)
    if inputs.parcels:
        _step(progress, "percelen lezen")
        frames = [read_parcels(p) for p in inputs.parcels]
        per_file["parcels"] = [frame_coverage("parcels", f) for f in frames]
        values["parcels"] = _concat(frames)
    if inputs.zoning:
        _step(progress, "bestemmingsplannen lezen")
        values["zoning"] = read_zoning(inputs.zoning)
        per_file["zoning"] = [frame_coverage("zoning", values["zoning"])]
    kinds: dict[str, LayerKind] = {**KNOWN_LAYERS, **declared}
    for name, path in sorted(inputs.layers.items()):
        _step(progress, f"laag {name} lezen")
        kind = kinds.get(name, "vector")
        values[name] = _read_named(name, path, kind)
        per_file[name] = [_file_coverage(values[name], kind)]
    if "vacancy" in values:
        values["vacancy"] = vacancy_by_building(values["vacancy"], inputs)
    sources = tuple(_source(name, p) for name, p in inputs.files() if name != "area")
    coverage = resolve_coverage(inputs, per_file, national_layers)
    return Layers(values, kinds=kinds, sources=sources, coverage=coverage)


def check_area(area: str | Path | None) -> None:
    """Refuse an ``--area`` that is neither a CBS code nor an existing file.

    Called before any data is read.

    Raises
    ------
    ConfigError
        When ``area`` looks like a file that does not exist, or is empty.
    """
    if area is None:
        return
    text = str(area).strip()
    if _CBS_CODE.fullmatch(text):
        return
    if Path(text).is_file() and Path(text).stat().st_size == 0:
        msg = f"--area {text}: empty file (0 bytes). Export the area polygon again."
        raise ConfigError(msg)
    if Path(text).exists():
        return
    msg = (
        f"--area {text!r}: file not found, and not a CBS code either. Give a "
        "polygon file that exists, or a code such as GM0363 (with the "
        "municipalities layer) or BU03638600 (with --layer buurten=FILE)."
    )
    raise ConfigError(msg)


def area_polygon(area: str | Path, layers: Mapping[str, LayerValue]) -> gpd.GeoSeries:
    """The polygon(s) of ``--area``: a polygon file or a CBS code in a layer.

    Raises
    ------
    ConfigError
        When ``area`` is neither an existing file nor a code found in a
        boundary layer (a layer with a ``code`` column).
    """
    text = str(area)
    if Path(text).exists():
        return read_context(Path(text)).geometry
    for name, layer in layers.items():
        if isinstance(layer, gpd.GeoDataFrame) and "code" in layer.columns:
            hit = layer[layer["code"].astype(str).str.upper() == text.upper()]
            if len(hit):
                logger.info("area %s taken from layer %s", text, name)
                return hit.geometry
    msg = (
        f"--area {text!r}: neither a polygon file nor a CBS code found in the "
        "boundary layers. Give a GM code with the municipalities layer, or pass "
        "the buurt/wijk boundaries with --layer buurten=FILE."
    )
    raise ConfigError(msg)
