"""Tests for :mod:`kansenkaart.model.validate`, on frames built in code."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon, box

from kansenkaart.errors import (
    ConfigError,
    CRSError,
    DataSourceError,
    EmptySelectionWarning,
    GeometryError,
    GeometryRepairedWarning,
    KansenkaartError,
    KansenkaartWarning,
    RuleError,
    SchemaError,
)
from kansenkaart.model.schema import LayerSchema
from kansenkaart.model.validate import Finding, require_columns, validate_layer

SOURCE = "test.gpkg (layer panden)"
X0, Y0 = 120_000.0, 485_000.0


def _bowtie(dx: float = 0.0) -> Polygon:
    x, y = X0 + dx, Y0
    return Polygon([(x, y), (x + 10, y + 10), (x + 10, y), (x, y + 10)])


def _frame(geoms, ids=None, crs="EPSG:28992") -> gpd.GeoDataFrame:
    ids = ids or [f"p{i}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"pid": ids}, geometry=list(geoms), crs=crs)


def _squares(n: int) -> list[Polygon]:
    return [box(X0 + 20 * i, Y0, X0 + 20 * i + 10, Y0 + 10) for i in range(n)]


def _codes(gdf: gpd.GeoDataFrame) -> list[str]:
    return [f.code for f in gdf.attrs["findings"]]


def test_clean_layer_passes_without_findings():
    gdf = _frame(_squares(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = validate_layer(gdf, source=SOURCE, id_column="pid")
    assert len(out) == 3
    assert out.crs.to_epsg() == 28992
    assert out.attrs["findings"] == []


def test_no_crs_raises_crs_error():
    gdf = _frame(_squares(2), crs=None)
    with pytest.raises(CRSError, match="no coordinate reference system") as err:
        validate_layer(gdf, source=SOURCE)
    assert SOURCE in str(err.value)
    assert "EPSG:28992" in str(err.value)


def test_wgs84_is_reprojected_with_info_finding():
    rd = _frame(_squares(2))
    gdf = rd.to_crs(4326)
    out = validate_layer(gdf, source=SOURCE, id_column="pid")
    assert out.crs.to_epsg() == 28992
    (finding,) = out.attrs["findings"]
    assert finding.level == "info"
    assert finding.code == "reprojected"
    assert "EPSG:4326" in finding.message
    assert SOURCE in finding.message
    assert out.geometry.iloc[0].equals_exact(rd.geometry.iloc[0], tolerance=0.01)


def test_bowtie_fix_repairs_with_warning():
    gdf = _frame([_bowtie(), *_squares(1)])
    with pytest.warns(GeometryRepairedWarning, match="repaired 1 invalid geometry"):
        out = validate_layer(gdf, source=SOURCE, id_column="pid", on_invalid="fix")
    assert len(out) == 2
    assert shapely.is_valid(out.geometry.values).all()
    assert out.geometry.iloc[0].area == pytest.approx(50.0)
    assert out.geometry.iloc[0].geom_type in ("Polygon", "MultiPolygon")
    assert out.attrs["findings"][0].ids == ("p0",)


def test_default_is_fix():
    gdf = _frame([_bowtie()])
    with pytest.warns(GeometryRepairedWarning):
        out = validate_layer(gdf, source=SOURCE, id_column="pid")
    assert out.geometry.iloc[0].is_valid


def test_bowtie_drop_removes_row_with_warning():
    gdf = _frame([_bowtie(), *_squares(2)], ids=["bad", "a", "b"])
    with pytest.warns(GeometryRepairedWarning, match="dropped 1 invalid geometry.*bad"):
        out = validate_layer(gdf, source=SOURCE, id_column="pid", on_invalid="drop")
    assert out["pid"].tolist() == ["a", "b"]


def test_bowtie_raise_names_id_and_advice():
    gdf = _frame([_bowtie(), *_squares(1)], ids=["0363100012078919", "ok"])
    with pytest.raises(GeometryError) as err:
        validate_layer(gdf, source=SOURCE, id_column="pid", on_invalid="raise")
    message = str(err.value)
    assert "0363100012078919" in message
    assert "Fix Geometries" in message
    assert "Self-intersection" in message
    assert SOURCE in message


def test_all_invalid_geometries_are_reported_at_once():
    gdf = _frame([_bowtie(), _bowtie(100), *_squares(1)], ids=["first", "second", "ok"])
    with pytest.raises(GeometryError, match="2 invalid geometries") as err:
        validate_layer(gdf, source=SOURCE, id_column="pid", on_invalid="raise")
    assert "first" in str(err.value)
    assert "second" in str(err.value)


def test_many_invalid_ids_are_shortened_but_counted():
    n = 8
    gdf = _frame([_bowtie(100 * i) for i in range(n)])
    with pytest.raises(GeometryError, match=f"{n} invalid geometries") as err:
        validate_layer(gdf, source=SOURCE, id_column="pid", on_invalid="raise")
    assert "and 3 more" in str(err.value)


def test_empty_and_missing_geometries_are_left_out():
    geoms = [*_squares(2), Polygon(), None]
    gdf = _frame(geoms, ids=["a", "b", "empty", "none"])
    with pytest.warns(KansenkaartWarning, match="2 feature.*without geometry"):
        out = validate_layer(gdf, source=SOURCE, id_column="pid")
    assert out["pid"].tolist() == ["a", "b"]
    finding = next(f for f in out.attrs["findings"] if f.code == "empty_geometry")
    assert finding.ids == ("empty", "none")
    assert finding.level == "warning"


def test_duplicate_ids_keep_first_with_warning():
    gdf = _frame(_squares(3), ids=["x", "x", "y"])
    with pytest.warns(KansenkaartWarning, match="1 duplicate id.*'pid'.*x"):
        out = validate_layer(gdf, source=SOURCE, id_column="pid")
    assert out["pid"].tolist() == ["x", "y"]
    assert out.geometry.iloc[0].equals(gdf.geometry.iloc[0])
    assert "duplicate_id" in _codes(out)


def test_empty_layer_warns():
    gdf = _frame([])
    with pytest.warns(EmptySelectionWarning, match="no features"):
        out = validate_layer(gdf, source=SOURCE, id_column="pid")
    assert len(out) == 0
    assert _codes(out) == ["empty_layer"]


def test_schema_casts_and_orders_columns():
    schema = LayerSchema(
        name="buildings",
        id_column="pid",
        dtypes={"pid": "string", "year": "Int64"},
    )
    gdf = _frame(_squares(2))
    gdf["extra"] = 1
    out = validate_layer(gdf, schema, source=SOURCE)
    assert list(out.columns) == schema.columns
    assert str(out["pid"].dtype) == "string"
    assert out["year"].isna().all()


def test_schema_id_column_is_used_for_duplicates():
    schema = LayerSchema(name="buildings", id_column="pid", dtypes={"pid": "string"})
    gdf = _frame(_squares(2), ids=["x", "x"])
    with pytest.warns(KansenkaartWarning, match="duplicate"):
        out = validate_layer(gdf, schema, source=SOURCE)
    assert len(out) == 1


def test_several_problems_are_all_reported():
    geoms = [_bowtie(), Polygon(), *_squares(2)]
    gdf = _frame(geoms, ids=["bad", "leeg", "dup", "dup"]).to_crs(4326)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = validate_layer(gdf, source=SOURCE, id_column="pid", on_invalid="fix")
    assert _codes(out) == [
        "reprojected",
        "empty_geometry",
        "invalid_geometry",
        "duplicate_id",
    ]
    kinds = {type(w.message) for w in caught}
    assert GeometryRepairedWarning in kinds
    assert KansenkaartWarning in kinds
    assert out["pid"].tolist() == ["bad", "dup"]


def test_findings_of_an_earlier_step_are_kept():
    gdf = _frame(_squares(1))
    earlier = Finding("info", "note", "read by an earlier step")
    gdf.attrs["findings"] = [earlier]
    out = validate_layer(gdf, source=SOURCE, id_column="pid")
    assert out.attrs["findings"] == [earlier]


def test_unknown_on_invalid_is_rejected():
    with pytest.raises(ValueError, match="on_invalid"):
        validate_layer(_frame(_squares(1)), source=SOURCE, on_invalid="ignore")  # type: ignore[arg-type]


def test_require_columns_lists_missing_and_found():
    with pytest.raises(SchemaError) as err:
        require_columns(
            ["identificatie", "geometry"],
            ["identificatie", "bouwjaar", "status"],
            source=SOURCE,
        )
    message = str(err.value)
    assert "'bouwjaar', 'status'" in message
    assert "Columns found: identificatie, geometry" in message
    assert SOURCE in message


def test_require_columns_passes_when_complete():
    require_columns(["a", "b", "c"], ["a", "c"], source=SOURCE)


def test_require_columns_on_no_columns():
    with pytest.raises(SchemaError, match=r"\(none\)"):
        require_columns([], ["a"], source=SOURCE)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (ConfigError, ValueError),
        (DataSourceError, OSError),
        (SchemaError, ValueError),
        (CRSError, ValueError),
        (GeometryError, ValueError),
        (RuleError, ValueError),
    ],
)
def test_errors_inherit_their_builtin(cls, builtin):
    assert issubclass(cls, KansenkaartError)
    assert issubclass(cls, builtin)
    with pytest.raises(builtin):
        raise cls("x")


def test_warnings_hierarchy():
    assert issubclass(GeometryRepairedWarning, KansenkaartWarning)
    assert issubclass(EmptySelectionWarning, KansenkaartWarning)
    assert issubclass(KansenkaartWarning, UserWarning)
