"""Each predicate on small cases built in code, with known answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from kansenkaart.crs import RD_NEW
from kansenkaart.model.schema import BAG_USE_COLUMNS
from kansenkaart.rules.predicates import PREDICATES, ScanContext


def _cand(geoms: list, **cols: list) -> gpd.GeoDataFrame:
    ids = [f"c{i}" for i in range(len(geoms))]
    gdf = gpd.GeoDataFrame(
        cols, geometry=geoms, crs=RD_NEW, index=pd.Index(ids, name="candidate_id")
    )
    return gdf


def _call(
    name: str, cand: gpd.GeoDataFrame, ctx: ScanContext | None = None, **params: object
) -> list:
    result = PREDICATES[name].func(cand, ctx or ScanContext(layers={}), **params)
    assert list(result.index) == list(cand.index)
    return [
        None
        if pd.isna(v)
        else (round(float(v), 6) if isinstance(v, float) else bool(v))
        for v in result
    ]


def _buildings(uses: list[set[str] | None]) -> gpd.GeoDataFrame:
    cols: dict[str, list] = {}
    for use, col in BAG_USE_COLUMNS.items():
        cols[col] = pd.array(
            [None if u is None else use in u for u in uses], dtype="boolean"
        )
    return _cand([box(i * 20, 0, i * 20 + 10, 10) for i in range(len(uses))], **cols)


def test_uses_any() -> None:
    cand = _buildings([{"kantoorfunctie", "woonfunctie"}, {"woonfunctie"}, set(), None])
    assert _call("uses_any", cand, uses=["kantoorfunctie"]) == [
        True,
        False,
        False,
        None,
    ]


def test_status_in() -> None:
    cand = _cand(
        [Point(0, 0)] * 3,
        status=pd.array(["Pand gesloopt", "Pand in gebruik", None], dtype="string"),
    )
    assert _call("status_in", cand, values=["Pand gesloopt"]) == [True, False, None]


def test_storey_height_below() -> None:
    cand = _cand(
        [Point(0, 0)] * 4,
        height_m=pd.array([5.0, 9.0, None, 6.0], dtype="Float64"),
        storeys=pd.array([2, 3, 2, None], dtype="Int64"),
    )
    assert _call("storey_height_below", cand, min_storey_height_m=2.6) == [
        True,
        False,
        None,
        None,
    ]


def test_vacancy_duration() -> None:
    cand = _cand([Point(0, 0)] * 3)
    table = pd.DataFrame(
        {
            "building_id": ["c0", "c1"],
            "vacant_since": pd.to_datetime(["2020-01-01", "2025-01-01"]),
        }
    )
    ctx = ScanContext(
        layers={"vacancy": table}, reference_date=pd.Timestamp("2026-01-01")
    )
    out = _call("vacancy_duration", cand, ctx, layer="vacancy", structural_years=3)
    assert out[0] == 1.0
    assert out[1] == pytest.approx(365 / 365.25 / 3, abs=1e-3)
    assert out[2] is None  # absent from the table: not decided, not "not vacant"


def test_vacancy_duration_by_vacant_share() -> None:
    cand = _cand([Point(0, 0)] * 2)
    table = pd.DataFrame(
        {
            "building_id": ["c0", "c1"],
            "vacant_since": pd.to_datetime(["2020-01-01", "2020-01-01"]),
            "vacant_share": [1.0, 0.25],
        }
    )
    ctx = ScanContext(
        layers={"vacancy": table}, reference_date=pd.Timestamp("2026-01-01")
    )
    out = _call("vacancy_duration", cand, ctx, layer="vacancy", structural_years=3)
    assert out == [1.0, 0.25]


def test_units_that_fit_falls_back_to_footprint() -> None:
    cand = _cand(
        [box(0, 0, 10, 30), box(0, 0, 10, 10)],
        floor_area_m2=pd.array([None, 600.0], dtype="Float64"),
        storeys=pd.array([2, None], dtype="Int64"),
    )
    # 300 m2 x 2 storeys = 600 m2 -> 20 units of 30 m2 -> capped at 1; 600 m2 -> 1
    assert _call("units_that_fit", cand, unit_floor_area_m2=30, target_units=40) == [
        0.5,
        0.5,
    ]


def test_year_built_outside() -> None:
    cand = _cand(
        [Point(0, 0)] * 3, year_built=pd.array([1985, 1960, None], dtype="Int64")
    )
    assert _call(
        "year_built_outside", cand, penalty_from_year=1975, penalty_to_year=1990
    ) == [0.0, 1.0, None]


def test_layer_predicates() -> None:
    layer = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=RD_NEW)
    cand = _cand([box(50, 50, 60, 60), box(150, 0, 160, 10), box(400, 0, 410, 10)])
    ctx = ScanContext(layers={"n2k": layer})
    assert _call("intersects_layer", cand, ctx, layer="n2k") == [True, False, False]
    assert _call("within_distance", cand, ctx, layer="n2k", distance_m=100) == [
        True,
        True,
        False,
    ]
    prox = _call(
        "proximity",
        cand,
        ctx,
        layer="n2k",
        full_score_distance_m=0,
        zero_score_distance_m=100,
    )
    assert prox == [1.0, 0.5, 0.0]


def _zoning() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"object_type": ["Enkelbestemming"] * 2, "main_group": ["water", "wonen"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs=RD_NEW,
    )


def test_zoning_group_share_and_allows_housing() -> None:
    cand = _cand(
        [
            box(10, 10, 20, 20),
            box(85, 10, 125, 20),
            box(150, 10, 160, 20),
            box(500, 0, 510, 10),
        ]
    )
    ctx = ScanContext(layers={"zoning": _zoning()}, horizon_years=10)
    assert _call(
        "zoning_group_share", cand, ctx, layer="zoning", groups=["water"], min_share=0.5
    ) == [True, False, False, None]
    params = {
        "housing_groups": ["wonen"],
        "no_exemption_groups": ["water"],
        "needed_years": 10,
        "exemption_share": 0.5,
    }
    assert _call("zoning_allows_housing", cand, ctx, layer="zoning", **params) == [
        0.0,
        1.0,
        1.0,
        None,
    ]
    ctx_short = ScanContext(layers={"zoning": _zoning()}, horizon_years=5)
    cand2 = _cand([box(10, 10, 20, 20)])
    z = _zoning().assign(main_group=["bedrijf", "wonen"])
    assert _call(
        "zoning_allows_housing",
        cand2,
        ScanContext(layers={"zoning": z}, horizon_years=10),
        layer="zoning",
        **params,
    ) == [0.5]
    assert _call(
        "zoning_allows_housing",
        cand2,
        ctx_short.__class__(layers={"zoning": z}, horizon_years=5),
        layer="zoning",
        **params,
    ) == [0.0]


def test_capacity() -> None:
    cand = _cand([box(0, 0, 100, 50), box(0, 0, 100, 100)])  # 0.5 ha and 1 ha
    assert _call("capacity_below", cand, units_per_ha=30, min_units=16) == [True, False]
    assert _call("capacity_units", cand, units_per_ha=30, target_units=30) == [0.5, 1.0]


def test_building_cover() -> None:
    cand = _cand([box(0, 0, 100, 100), box(200, 0, 300, 100)])
    bld = gpd.GeoDataFrame(
        geometry=[box(0, 0, 30, 50)], crs=RD_NEW
    )  # 15 % of the first
    out = _call(
        "building_cover",
        cand,
        ScanContext(layers={"buildings": bld}),
        layer="buildings",
        max_cover_share=0.3,
    )
    assert out == [0.5, 1.0]


def test_owner_class_score() -> None:
    cand = _cand([Point(0, 0)] * 3)
    own = pd.DataFrame(
        {"parcel_id": ["c0", "c1"], "owner_class": ["provincie", "particulier"]}
    )
    out = _call(
        "owner_class_score",
        cand,
        ScanContext(layers={"ownership": own}),
        layer="ownership",
        class_scores={"provincie": 1.0, "particulier": 0.0},
    )
    assert out == [1.0, 0.0, None]


def test_available_years_below() -> None:
    cand = _cand([Point(0, 0)] * 3)
    table = pd.DataFrame({"parcel_id": ["c0", "c1"], "available_years": [3, 12]})
    out = _call(
        "available_years_below",
        cand,
        ScanContext(layers={"av": table}),
        layer="av",
        min_years=5,
    )
    assert out == [True, False, None]


def test_table_lookup_first_row_and_chunks_agree() -> None:
    # a repeated id takes its first row; an absent id is null; a chunk's
    # context gives the same values as a lookup of its own ids
    table = pd.DataFrame(
        {
            "parcel_id": ["c3", "c1", "c3", "c0"],
            "owner_class": ["rijk", "gemeente", "provincie", "overig"],
        }
    )
    ctx = ScanContext(layers={"own": table})
    ids = pd.Index(["c0", "c1", "c2", "c3"], name="candidate_id")
    direct = ctx.lookup("own", "parcel_id", "owner_class", ids)
    assert direct.tolist()[:2] == ["overig", "gemeente"]
    assert pd.isna(direct.iloc[2])
    assert direct.iloc[3] == "rijk"
    rows = np.array([3, 0])
    chunk = ctx.for_chunk(universe=ids, rows=rows)
    part = chunk.lookup("own", "parcel_id", "owner_class", ids[rows])
    assert part.tolist() == ["rijk", "overig"]
    assert list(part.index) == ["c3", "c0"]
    direct.iloc[0] = "rijk"  # the caller's copy; the shared lookup is untouched
    assert ctx.lookup("own", "parcel_id", "owner_class", ids).iloc[0] == "overig"


def test_raster_above(tmp_path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "lden.tif"
    data = np.array([[50, 50], [70, -1]], dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:28992",
        transform=from_origin(0, 20, 10, 10),
        nodata=-1,
    ) as dst:
        dst.write(data, 1)
    cand = _cand([box(1, 11, 9, 19), box(1, 1, 9, 9), box(11, 1, 19, 9)])
    out = _call(
        "raster_above",
        cand,
        ScanContext(layers={"noise": path}),
        layer="noise",
        max_lden_db=63,
    )
    assert out == [False, True, None]


def test_overlay_group_in() -> None:
    overlays = gpd.GeoDataFrame(
        {
            "object_type": [
                "Gebiedsaanduiding",
                "Gebiedsaanduiding",
                "Enkelbestemming",
            ],
            "main_group": ["milieuzone - waterwingebied", "stiltegebied", "water"],
        },
        geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)],
        crs=RD_NEW,
    )
    cand = _cand([box(5, 5, 15, 15), box(21, 1, 29, 9), box(41, 1, 49, 9)])
    ctx = ScanContext(layers={"constraints": overlays})
    out = _call(
        "overlay_group_in", cand, ctx, layer="constraints", groups=["Waterwingebied"]
    )
    # only an overlay of the group counts, not a bestemming with a like name
    assert out == [True, False, False]


def test_every_predicate_is_tested() -> None:
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    missing = [name for name in PREDICATES if f'"{name}"' not in source]
    assert not missing


def test_grid_candidates_cover_the_area() -> None:
    from kansenkaart.candidates import candidates_from_grid

    area = gpd.GeoSeries([box(0, 0, 250, 120)], crs=RD_NEW)
    cells = candidates_from_grid(area, cell_size_m=100)
    assert len(cells) == 6
    assert cells.index[0] == "E0N0"
    assert cells.geometry.area.sum() == pytest.approx(250 * 120)
    assert (cells["candidate_kind"] == "rastercel").all()


def _plan_with_overlays() -> gpd.GeoDataFrame:
    from kansenkaart.model.overlays import with_overlay_columns
    from kansenkaart.model.schema import ZONING
    from kansenkaart.model.validate import to_canonical

    rows = [
        ("Bestemmingsplangebied", "plan", None, None, None, box(0, 0, 100, 100)),
        ("Enkelbestemming", "Groen", "groen", None, None, box(0, 0, 100, 100)),
        (
            "Dubbelbestemming",
            "Leiding - Gas",
            "leiding",
            None,
            None,
            box(0, 0, 10, 100),
        ),
        # two overlapping archaeology overlays: counted once where they overlap
        (
            "Dubbelbestemming",
            "Waarde - Archeologie",
            "waarde",
            None,
            None,
            box(0, 0, 60, 100),
        ),
        (
            "Functieaanduiding",
            "specifieke vorm van waarde - archeologie 1",
            None,
            None,
            None,
            box(40, 0, 100, 50),
        ),
        (
            "Maatvoering",
            "maximale bouwhoogte (m)",
            None,
            "9",
            "maximum bouwhoogte (m)",
            box(0, 0, 50, 100),
        ),
        (
            "Maatvoering",
            "maximale bouwhoogte (m)",
            None,
            "6",
            "maximum bouwhoogte (m)",
            box(40, 0, 60, 100),
        ),
    ]
    frame = pd.DataFrame(
        rows, columns=["object_type", "name", "main_group", "value", "value_type", "g"]
    )
    frame["object_id"] = [f"o{i}" for i in range(len(frame))]
    frame["plan_id"] = "p"
    gdf = gpd.GeoDataFrame(
        frame.drop(columns="g"), geometry=list(frame["g"]), crs=RD_NEW
    )
    return to_canonical(with_overlay_columns(gdf), ZONING)


def _overlay_cands() -> gpd.GeoDataFrame:
    return _cand(
        [
            box(0, 0, 20, 20),  # half on the gas strip, all archaeology
            box(70, 60, 90, 80),  # no overlay at all
            box(200, 0, 220, 20),  # outside the plan
            box(90, 0, 130, 10),  # a quarter inside the plan, under archaeology
            box(50, 40, 70, 60),  # archaeology on 3/4 (merged overlays)
        ]
    )


def test_overlay_share_above() -> None:
    ctx = ScanContext(layers={"zoning": _plan_with_overlays()})
    cand = _overlay_cands()
    gas = _call(
        "overlay_share_above",
        cand,
        ctx,
        layer="zoning",
        classes=["leiding"],
        kinds=["gas"],
    )
    assert gas == [True, False, None, None, False]
    water = _call(
        "overlay_share_above",
        cand,
        ctx,
        layer="zoning",
        classes=["leiding"],
        kinds=["water"],
    )
    assert water == [False, False, None, None, False]
    arch = _call(
        "overlay_share_above",
        cand,
        ctx,
        layer="zoning",
        classes=["archeologie"],
        min_share=0.5,
    )
    assert arch == [True, False, None, None, True]
    any_arch = _call(
        "overlay_share_above", cand, ctx, layer="zoning", classes=["archeologie"]
    )
    # mostly outside the plan, yet decided by the part inside
    assert any_arch == [True, False, None, True, True]


def test_overlay_free_share() -> None:
    ctx = ScanContext(layers={"zoning": _plan_with_overlays()})
    out = _call(
        "overlay_free_share",
        _overlay_cands(),
        ctx,
        layer="zoning",
        classes=["archeologie"],
    )
    # merged overlays: 0.75 covered, not 0.75 + 0.25 of a double count
    assert out == [0.0, 1.0, None, None, 0.25]


def test_max_height_below() -> None:
    ctx = ScanContext(layers={"zoning": _plan_with_overlays()})
    out = _call(
        "max_height_below", _overlay_cands(), ctx, layer="zoning", min_height_m=8
    )
    # lowest Maatvoering counts: 9 m on c0; 6 m where the second overlaps (c4)
    assert out == [False, None, None, None, True]


def test_clear_height_below() -> None:
    cand = _cand(
        [Point(0, 0)] * 4,
        height_m=pd.array([6.0, 9.0, None, 6.0], dtype="Float64"),
        storeys=pd.array([2, 3, 2, None], dtype="Int64"),
    )
    # 3.0 m floor-to-floor less 0.35 m slab: 2.65 clear, not below 2.6
    out = _call(
        "clear_height_below", cand, min_clear_height_m=2.6, slab_allowance_m=0.35
    )
    assert out == [False, False, None, None]
    # with 0.5 m for slab and services 3.0 m floor-to-floor is too low
    out = _call(
        "clear_height_below", cand, min_clear_height_m=2.6, slab_allowance_m=0.5
    )
    assert out == [True, True, None, None]


def test_floor_area_below() -> None:
    cand = _cand(
        [
            box(0, 0, 3, 3),
            box(0, 0, 3, 3),
            box(0, 0, 3, 3),
            box(0, 0, 5, 5),
            box(0, 0, 3, 3),
        ],
        floor_area_m2=pd.array([None, None, 40.0, None, None], dtype="Float64"),
        storeys=pd.array([None, 2, None, None, None], dtype="Int64"),
        height_m=pd.array([3.0, None, None, 2.0, None], dtype="Float64"),
    )
    # 9 m2 x 1 storey; 9 m2 x 2 storeys; 40 m2 from BAG; 25 m2 x at least one
    # storey; nothing known
    assert _call("floor_area_below", cand, min_floor_area_m2=18) == [
        True,
        False,
        False,
        False,
        None,
    ]
    # a 9 m2 footprint 6 m high may hold two storeys of 2.6 m: not excluded
    tall = _cand(
        [box(0, 0, 3, 3)],
        floor_area_m2=pd.array([None], dtype="Float64"),
        storeys=pd.array([None], dtype="Int64"),
        height_m=pd.array([6.0], dtype="Float64"),
    )
    assert _call("floor_area_below", tall, min_floor_area_m2=18) == [False]


def test_every_candidate() -> None:
    assert _call("every_candidate", _cand([Point(0, 0)] * 2)) == [True, True]


def test_raster_share_above_and_not_above(tmp_path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "lden.tif"
    data = np.array([[50, 72], [72, -1]], dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:28992",
        transform=from_origin(0, 20, 10, 10),
        nodata=-1,
    ) as dst:
        dst.write(data, 1)
    # the whole raster (a quarter nodata), the top-left cell, the nodata cell
    cand = _cand([box(0, 0, 20, 20), box(1, 11, 9, 19), box(11, 1, 19, 9)])
    ctx = ScanContext(layers={"noise": path})
    above = _call("raster_share_above", cand, ctx, layer="noise", max_lden_db=70)
    assert above == [True, False, None]
    most = _call(
        "raster_share_above", cand, ctx, layer="noise", max_lden_db=70, min_share=0.7
    )
    assert most == [False, False, None]  # 2 of 3 valid cells: not above 0.7
    free = _call("raster_share_not_above", cand, ctx, layer="noise", max_lden_db=70)
    assert free == [round(1 / 3, 6), 1.0, None]


def test_planned_housing_available_below() -> None:
    zoning = _plan_with_overlays()
    zoning.loc[zoning["object_type"] == "Enkelbestemming", "main_group"] = "woongebied"
    outside = _cand([box(200, 0, 220, 20)])
    cand = _cand([box(0, 0, 20, 20), box(50, 50, 70, 70), box(20, 20, 30, 30)])
    cand = pd.concat([cand, outside.set_axis(["c3"])])
    table = pd.DataFrame({"candidate_id": ["c0", "c1"], "available_years": [3, 12]})
    ctx = ScanContext(layers={"zoning": zoning, "availability": table})
    out = _call(
        "planned_housing_available_below",
        cand,
        ctx,
        layer="zoning",
        groups=["woongebied"],
        min_years=5,
    )
    # 3 years; 12 years; availability unknown; outside every plan
    assert out == [True, False, None, None]
    other = _call(
        "planned_housing_available_below",
        cand,
        ScanContext(layers={"zoning": zoning}),
        layer="zoning",
        groups=["groen"],
        min_years=5,
    )
    assert other == [False, False, False, None]  # no housing site: no question
    no_table = _call(
        "planned_housing_available_below",
        cand,
        ScanContext(layers={"zoning": zoning}),
        layer="zoning",
        groups=["woongebied"],
        min_years=5,
    )
    assert no_table == [None, None, None, None]


def test_zoning_allows_housing_refined_by_a_functieaanduiding() -> None:
    zoning = gpd.GeoDataFrame(
        {
            "object_type": ["Enkelbestemming", "Functieaanduiding"],
            "main_group": ["gemengd", None],
            "name": ["Gemengd", "bedrijventerrein"],
        },
        geometry=[box(0, 0, 100, 100), box(0, 0, 60, 100)],
        crs=RD_NEW,
    )
    params = {
        "housing_groups": ["gemengd"],
        "no_exemption_groups": ["water"],
        "needed_years": 10,
        "exemption_share": 0.5,
    }
    # 100 % / 60 % / 25 % under bedrijventerrein; the last is gemengd
    cand = _cand([box(0, 0, 50, 50), box(20, 0, 70, 50), box(50, 0, 90, 50)])
    ctx = ScanContext(layers={"zoning": zoning}, horizon_years=15)
    out = _call("zoning_allows_housing", cand, ctx, layer="zoning", **params)
    assert out == [0.5, 0.5, 1.0]


def test_nonresidential_share_below_and_units_of_the_nonresidential_part() -> None:
    import pandas as pd

    from kansenkaart.io.bag import aggregate_units

    # a pand with 40 homes of 60 m2 above one shop of 200 m2; an office block
    # with one caretaker's flat; a pand whose unit areas are unknown
    units = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(40)] + ["s", "o1", "o2", "f", "x"],
            "building_id": ["p0"] * 41 + ["p1"] * 3 + ["p2"],
            "uses": ["woonfunctie"] * 40
            + ["winkelfunctie", "kantoorfunctie", "kantoorfunctie", "woonfunctie"]
            + ["kantoorfunctie"],
            "floor_area_m2": [60.0] * 40 + [200.0, 900.0, 900.0, 80.0, None],
        }
    )
    agg = aggregate_units(units, pd.Index(["p0", "p1", "p2"]))
    assert agg["floor_area_m2"].tolist()[:2] == [2600.0, 1880.0]
    assert agg["residential_area_m2"].tolist()[:2] == [2400.0, 80.0]
    assert pd.isna(agg.loc["p2", "residential_area_m2"])
    cand = _cand(
        [box(0, 0, 10, 10)] * 3,
        floor_area_m2=agg["floor_area_m2"].to_numpy(),
        residential_area_m2=agg["residential_area_m2"].to_numpy(),
        storeys=pd.array([None] * 3, dtype="Int64"),
    )
    assert _call("nonresidential_share_below", cand, min_share=0.5) == [
        True,
        False,
        None,
    ]
    # without unit areas: no woonfunctie among the uses (BAG or derived from
    # the bestemming) is decided, a woonfunctie or no uses at all is not
    bare = _cand(
        [box(0, 0, 10, 10)] * 3,
        floor_area_m2=[500.0, 500.0, None],
        residential_area_m2=pd.array([None] * 3, dtype="Float64"),
        use_residential=pd.array([False, True, None], dtype="boolean"),
        use_office=pd.array([True, True, None], dtype="boolean"),
    )
    assert _call("nonresidential_share_below", bare, min_share=0.5) == [
        False,
        None,
        None,
    ]
    # 200 m2 of shop holds 6 homes of 30 m2, not the 86 of the whole pand
    units_fit = _call("units_that_fit", cand, unit_floor_area_m2=30, target_units=100)
    assert units_fit[:2] == [0.06, 0.6]


def test_building_cover_above() -> None:
    # a 100 m2 site under a 60 m2 building, one under 40 m2, one bare
    sites = [box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)]
    buildings = gpd.GeoDataFrame(
        {"building_id": ["a", "b"]},
        geometry=[box(0, 0, 6, 10), box(20, 0, 24, 10)],
        crs=RD_NEW,
    )
    cand = _cand(sites)
    ctx = ScanContext(layers={"buildings": buildings})
    out = _call(
        "building_cover_above", cand, ctx, layer="buildings", max_cover_share=0.5
    )
    assert out == [True, False, False]
