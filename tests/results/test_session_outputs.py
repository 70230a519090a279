"""What a result folder adds for sessions: raw rule values, QGIS style, charts."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from lxml import etree

from kansenkaart.datasets import scan_path
from kansenkaart.results import CHART_NAMES, read_result, result_charts
from kansenkaart.results.styles import SCORE_CLASSES
from tests._scans import run_object_scan, write_object_scan

SLD = "{http://www.opengis.net/sld}"
SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"


@pytest.fixture(scope="module")
def scan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_object_scan(tmp_path_factory.mktemp("outputs") / "result")


def test_raw_rule_values_are_what_the_scoring_used() -> None:
    result = run_object_scan()
    table = result.table
    for rule in table.rules:
        column = result.candidates[f"val_{rule.id}"]
        expected = table.values[rule.id].astype("Float64")
        pd.testing.assert_series_equal(
            column.reindex(expected.index), expected, check_names=False
        )
    # score = sum of value * 100 * weight / total weight, for scored candidates;
    # undecided rules count 0, skipped score rules are part of the total weight
    scores = [r for r in table.rules if r.kind == "score"]
    total = sum(r.weight for r in (*scores, *table.skipped) if r.kind == "score")
    scored = result.candidates[result.candidates["outcome"] == "scored"]
    recomputed = sum(
        scored[f"val_{r.id}"].astype(float).fillna(0) * 100 * r.weight / total
        for r in scores
    )
    np.testing.assert_allclose(recomputed, scored["score"].astype(float), atol=1e-6)
    assert result.summary["scan_file"]["text"] == scan_path("objectscan").read_text(
        "utf-8"
    )


def _styles(gpkg: Path) -> list[tuple]:
    with sqlite3.connect(gpkg) as db:
        return db.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
            "useAsDefault FROM layer_styles"
        ).fetchall()


def test_candidates_geopackage_carries_a_default_qgis_style(scan_dir: Path) -> None:
    gpkg = scan_dir / "candidates.gpkg"
    [(table, geom_col, name, qml, sld, default)] = _styles(gpkg)
    assert (table, name, default) == ("candidates", "kansenkaart", 1)
    with sqlite3.connect(gpkg) as db:
        real_geom_col = db.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
            (table,),
        ).fetchone()[0]
        kind = db.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()[0]
    assert geom_col == real_geom_col
    assert kind == "attributes"
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers["candidates"] in {"Polygon", "MultiPolygon"}
    root = etree.fromstring(qml.encode())
    assert root.tag == "qgis"
    rules = root.findall("renderer-v2/rules/rule")
    assert len(rules) == len(SCORE_CLASSES) + 2
    symbols = {s.get("name"): s for s in root.findall("renderer-v2/symbols/symbol")}
    assert {r.get("symbol") for r in rules} == set(symbols)
    style = {
        name: {o.get("name"): o.get("value") for o in s.iter("Option") if o.get("name")}
        for name, s in symbols.items()
    }
    assert style["unknown"]["style"] == "b_diagonal"  # hatched
    assert style["excluded"]["color"].startswith("160,160,160")  # grey
    assert "\"outcome\" = 'unknown'" in [r.get("filter") for r in rules]
    label = root.find("labeling/settings/text-style")
    assert '"rank"' in label.get("fieldName") and label.get("isExpression") == "1"
    doc = etree.fromstring(sld.encode())
    assert doc.tag == f"{SLD}StyledLayerDescriptor" and doc.get("version") == "1.1.0"
    sld_rules = doc.findall(f".//{SE}Rule")
    assert len(sld_rules) == len(SCORE_CLASSES) + 3
    text = doc.find(f".//{SE}TextSymbolizer/{SE}Label/{OGC}PropertyName")
    assert text.text == "rank"
    assert doc.find(f".//{SE}GraphicFill") is not None  # unknown: hatch pattern


def test_score_classes_cover_every_score_once(scan_dir: Path) -> None:
    cand = read_result(scan_dir).candidates
    scores = cand.loc[cand["outcome"] == "scored", "score"].astype(float)
    hits = sum(
        ((scores >= lo) & (scores < hi)).astype(int) for lo, hi, _, _ in SCORE_CLASSES
    )
    assert (hits == 1).all()
    # the top class includes 100 (no candidate reaches it without vacancy data)
    assert sum(lo <= 100 < hi for lo, hi, _, _ in SCORE_CLASSES) == 1


def test_charts_are_written_as_png_and_svg(scan_dir: Path) -> None:
    for name in CHART_NAMES:
        png = (scan_dir / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5_000
        svg = etree.parse(str(scan_dir / f"{name}.svg")).getroot()
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = "".join(
        etree.parse(str(scan_dir / "chart_contributions.svg")).getroot().itertext()
    )
    # titled with the number of scored candidates shown (at most 20)
    assert re.search(r"Bijdrage per criterium, top (\d+)", texts)
    shown = int(re.search(r"Bijdrage per criterium, top (\d+)", texts).group(1))
    scored = read_result(scan_dir).summary["scored"]
    assert shown == min(20, scored)
    assert "OBJ-WONINGEN" in texts
    intervals = "".join(
        etree.parse(str(scan_dir / "chart_rank_intervals.svg")).getroot().itertext()
    )
    top = read_result(scan_dir).candidates.sort_values("rank").index[0]
    assert top in intervals


def test_rank_interval_chart_needs_a_sensitivity_run(scan_dir: Path) -> None:
    result = read_result(scan_dir)
    result.candidates = result.candidates.drop(
        columns=["rank_p5", "rank_p95", "topk_share"]
    )
    names = [c["name"] for c in result_charts(result)]
    assert names == ["chart_scores", "chart_contributions"]
