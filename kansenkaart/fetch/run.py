"""Fetch an area's layers into GeoPackages with a manifest, resumably.

Every page a server returns is written to a cache in the output folder
(``.fetch-cache/<layer>/page-00001.json`` and ``state.json`` with the link to
the next page) before the next one is asked for. An interrupted fetch (killed,
offline, a server that keeps failing) therefore resumes where it stopped when
the same command is run again. A layer's GeoPackage is written to a temporary
file and moved into place when complete; ``manifest.json`` is written last and
the cache removed after it.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd

from kansenkaart._version import __version__
from kansenkaart.errors import ConfigError
from kansenkaart.fetch.area import RD, Area, resolve_area
from kansenkaart.fetch.client import CollectionNotFoundError, FeaturesClient
from kansenkaart.fetch.config import FetchConfig, LayerSpec, load_config

__all__ = ["FetchResult", "LayerResult", "fetch_area"]

logger = logging.getLogger(__name__)

#: Called after every page: (layer name, features so far, total if known).
Progress = Callable[[str, int, int | None], None]
CACHE = ".fetch-cache"


@dataclass
class LayerResult:
    """What was fetched for one layer (one entry of ``manifest.json``)."""

    name: str
    service: str
    url: str
    collection: str
    query: dict[str, str]
    fetched_at: str | None = None
    pages: int = 0
    features_fetched: int = 0
    features: int = 0
    file: str | None = None
    licence: str = ""
    attribution: str = ""
    skipped: str | None = None
    scan_option: str = ""


@dataclass
class FetchResult:
    """The output folder, its manifest and the scan commands that use it."""

    out: Path
    manifest: dict[str, Any]
    scan_commands: list[str] = field(default_factory=list)


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


class _LayerCache:
    """The pages of one layer on disk, and where to go on."""

    def __init__(self, folder: Path, query: dict[str, Any]) -> None:
        self.folder = folder
        self.state_path = folder / "state.json"
        state = (
            json.loads(self.state_path.read_text(encoding="utf-8"))
            if self.state_path.exists()
            else {}
        )
        if state.get("query") != query:  # another area or service: start over
            shutil.rmtree(folder, ignore_errors=True)
            state = {"query": query, "pages": 0, "next": None, "done": False}
        folder.mkdir(parents=True, exist_ok=True)
        self.state = state

    def add(
        self, features: list[dict[str, Any]], next_url: str | None, matched: int | None
    ) -> None:
        n = self.state["pages"] + 1
        _write_json(self.folder / f"page-{n:05d}.json", features)
        self.state.update(
            pages=n, next=next_url, done=next_url is None, matched=matched
        )
        _write_json(self.state_path, self.state)

    def features(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for n in range(1, self.state["pages"] + 1):
            page = self.folder / f"page-{n:05d}.json"
            out += json.loads(page.read_text(encoding="utf-8"))
        return out


def _to_frame(features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """GeoJSON features (in RD New) as a frame; lists and objects as text."""
    if not features:
        return gpd.GeoDataFrame({"feature_id": []}, geometry=[], crs=RD)
    gdf = gpd.GeoDataFrame.from_features(features, crs=RD)
    gdf.insert(0, "feature_id", [str(f.get("id", "")) or None for f in features])
    for col in gdf.columns.drop(gdf.geometry.name):
        if gdf[col].dtype == object:
            gdf[col] = gdf[col].map(_scalar)
    if gdf["feature_id"].notna().all():
        gdf = gdf.drop_duplicates("feature_id")  # a page boundary moved under us
    return gdf


def _empty_like(client: FeaturesClient, collection: str) -> gpd.GeoDataFrame:
    """An empty frame with the columns of one feature of the collection."""
    page = next(client.pages(collection, None, limit=1), None)
    sample = _to_frame(page.features[:1] if page else [])
    return sample.iloc[0:0]


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    tmp = path.with_name(path.stem + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    gdf.to_file(tmp, layer=layer, driver="GPKG")
    os.replace(tmp, path)


class _Fetcher:
    """Clients per service and the page loop of each layer."""

    def __init__(
        self, config: FetchConfig, out: Path, progress: Progress | None, sleep: Any
    ) -> None:
        self.config, self.out, self.progress = config, out, progress
        self.sleep = sleep
        self.clients: dict[str, FeaturesClient] = {}

    def client(self, service: str) -> FeaturesClient:
        if service not in self.clients:
            c = self.config
            self.clients[service] = FeaturesClient(
                c.services[service].url,
                retries=c.retries,
                backoff_s=c.backoff_s,
                timeout_s=c.timeout_s,
                sleep=self.sleep,
            )
        return self.clients[service]

    def close(self) -> None:
        for c in self.clients.values():
            c.close()

    def read_boundary(
        self, service: str, collection: str, bbox: tuple[float, float, float, float]
    ) -> gpd.GeoDataFrame:
        client = self.client(service)
        features = [
            f
            for page in client.pages(collection, bbox, limit=self.config.limit)
            for f in page.features
        ]
        return _to_frame(features)

    def layer(
        self, spec: LayerSpec, area: Area
    ) -> tuple[LayerResult, gpd.GeoDataFrame]:
        client = self.client(spec.service)
        service = self.config.services[spec.service]
        query = client.first_query(area.bbox, limit=self.config.limit)
        result = LayerResult(
            name=spec.name,
            service=spec.service,
            url=client.items_url(spec.collection),
            collection=spec.collection,
            query=query,
            licence=service.licence,
            attribution=service.attribution,
            scan_option=spec.option,
        )
        cache = _LayerCache(
            self.out / CACHE / spec.name, {"url": result.url, "params": query}
        )
        fetched = sum(1 for _ in cache.features()) if cache.state["pages"] else 0
        if not cache.state["done"]:
            start = cache.state["next"] if cache.state["pages"] else None
            pages = client.pages(
                spec.collection, area.bbox, limit=self.config.limit, start_url=start
            )
            for page in pages:
                cache.add(page.features, page.next_url, page.matched)
                fetched += len(page.features)
                if self.progress is not None:
                    self.progress(spec.name, fetched, page.matched)
        result.fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        result.pages = cache.state["pages"]
        frame = _to_frame(cache.features())
        result.features_fetched = len(frame)
        return result, frame


def scan_commands(out: Path, results: Sequence[LayerResult]) -> list[str]:
    """The ``kansenkaart scan`` commands (sites, objects) that use the fetched files."""
    args: list[str] = []
    for r in results:
        spec_option = r.scan_option
        if not r.file or not spec_option:
            continue
        path = shlex.quote(str(out / r.file))
        args.append(
            f"{spec_option}{path}"
            if spec_option.endswith("=")
            else f"{spec_option} {path}"
        )
    area = shlex.quote(str(out / "area.gpkg"))
    common = " ".join([*args, "--area", area])
    sites = shlex.quote(str(out / "locatiescan"))
    objects = shlex.quote(str(out / "objectscan"))
    return [
        f"kansenkaart scan sites {common} --out {sites}",
        f"kansenkaart scan objects {common} --out {objects}",
    ]


def _prepare_out(out: Path, *, overwrite: bool) -> None:
    if (out / "manifest.json").exists() and not overwrite:
        msg = (
            f"{out} already holds a completed fetch (manifest.json). Pass "
            "--overwrite to fetch again into it, or choose another --out."
        )
        raise ConfigError(msg)
    out.mkdir(parents=True, exist_ok=True)


def _select(config: FetchConfig, names: Sequence[str] | None) -> list[LayerSpec]:
    if not names:
        return list(config.layers)
    known = {lay.name: lay for lay in config.layers}
    unknown = sorted(set(names) - set(known))
    if unknown:
        msg = (
            f"--layers: unknown layer(s) {', '.join(unknown)}; known: "
            f"{', '.join(known)}."
        )
        raise ConfigError(msg)
    return [known[n] for n in names]


def _fetch_one(
    fetcher: _Fetcher, spec: LayerSpec, area: Area, out: Path
) -> LayerResult:
    try:
        result, frame = fetcher.layer(spec, area)
    except CollectionNotFoundError as err:
        if not spec.optional:
            raise
        logger.warning("%s skipped: %s", spec.name, err)
        url = fetcher.client(spec.service).items_url(spec.collection)
        return LayerResult(
            name=spec.name,
            service=spec.service,
            url=url,
            collection=spec.collection,
            query={},
            skipped=str(err),
        )
    inside = frame[frame.intersects(area.polygon)] if len(frame) else frame
    if inside.empty:  # keep the collection's columns so readers know the layer
        inside = _empty_like(fetcher.client(spec.service), spec.collection)
    result.features = len(inside)
    # also when empty: "none in this area" is an answer, a missing file is not
    _write_gpkg(inside, out / f"{spec.name}.gpkg", spec.name)
    result.file = f"{spec.name}.gpkg"
    return result


def fetch_area(
    area: str,
    out: str | Path,
    *,
    config: FetchConfig | None = None,
    layers: Sequence[str] | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Download the configured layers for ``area`` into ``out``.

    Parameters
    ----------
    area : str
        ``GM0537``, ``WK053700``, ``BU05370001``, ``x0,y0,x1,y1`` (RD New) or a
        polygon file.
    out : str or Path
        Output folder; a fetch interrupted earlier in the same folder resumes.
    config : FetchConfig, optional
        Services and layers (the shipped ``services.toml`` by default).
    layers : sequence of str, optional
        Names of the layers to fetch (all configured layers by default).
    overwrite : bool, default False
        Fetch again into a folder that holds a completed fetch.
    progress : callable, optional
        Called after every page with (layer, features so far, total or None).
    sleep : callable, default time.sleep
        How the client waits between retries.

    Returns
    -------
    FetchResult
        With ``manifest`` (also written as ``manifest.json``) and the
        ``kansenkaart scan`` commands that use the files.

    Raises
    ------
    ConfigError
        For an unknown area, layer or service, or a completed fetch in ``out``.
    DataSourceError
        When a service cannot be reached (offline) or keeps failing.
    """
    config = config or load_config()
    out = Path(out)
    specs = _select(config, layers)
    _prepare_out(out, overwrite=overwrite)
    fetcher = _Fetcher(config, out, progress, sleep)
    try:
        where = resolve_area(area, config, fetcher.read_boundary)
        results = [_fetch_one(fetcher, spec, where, out) for spec in specs]
    finally:
        fetcher.close()
    area_frame = gpd.GeoDataFrame(
        {"area": [where.spec]}, geometry=[where.polygon], crs=RD
    )
    _write_gpkg(area_frame, out / "area.gpkg", "area")
    commands = scan_commands(out, results)
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "kansenkaart": __version__,
        "area": {
            "spec": where.spec,
            "source": where.source,
            "bbox_rd": [round(v, 3) for v in where.bbox],
            "area_m2": round(float(where.polygon.area), 1),
            "file": "area.gpkg",
        },
        "crs": RD,
        "layers": [asdict(r) for r in results],
        "scan_commands": commands,
    }
    _write_json(out / "manifest.json", manifest)
    shutil.rmtree(out / CACHE, ignore_errors=True)
    counts = {r.name: r.features for r in results}
    logger.info("fetch %s into %s: %s", where.spec, out, counts)
    return FetchResult(out=out, manifest=manifest, scan_commands=commands)
