"""Implausible values are set to missing at the reading boundary, never ranked."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from kansenkaart.errors import GeometryError, KansenkaartWarning
from kansenkaart.model.schema import BUILDINGS, PARCELS
from kansenkaart.model.validate import check_bounds, validate_layer


def _parcels(areas: list[float]) -> gpd.GeoDataFrame:
    n = len(areas)
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"OTL02-B-{i}" for i in range(n)],
            "registered_area_m2": pd.array(areas, dtype="Float64"),
        },
        geometry=[shapely.box(i * 10, 0, i * 10 + 5, 5) for i in range(n)],
        crs=28992,
    )


def test_outside_values_become_missing_with_ids_and_counts() -> None:
    gdf = _parcels([1e30, -5.0, float("inf"), 1.0, 1e8, 250.0, 0.5])
    with pytest.warns(KansenkaartWarning, match=r"4 value\(s\) of registered_area_m2"):
        out = validate_layer(gdf, PARCELS, source="p.gpkg")
    assert out["registered_area_m2"].isna().tolist() == [
        True, True, True, False, False, False, True,
    ]  # fmt: skip
    finding = next(f for f in out.attrs["findings"] if f.code == "implausible_value")
    assert finding.column == "registered_area_m2"
    assert finding.ids == ("OTL02-B-0", "OTL02-B-1", "OTL02-B-2", "OTL02-B-6")


def test_every_bound_has_a_reason() -> None:
    for schema in (BUILDINGS, PARCELS):
        for column, bound in schema.bounds.items():
            assert column in schema.dtypes
            assert bound.low < bound.high
            assert len(bound.reason) > 20


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(min_value=1, max_value=1e8),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_after_the_check_every_value_is_plausible_or_missing(
    values: list[float],
) -> None:
    gdf = _parcels(values)
    out, _ = check_bounds(gdf, PARCELS, source="p")
    bound = PARCELS.bounds["registered_area_m2"]
    kept = out["registered_area_m2"].dropna().to_numpy(float)
    assert ((kept >= bound.low) & (kept <= bound.high)).all()
    inside = np.array([bound.low <= v <= bound.high for v in values])
    assert out["registered_area_m2"].notna().to_numpy()[inside].all()


def test_points_are_refused_for_parcels_with_the_fix() -> None:
    gdf = _parcels([10.0, 20.0]).set_geometry(
        gpd.GeoSeries([shapely.Point(0, 0), shapely.Point(1, 1)], crs=28992)
    )
    with pytest.raises(GeometryError, match=r"2 of 2 features are not \(2 Point\)"):
        validate_layer(gdf, PARCELS, source="p.gpkg")
