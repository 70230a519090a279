"""Fixtures for map rendering.

The tests render maps of a RESULT_DIR written by the real pipeline: the
locatiescan on the embedded data (Amsterdam parcels, Katwijk plans) with an
ownership table that also holds a column of (made-up) person names, which
must never reach a map. :func:`write_result_dir` builds a synthetic
RESULT_DIR of any size in code for the map benchmark
(``benchmarks/map_render.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[2]
FOOTPRINTS = REPO / "data" / "amsterdam_BU03638600_bag_panden.gpkg"
BUURT = REPO / "data" / "amsterdam_BU03638600_buurt.gpkg"
PASSPHRASE = "lantaarn paraplu kiezel wortel"
RULES = [
    {
        "id": "OBJ-STATUS",
        "title": "Pand is in gebruik",
        "kind": "veto",
        "weight": None,
        "source": "BAG, status pand",
        "rationale": "Alleen bestaande panden.",
    },
    {
        "id": "OBJ-MONUMENT",
        "title": "Geen rijksmonument",
        "kind": "veto",
        "weight": None,
        "source": "Rijksmonumentenregister",
        "rationale": "Monumenten vragen maatwerk.",
    },
    {
        "id": "OBJ-OPP",
        "title": "Oppervlakte tussen 200 en 5000 m²",
        "kind": "score",
        "weight": 0.6,
        "source": "BAG, oppervlakte verblijfsobjecten",
        "rationale": "Genoeg ruimte voor 10+ units.",
    },
    {
        "id": "OBJ-BOUWJAAR",
        "title": "Gebouwd na 1965",
        "kind": "score",
        "weight": 0.4,
        "source": "BAG, bouwjaar",
        "rationale": "Nieuwere panden zijn eenvoudiger om te bouwen.",
    },
    {
        "id": "OBJ-EIGENAAR",
        "title": "Eigendom bekend",
        "kind": "flag",
        "weight": None,
        "source": "BRK, eigenaarsklasse",
        "rationale": "Voor het gesprek met de eigenaar.",
    },
]
OWNER_CLASSES = ["gemeente", "provincie", "particulier", "woningcorporatie", "bedrijf"]


def _outcomes(n: int, status: pd.Series, rng: np.random.Generator) -> pd.DataFrame:
    draw = rng.random(n)
    vetoed_status = ~status.eq("Pand in gebruik").to_numpy()
    monument = (draw < 0.15) & ~vetoed_status
    unknown = (draw > 0.88) & ~vetoed_status & ~monument
    outcome = np.where(vetoed_status | monument, "excluded", "scored")
    outcome = np.where(unknown, "unknown", outcome)
    excluded_by = np.where(
        vetoed_status, "OBJ-STATUS", np.where(monument, "OBJ-MONUMENT", "")
    )
    return pd.DataFrame(
        {"outcome": outcome, "excluded_by": excluded_by, "monument": monument}
    )


def _scores(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    scored = frame["outcome"].eq("scored")
    score = np.round(rng.random(len(frame)) * 100, 1)
    frame["score"] = np.where(scored, score, np.nan)
    order = frame.loc[scored].sort_values(
        ["score", "candidate_id"], ascending=[False, True]
    )
    frame["rank"] = pd.Series(np.arange(1, scored.sum() + 1), index=order.index)
    frame["rank"] = frame["rank"].astype("Int64")
    frame["rank_municipality"] = (
        frame.loc[scored]
        .groupby("municipality_code")["score"]
        .rank(ascending=False, method="first")
        .astype("Int64")
    )
    return frame


def _rule_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame["OBJ-STATUS"] = np.where(
        frame["excluded_by"].eq("OBJ-STATUS"), "uitgesloten", "voldoet"
    )
    frame["OBJ-MONUMENT"] = np.where(frame["monument"], "uitgesloten", "voldoet")
    frame["OBJ-OPP"] = np.where(
        frame["outcome"].eq("scored"),
        [f"+{v:.1f} punten" for v in frame["score"] * 0.6],
        "–",
    )
    frame["OBJ-BOUWJAAR"] = np.where(
        frame["outcome"].eq("unknown"), "onbekend", "+8.0 punten"
    )
    frame["OBJ-EIGENAAR"] = "ja"
    frame["unknown_for"] = np.where(frame["outcome"].eq("unknown"), "OBJ-BOUWJAAR", "")
    reasons = {
        "scored": "Voldoet aan alle uitsluitingsregels; score uit oppervlakte "
        "en bouwjaar.",
        "unknown": "Bouwjaar onbekend: kan niet worden beoordeeld.",
        "excluded": "Uitgesloten door een harde regel.",
    }
    frame["reason_nl"] = frame["outcome"].map(reasons)
    return frame.drop(columns=["monument"])


def candidates_from_footprints(
    footprints: gpd.GeoDataFrame, *, seed: int = 42
) -> gpd.GeoDataFrame:
    """Return a candidates layer (the scan contract) for the given footprints."""
    rng = np.random.default_rng(seed)
    n = len(footprints)
    frame = _outcomes(n, footprints["status"].reset_index(drop=True), rng)
    frame["candidate_id"] = [f"NL.IMBAG.Pand.{i}" for i in footprints["identificatie"]]
    x = shapely.get_x(shapely.centroid(footprints.geometry.values))
    west = x < np.median(x)
    frame["municipality_code"] = np.where(west, "GM0363", "GM0537")
    frame["municipality_name"] = np.where(west, "Amsterdam", "Katwijk")
    frame = _rule_columns(_scores(frame, rng))
    frame["owner_class"] = rng.choice(OWNER_CLASSES, n)
    frame["year_built"] = footprints["bouwjaar"].to_numpy()
    frame["owner_name"] = [f"Testpersoon Eigenaarsnaam {k}" for k in range(n)]
    return gpd.GeoDataFrame(
        frame, geometry=footprints.geometry.to_numpy(), crs=footprints.crs
    )


def summary_for(candidates: gpd.GeoDataFrame, *, name: str = "objectscan") -> dict:
    """Return a ``summary.json`` dict matching the candidates."""
    counts = candidates["outcome"].value_counts()
    return {
        "scan": {
            "name": name,
            "title": "Kansenkaart flexwonen — objectscan (test)",
            "version": "2025.1",
            "unit": "pand",
            "regime": "tijdelijk",
            "horizon_years": 15,
        },
        "created": "2025-11-20T10:15:00+01:00",
        "package_version": "0.1.0",
        "candidates_in": len(candidates),
        "excluded": int(counts.get("excluded", 0)),
        "scored": int(counts.get("scored", 0)),
        "unknown": int(counts.get("unknown", 0)),
        "skipped_rules": ["OBJ-GELUID"],
        "rules": RULES,
        "inputs": [
            {
                "layer": "buildings",
                "format": "bag-light",
                "path": "data/amsterdam_BU03638600_bag_panden.gpkg",
                "sha256": "0" * 64,
            }
        ],
        "map_fields": ["owner_class", "year_built"],
        "attribution": ["BAG © Kadaster (CC0)", "Buurtgrenzen © CBS (CC BY 4.0)"],
    }


def write_context(path: Path, footprints: gpd.GeoDataFrame) -> None:
    """Write ``context.gpkg`` with boundary, zoning and buildings layers."""
    buurt = gpd.read_file(BUURT)
    boundary = gpd.GeoDataFrame({"name": buurt["buurtnaam"]}, geometry=buurt.geometry)
    xmin, ymin, xmax, ymax = buurt.total_bounds
    xmid = (xmin + xmax) / 2
    zoning = gpd.GeoDataFrame(
        {"main_group": ["Wonen", "Gemengd"]},
        geometry=[
            shapely.box(xmin, ymin, xmid, ymax),
            shapely.box(xmid, ymin, xmax, ymax),
        ],
        crs=buurt.crs,
    )
    boundary.to_file(path, layer="boundary")
    zoning.to_file(path, layer="zoning")
    footprints[["identificatie", "geometry"]].to_file(path, layer="buildings")


def write_result_dir(
    folder: Path, footprints: gpd.GeoDataFrame, *, context: bool = True
) -> Path:
    """Write a complete RESULT_DIR for ``footprints`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    candidates = candidates_from_footprints(footprints)
    candidates.to_file(folder / "candidates.gpkg", layer="candidates")
    summary = summary_for(candidates)
    (folder / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False), "utf-8"
    )
    if context:
        write_context(folder / "context.gpkg", footprints)
    return folder


@pytest.fixture(scope="session")
def footprints() -> gpd.GeoDataFrame:
    """The 464 real BAG footprints of one Amsterdam buurt (EPSG:28992)."""
    return gpd.read_file(FOOTPRINTS)


PERSON_COLUMN = "naam_eigenaar"
PERSON_NAME = "Testpersoon Eigenaarsnaam"


def write_ownership(path: Path) -> Path:
    """An ownership table for the Amsterdam parcels, with a person-name column."""
    parcels = gpd.read_file(REPO / "data" / "amsterdam_BU03638600_brk_percelen.gpkg")
    rng = np.random.default_rng(7)
    ids = (
        parcels["AKRKadastraleGemeenteCodeWaarde"].astype(str)
        + " "
        + parcels["sectie"].astype(str)
        + " "
        + parcels["perceelnummer"].astype(str)
    )
    table = pd.DataFrame(
        {
            "perceel": ids,
            "eigenaarklasse": rng.choice(
                ["Gemeente Amsterdam", "Woningcorporatie", "particulier", "Rijk"],
                len(ids),
            ),
            PERSON_COLUMN: [f"{PERSON_NAME} {k}" for k in range(len(ids))],
        }
    )
    table.to_csv(path, sep=";", index=False)
    return path


def _site_scan(folder: Path, *, ownership: bool) -> Path:
    from kansenkaart.datasets import default_inputs, scan_path
    from kansenkaart.errors import GeometryRepairedWarning
    from kansenkaart.pipeline import scan_to_folder
    from kansenkaart.sources.layers import ScanInputs

    d = default_inputs()
    layers = {k: d[k] for k in ("natura2000", "monuments", "municipalities")}
    zoning = d["zoning"]
    if ownership:  # the Amsterdam parcels only: the table covers them all
        layers["ownership"] = write_ownership(folder / "eigendom.csv")
        zoning = []
    scan = Path(scan_path("locatiescan"))
    if ownership:  # no plan for Amsterdam: its zoning vetoes flag, not onbekend
        blocks = scan.read_text(encoding="utf-8").split("[[rule]]")
        zoning_veto = 'kind = "veto"', 'layer = "zoning"', 'on_missing = "skip"\n'
        for k, block in enumerate(blocks):
            if all(s in block for s in zoning_veto) and "on_unknown" not in block:
                blocks[k] = block.replace(
                    'on_missing = "skip"\n',
                    'on_missing = "skip"\non_unknown = "flag"\n',
                )
        assert blocks != scan.read_text(encoding="utf-8").split("[[rule]]")
        text = "[[rule]]".join(blocks)
        scan = folder / "locatiescan.toml"
        scan.write_text(text, encoding="utf-8")
    inputs = ScanInputs(
        parcels=d["parcels"], zoning=zoning, buildings=d["buildings"], layers=layers
    )
    with pytest.warns(GeometryRepairedWarning):
        _, path = scan_to_folder(
            scan,
            inputs,
            folder / "result",
            reference_date="2026-01-01",
        )
    return path


@pytest.fixture(scope="session")
def result_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The locatiescan on the embedded data, written by the real pipeline."""
    return _site_scan(tmp_path_factory.mktemp("scan"), ownership=False)


@pytest.fixture(scope="session")
def owned_result_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The locatiescan of the Amsterdam parcels with an ownership table that
    also holds person names (which must never reach a map)."""
    return _site_scan(tmp_path_factory.mktemp("owned"), ownership=True)


@pytest.fixture(scope="session")
def summary(result_dir: Path) -> dict:
    """The summary the pipeline wrote."""
    return json.loads((result_dir / "summary.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def candidates(result_dir: Path) -> gpd.GeoDataFrame:
    """The candidates layer of :func:`result_dir`."""
    return gpd.read_file(result_dir / "candidates.gpkg", layer="candidates")


@pytest.fixture(scope="session")
def passphrase() -> str:
    """A strong passphrase (four random words)."""
    return PASSPHRASE
