"""Property: what a reader returns does not depend on the order of the features.

Each example writes a 40-row subset of a real file twice to a temporary
GeoPackage, once in file order and once in a drawn order, reads both with the
public reader and compares them after sorting by the canonical id. Writing
both copies the same way isolates feature order from any round-trip effect.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from hypothesis import given, settings
from hypothesis import strategies as st

from kansenkaart.sources.read import read_buildings, read_parcels, read_zoning

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
BAG_LIGHT = DATA / "amsterdam_BU03638600_bag_panden.gpkg"
PARCELS = DATA / "amsterdam_BU03638600_brk_percelen.gpkg"
VALKENHORST = DATA / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg"
N = 40


def _write_layers(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> None:
    for name, frame in layers.items():
        pyogrio.write_dataframe(
            frame, path, layer=name, driver="GPKG", append=path.exists()
        )


def _read_layers(path: Path) -> dict[str, gpd.GeoDataFrame]:
    return {
        str(name): pyogrio.read_dataframe(path, layer=str(name))
        for name, _ in pyogrio.list_layers(path)
    }


def _canonical(frame: gpd.GeoDataFrame, id_col: str) -> gpd.GeoDataFrame:
    return frame.sort_values(id_col, kind="stable").reset_index(drop=True)


def _assert_same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, id_col: str) -> None:
    a, b = _canonical(a, id_col), _canonical(b, id_col)
    assert a.crs == b.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns=a.geometry.name)),
        pd.DataFrame(b.drop(columns=b.geometry.name)),
    )
    assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-6).all()


def _check(layers, permuted_layer: str, order: list[int], reader, id_col: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        straight, shuffled = Path(tmp) / "straight.gpkg", Path(tmp) / "shuffled.gpkg"
        _write_layers(straight, layers)
        perm = dict(layers)
        perm[permuted_layer] = layers[permuted_layer].iloc[order].reset_index(drop=True)
        _write_layers(shuffled, perm)
        with warnings.catch_warnings():
            # Findings (if any) are the same for both orders; compared below.
            warnings.simplefilter("ignore")
            a, b = reader(straight), reader(shuffled)
    _assert_same(a, b, id_col)
    messages_a = sorted(
        f.message.replace("straight", "") for f in a.attrs.get("findings", [])
    )
    messages_b = sorted(
        f.message.replace("shuffled", "") for f in b.attrs.get("findings", [])
    )
    assert messages_a == messages_b


_BAG = {"panden": pyogrio.read_dataframe(BAG_LIGHT, layer="panden").iloc[:N]}
_DKK = {"percelen": pyogrio.read_dataframe(PARCELS, layer="percelen").iloc[:N]}
_IMRO = _read_layers(VALKENHORST)
_N_ENKEL = len(_IMRO["Enkelbestemming"])


@settings(max_examples=5, deadline=None)
@given(order=st.permutations(range(N)))
def test_buildings_do_not_depend_on_order(order):
    _check(_BAG, "panden", list(order), read_buildings, "building_id")


@settings(max_examples=5, deadline=None)
@given(order=st.permutations(range(N)))
def test_parcels_do_not_depend_on_order(order):
    _check(_DKK, "percelen", list(order), read_parcels, "parcel_id")


@settings(max_examples=5, deadline=None)
@given(order=st.permutations(range(_N_ENKEL)))
def test_zoning_does_not_depend_on_order(order):
    _check(_IMRO, "Enkelbestemming", list(order), read_zoning, "object_id")
