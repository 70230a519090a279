"""Real buildings and real zoning on the same ground (Katwijk-Valkenburg)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from kansenkaart.sources.read import read_buildings, read_zoning


def test_3dbag_panden_by_plan(data_dir: Path) -> None:
    buildings = read_buildings(
        data_dir / "katwijk_valkenburg_3dbag_tile_8-296-632_panden.gpkg"
    )
    zoning = read_zoning(
        [
            data_dir / "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp.gpkg",
            data_dir / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg",
        ]
    )
    assert len(buildings) == 1146
    enkel = zoning[zoning["object_type"] == "Enkelbestemming"]
    pts = shapely.point_on_surface(np.asarray(buildings.geometry.values))
    left, right = shapely.STRtree(np.asarray(enkel.geometry.values)).query(
        pts, predicate="within"
    )
    plan = np.full(len(buildings), "", dtype=object)
    plan[left] = enkel["plan_id"].to_numpy()[right]
    counts = {p: int((plan == p).sum()) for p in set(plan)}
    assert counts["NL.IMRO.0537.bpVLKdorp-va02"] == 855
    assert counts["NL.IMRO.0537.bpVLKplv-VA01"] == 40
    assert counts[""] == 251
    groups = enkel["main_group"].to_numpy()[right]
    in_valkenhorst = enkel["plan_id"].to_numpy()[right] == "NL.IMRO.0537.bpVLKplv-VA01"
    assert int((groups[in_valkenhorst] == "gemengd").sum()) == 25
