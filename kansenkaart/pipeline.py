"""Run a scan end to end: read -> validate -> candidates -> rules -> score -> rank.

:func:`run_scan` is the single entry the CLI calls; :func:`run_object_scan`
and :func:`run_site_scan` are the Python conveniences with the shipped scan
definitions. Writing the outputs is :func:`kansenkaart.export.write_results`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from kansenkaart import __version__
from kansenkaart.candidates import (
    assign_municipality,
    candidates_from_buildings,
    candidates_from_grid,
    candidates_from_parcels,
    candidates_from_zoning,
    derive_uses_from_zoning,
)
from kansenkaart.errors import ConfigError, DataSourceError
from kansenkaart.layers.read import read_buildings, read_parcels, read_zoning
from kansenkaart.layers.schema import BAG_USE_COLUMNS
from kansenkaart.rules.definition import KNOWN_LAYERS, ScanDefinition, load_scan
from kansenkaart.rules.engine import RuleTable, evaluate_rules
from kansenkaart.rules.predicates import ScanContext
from kansenkaart.scoring.explain import explain_candidates, rule_result_texts
from kansenkaart.scoring.score import OUTCOMES, rank_candidates, score_candidates
from kansenkaart.scoring.sensitivity import leave_one_rule_out, weight_sensitivity

__all__ = ["ScanInputs", "ScanResult", "run_object_scan", "run_scan", "run_site_scan"]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


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
    """

    buildings: list[Path] = field(default_factory=list)
    parcels: list[Path] = field(default_factory=list)
    zoning: list[Path] = field(default_factory=list)
    layers: dict[str, Path] = field(default_factory=dict)
    area: str | Path | None = None

    def files(self) -> list[tuple[str, Path]]:
        """Every input as (layer name, path)."""
        out = [("buildings", p) for p in self.buildings]
        out += [("parcels", p) for p in self.parcels]
        out += [("zoning", p) for p in self.zoning]
        out += sorted(self.layers.items())
        if self.area is not None and Path(str(self.area)).exists():
            out.append(("area", Path(str(self.area))))
        return out


@dataclass(slots=True)
class ScanResult:
    """Everything a scan produced."""

    candidates: gpd.GeoDataFrame
    summary: dict[str, Any]
    table: RuleTable
    leave_one_out: pd.DataFrame | None = None
    context: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    files = (
        sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    )
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _read_named(name: str, path: Path, scan: ScanDefinition) -> Any:
    from kansenkaart.io import context  # noqa: PLC0415

    readers: dict[str, Callable[[Path], Any]] = {
        "natura2000": context.read_natura2000,
        "monuments": context.read_monuments,
        "municipalities": context.read_boundaries,
        "ownership": context.read_ownership,
        "vacancy": context.read_vacancy,
        "noise": Path,
    }
    if name in readers:
        return readers[name](path)
    kind = scan.layers.get(name, {}).get("kind", "vector")
    if kind == "raster":
        return path
    if kind == "table":
        return pd.read_csv(
            path, sep=None, engine="python", dtype=str, encoding="utf-8-sig"
        ).pipe(_numeric_table)
    return context.read_context(path)


def _numeric_table(df: pd.DataFrame) -> pd.DataFrame:
    for col in df.columns:
        converted = pd.to_numeric(df[col], errors="coerce")
        if converted.notna().all() and not col.endswith("_id"):
            df[col] = converted
    return df


def _concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True)
    dup = out.iloc[:, 0].duplicated(keep="first")
    if dup.any():
        logger.warning(
            "%d ids occur in more than one input file; kept the first", dup.sum()
        )
    return gpd.GeoDataFrame(out[~dup], crs=frames[0].crs)


def load_layers(
    scan: ScanDefinition, inputs: ScanInputs, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Read every input into its canonical layer, keyed by layer name."""
    allowed = set(KNOWN_LAYERS) | set(scan.layers)
    unknown = sorted(set(inputs.layers) - allowed)
    if unknown:
        msg = (
            f"unknown layer name(s) {', '.join(unknown)} for scan {scan.name!r}. "
            f"Known: {', '.join(sorted(allowed))}; declare new ones under "
            "[layers.NAME] in the scan file."
        )
        raise ConfigError(msg)
    layers: dict[str, Any] = {}
    if inputs.buildings:
        _step(progress, "gebouwen lezen")
        # buildings as a layer are used by their outline only (cover,
        # distance); their attributes matter when they are the candidates
        columns = None if scan.unit == "buildings" else []
        layers["buildings"] = _concat(
            [read_buildings(p, columns=columns) for p in inputs.buildings]
        )
    if inputs.parcels:
        _step(progress, "percelen lezen")
        layers["parcels"] = _concat([read_parcels(p) for p in inputs.parcels])
    if inputs.zoning:
        _step(progress, "bestemmingsplannen lezen")
        layers["zoning"] = read_zoning(inputs.zoning)
    for name, path in sorted(inputs.layers.items()):
        _step(progress, f"laag {name} lezen")
        layers[name] = _read_named(name, Path(path), scan)
    return layers


def _step(progress: Progress | None, text: str) -> None:
    logger.info(text)
    if progress is not None:
        progress(text)


def _area_polygon(area: str | Path, layers: dict[str, Any]) -> gpd.GeoSeries:
    text = str(area)
    if Path(text).exists():
        from kansenkaart.io.context import read_context  # noqa: PLC0415

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


def build_candidates(scan: ScanDefinition, layers: dict[str, Any]) -> gpd.GeoDataFrame:
    """Make the scan's candidates from its unit (with fallback where needed)."""
    unit = scan.unit
    zoning = layers.get("zoning")
    if unit == "buildings":
        if "buildings" not in layers:
            raise ConfigError(f"scan {scan.name!r} scans buildings: pass --buildings")
        cand = candidates_from_buildings(layers["buildings"])
        return derive_uses_from_zoning(cand, zoning, scan.derive_uses)
    frames = []
    if unit == "parcels" and "parcels" in layers:
        frames.append(candidates_from_parcels(layers["parcels"]))
    covered = layers.get("parcels") if unit == "parcels" else None
    fallback = scan.fallback_unit if unit == "parcels" else unit
    if fallback == "zoning" and zoning is not None:
        frames.append(candidates_from_zoning(zoning, exclude=covered))
    elif fallback == "grid":
        area = (
            zoning[zoning["object_type"] == "Bestemmingsplangebied"].geometry
            if zoning is not None
            else None
        )
        if area is not None and len(area):
            grid = candidates_from_grid(area, cell_size_m=scan.grid_size_m)
            if covered is not None:
                grid = grid[
                    ~grid.index.isin(
                        candidates_from_zoning(zoning, exclude=covered).index
                    )
                ]
            frames.append(grid)
    if not frames:
        msg = (
            f"scan {scan.name!r} needs candidates: pass --parcels, or --zoning "
            "for zoning areas / grid cells where parcels are missing"
        )
        raise ConfigError(msg)
    return gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs)


def _uses_label(cand: gpd.GeoDataFrame) -> pd.Series:
    label = pd.Series("", index=cand.index, dtype="string")
    for use, col in BAG_USE_COLUMNS.items():
        if col in cand:
            hit = cand[col].fillna(False).astype(bool)
            label = label.where(~hit, label + "," + use)
    label = label.str.lstrip(",")
    if "use_derived" in cand:
        derived = cand["use_derived"].fillna(False).astype(bool) & (label != "")
        label = label.where(~derived, label + " (afgeleid)")
    return label.where(cand["use_residential"].notna(), pd.NA)


_ATTRS = [
    "status",
    "year_built",
    "gebruiksdoel",
    "use_derived",
    "zoning_group",
    "floor_area_m2",
    "n_units",
    "height_m",
    "storeys",
    "area_m2",
    "registered_area_m2",
    "main_group",
    "plan_id",
    "owner_class",
]


def _assemble(
    cand: gpd.GeoDataFrame,
    table: RuleTable,
    sens: pd.DataFrame | None,
    map_fields: tuple[str, ...] = (),
) -> gpd.GeoDataFrame:
    scored = score_candidates(table)
    rank = rank_candidates(scored)
    index = cand.index
    cols: dict[str, Any] = {}

    def add(frame: pd.DataFrame | pd.Series, names: list[str] | None = None) -> None:
        # every frame is indexed like the candidates: take the columns as they
        # are (joins on a million string ids cost seconds)
        if not frame.index.equals(index):
            frame = frame.reindex(index)
        if isinstance(frame, pd.Series):
            cols[str(frame.name)] = frame.array
            return
        for name in names if names is not None else list(frame.columns):
            cols[name] = frame[name].array

    add(cand, ["candidate_kind"])
    add(scored, ["outcome", "score"])
    add(rank.rename("rank"))
    add(
        rank_candidates(scored, by=cand["municipality_code"]).rename(
            "rank_municipality"
        )
    )
    add(cand, ["municipality_code", "municipality_name"])
    add(scored, ["excluded_by", "unknown_for"])
    add(explain_candidates(table, scored, rank).rename("reason_nl"))
    add(rule_result_texts(table, scored))
    add(scored[[c for c in scored.columns if c.startswith("pts_")]].round(4))
    attrs = (
        cand.assign(gebruiksdoel=_uses_label(cand))
        if "use_residential" in cand
        else cand
    )
    add(attrs, [c for c in _ATTRS if c in attrs.columns])
    if sens is not None:
        add(sens)
    for name in map_fields:  # a stable schema: whitelisted fields always exist
        if name not in cols:
            cols[name] = pd.Series(pd.NA, index=index, dtype="string").array
    out = pd.DataFrame(cols, index=index, copy=False)
    out.index.name = "candidate_id"
    return gpd.GeoDataFrame(out, geometry=cand.geometry, crs=cand.crs)


def _attach_owner(cand: gpd.GeoDataFrame, ctx: ScanContext) -> gpd.GeoDataFrame:
    if "ownership" not in ctx.layers:
        return cand
    cand = cand.copy()
    # the same shared lookup the owner rule uses, built once
    owner = ctx.lookup("ownership", "parcel_id", "owner_class", cand.index)
    cand["owner_class"] = owner.astype("string")
    return cand


def _summary(
    scan: ScanDefinition,
    inputs: ScanInputs,
    out: gpd.GeoDataFrame,
    table: RuleTable,
    n_in: int,
) -> dict[str, Any]:
    counts = out["outcome"].value_counts()
    summary = {
        "scan": {
            "name": scan.name,
            "title": scan.title,
            "version": scan.version,
            "unit": scan.unit,
            "fallback_unit": scan.fallback_unit,
            "regime": scan.regime,
            "horizon_years": scan.horizon_years,
            "top_k": scan.top_k,
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "package_version": __version__,
        "candidates_in": n_in,
        **{o: int(counts.get(o, 0)) for o in OUTCOMES},
        "skipped_rules": [r.id for r in table.skipped],
        "not_applicable_rules": [r.id for r in table.not_applicable],
        "rules": [
            {
                "id": r.id,
                "title": r.title,
                "kind": r.kind,
                "weight": r.weight,
                "predicate": r.predicate,
                "layer": r.layer,
                "params": r.params,
                "source": r.source,
                "rationale": r.rationale,
                "note": r.note,
                "status": "skipped"
                if r in table.skipped
                else ("not_applicable" if r in table.not_applicable else "evaluated"),
            }
            for r in scan.rules
        ],
        "inputs": [
            {"layer": name, "path": str(p), "sha256": _sha256(Path(p))}
            for name, p in inputs.files()
        ],
        "scan_file": {"path": str(scan.path), "sha256": scan.sha256},
        "map_fields": list(scan.map_fields),
        "by_municipality": {
            str(k): {o: int(v) for o, v in g.value_counts().items()}
            for k, g in out.groupby(out["municipality_code"].fillna("onbekend"))[
                "outcome"
            ]
        },
    }
    total = summary["excluded"] + summary["scored"] + summary["unknown"]
    if total != n_in or out.index.has_duplicates:
        msg = f"accounting failed: {n_in} candidates in, {total} out"
        raise AssertionError(msg)
    return summary


ENGINES = ("fast", "dask")


def _evaluate(
    cand: gpd.GeoDataFrame,
    scan: ScanDefinition,
    ctx: ScanContext,
    *,
    engine: str,
    scheduler: str | None,
    chunk_size: int | None,
    workers: int | None,
) -> RuleTable:
    if engine == "fast":
        if scheduler is not None:
            raise ConfigError("--scheduler needs --engine dask")
        return evaluate_rules(
            cand, scan.rules, ctx, chunk_size=chunk_size, workers=workers
        )
    if engine == "dask":
        from kansenkaart.rules.dask_engine import evaluate_rules_dask  # noqa: PLC0415

        return evaluate_rules_dask(
            cand, scan.rules, ctx, scheduler=scheduler, partition_size=chunk_size
        )
    msg = f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}"
    raise ConfigError(msg)


def run_scan(
    scan: ScanDefinition | str | Path,
    inputs: ScanInputs,
    *,
    sensitivity_runs: int = 0,
    seed: int = 0,
    reference_date: str | None = None,
    progress: Progress | None = None,
    engine: str = "fast",
    scheduler: str | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Run a scan on the given inputs.

    Parameters
    ----------
    scan : ScanDefinition or path
        A loaded definition or a TOML file.
    inputs : ScanInputs
        Input files by layer.
    sensitivity_runs : int, default 0
        Monte Carlo runs of weight perturbation (±25 %); 0 switches it off.
    seed : int, default 0
        Seed of the sensitivity runs.
    reference_date : str, optional
        "Today" for durations (ISO date); the scan file's or today's date.
    progress : callable, optional
        Called with a short Dutch text at every step.
    engine : {"fast", "dask"}, default "fast"
        ``fast`` evaluates the rules on this machine in spatial chunks on
        parallel threads; ``dask`` sends spatial partitions (each with the
        layers it needs, plus a halo for distance rules) to a Dask cluster.
        Both give identical results.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); with
        ``engine="dask"`` and no address, a local cluster is started.
    chunk_size : int, optional
        Candidates per chunk (fast) or per partition (dask).
    workers : int, optional
        Threads of the fast engine (all cores by default).

    Returns
    -------
    ScanResult
        Candidates (every candidate that entered exactly once), summary,
        the rule table and, with sensitivity, the leave-one-rule-out table.
    """
    if not isinstance(scan, ScanDefinition):
        scan = load_scan(scan)
    layers = load_layers(scan, inputs, progress=progress)
    _step(progress, "kandidaten bepalen")
    cand = build_candidates(scan, layers)
    if inputs.area is not None:
        area = _area_polygon(inputs.area, layers)
        import shapely  # noqa: PLC0415

        from kansenkaart.rules._spatial import intersects_any  # noqa: PLC0415

        pts = shapely.point_on_surface(cand.geometry.values)
        cand = cand[intersects_any(pts, area.values)]
    cand = assign_municipality(cand, layers.get("municipalities"))
    ref = pd.Timestamp(
        reference_date or scan.reference_date or pd.Timestamp("today").date()
    )
    ctx = ScanContext(
        layers=layers,
        regime=scan.regime,
        horizon_years=scan.horizon_years,
        reference_date=ref,
    )
    cand = _attach_owner(cand, ctx)
    _step(progress, f"{len(scan.rules)} regels toepassen op {len(cand)} kandidaten")
    table = _evaluate(
        cand,
        scan,
        ctx,
        engine=engine,
        scheduler=scheduler,
        chunk_size=chunk_size,
        workers=workers,
    )
    sens = loo = None
    if sensitivity_runs:
        _step(progress, f"gevoeligheid: {sensitivity_runs} runs")
        sens = weight_sensitivity(
            table, runs=sensitivity_runs, top_k=scan.top_k, seed=seed
        )
        loo = leave_one_rule_out(table, top_k=scan.top_k)
    _step(progress, "scoren en rangschikken")
    out = _assemble(cand, table, sens, scan.map_fields)
    summary = _summary(scan, inputs, out, table, len(cand))
    if sensitivity_runs:
        summary["sensitivity"] = {
            "runs": sensitivity_runs,
            "seed": seed,
            "spread_share": 0.25,
            "top_k": scan.top_k,
        }
    context = {
        k: layers[k] for k in ("zoning", "buildings", "municipalities") if k in layers
    }
    return ScanResult(out, summary, table, loo, context)


def _inputs(**kwargs: Any) -> ScanInputs:
    def as_list(v: Any) -> list[Path]:
        if v is None:
            return []
        return [Path(p) for p in ([v] if isinstance(v, str | Path) else v)]

    layers = {k: Path(v) for k, v in (kwargs.pop("layers", None) or {}).items()}
    for name in (
        "natura2000",
        "monuments",
        "municipalities",
        "ownership",
        "vacancy",
        "noise",
    ):
        if kwargs.get(name) is not None:
            layers[name] = Path(kwargs[name])
    return ScanInputs(
        buildings=as_list(kwargs.get("buildings")),
        parcels=as_list(kwargs.get("parcels")),
        zoning=as_list(kwargs.get("zoning")),
        layers=layers,
        area=kwargs.get("area"),
    )


def run_object_scan(
    buildings: str | Path | Iterable[str | Path],
    *,
    zoning: str | Path | Iterable[str | Path] | None = None,
    scan: str | Path | None = None,
    **layers: Any,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Run the local object scan on buildings.

    Parameters
    ----------
    buildings : path or paths
        BAG / bag-light / LV-BAG XML / 3DBAG files.
    zoning : path or paths, optional
        IMRO plans (for derived uses and the zoning rules).
    scan : path, optional
        Scan definition; the shipped ``scans/objectscan.toml`` by default.
    **layers
        ``natura2000=``, ``monuments=``, ``municipalities=``, ``vacancy=``,
        ``area=``, ``sensitivity_runs=``, ``reference_date=``.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, dict)
        The candidates and the summary.
    """
    from kansenkaart.datasets import scan_path  # noqa: PLC0415

    runs = layers.pop("sensitivity_runs", 0)
    ref = layers.pop("reference_date", None)
    inputs = _inputs(buildings=buildings, zoning=zoning, **layers)
    result = run_scan(
        scan or scan_path("objectscan"),
        inputs,
        sensitivity_runs=runs,
        reference_date=ref,
    )
    return result.candidates, result.summary


def run_site_scan(
    parcels: str | Path | Iterable[str | Path] | None = None,
    *,
    zoning: str | Path | Iterable[str | Path] | None = None,
    buildings: str | Path | Iterable[str | Path] | None = None,
    scan: str | Path | None = None,
    **layers: Any,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Run the regional site scan on parcels (zoning areas where they are missing).

    Parameters
    ----------
    parcels : path or paths, optional
        DKK parcels.
    zoning : path or paths, optional
        IMRO plans; their Enkelbestemming areas are candidates where no
        parcels are given.
    buildings : path or paths, optional
        Buildings for cover and distance-to-built-up rules.
    scan : path, optional
        Scan definition; the shipped ``scans/locatiescan.toml`` by default.
    **layers
        ``natura2000=``, ``monuments=``, ``municipalities=``, ``ownership=``,
        ``noise=``, ``layers={name: path}``, ``area=``, ``sensitivity_runs=``.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, dict)
    """
    from kansenkaart.datasets import scan_path  # noqa: PLC0415

    if parcels is None and zoning is None:
        raise DataSourceError("run_site_scan needs parcels or zoning")
    runs = layers.pop("sensitivity_runs", 0)
    ref = layers.pop("reference_date", None)
    inputs = _inputs(parcels=parcels, zoning=zoning, buildings=buildings, **layers)
    result = run_scan(
        scan or scan_path("locatiescan"),
        inputs,
        sensitivity_runs=runs,
        reference_date=ref,
    )
    return result.candidates, result.summary
