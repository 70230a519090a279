"""Missing data is never good news (issue 12), on the embedded real data.

Coverage of layers, the score interval, undecided vetoes, vacancy by
verblijfsobject id, and the Dutch texts in CSV, Excel and map.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import kansenkaart
from kansenkaart.datasets import default_inputs, scan_path
from kansenkaart.errors import ConfigError, RuleError, SchemaError
from kansenkaart.io.bag_xml import read_lvbag_units
from kansenkaart.pipeline import ScanInputs, run_scan, scan_to_folder
from kansenkaart.rules.definition import Rule, load_scan
from kansenkaart.rules.engine import RuleTable, evaluate_rules
from kansenkaart.rules.predicates import ScanContext
from kansenkaart.scoring.score import rank_candidates, score_candidates
from kansenkaart.sources.coverage import frame_coverage
from kansenkaart.sources.layers import load_layers
from kansenkaart.sources.read import read_buildings

CONTEXT = ("natura2000", "monuments", "municipalities")
TEST_DATA = Path(__file__).parent / "data"
PND = TEST_DATA / "doesburg_0221PND15092020-000001_sample.xml"
VBO = TEST_DATA / "doesburg_0221VBO15092020-000001_sample.xml"
ASSESSED = re.compile(r"beoordeeld op \d van \d criteria \(\d+ % van het gewicht\)")


def _site_inputs() -> ScanInputs:
    d = default_inputs()
    return ScanInputs(
        parcels=d["parcels"],
        zoning=d["zoning"],
        buildings=d["buildings"],
        layers={k: d[k] for k in CONTEXT},
    )


@pytest.fixture(scope="module")
def site_folder(tmp_path_factory) -> tuple:
    out = tmp_path_factory.mktemp("sites") / "locatiescan"
    with pytest.warns(kansenkaart.errors.GeometryRepairedWarning):
        return scan_to_folder(
            scan_path("locatiescan"),
            _site_inputs(),
            out,
            map_options={},
            reference_date="2026-01-01",
        )


@pytest.fixture(scope="module")
def object_result():
    d = default_inputs()
    inputs = ScanInputs(
        buildings=d["buildings"], zoning=d["zoning"], layers={k: d[k] for k in CONTEXT}
    )
    with pytest.warns(kansenkaart.errors.GeometryRepairedWarning):
        return run_scan(scan_path("objectscan"), inputs, reference_date="2026-01-01")


def test_no_points_for_few_buildings_outside_the_building_coverage(
    site_folder,
) -> None:
    result, _ = site_folder
    cand = result.candidates
    buildings = [read_buildings(p, columns=[]) for p in default_inputs()["buildings"]]
    covered = np.zeros(len(cand), dtype=bool)
    for frame in buildings:  # the extent of each file, as the scan takes it
        covered |= frame_coverage("buildings", frame).covers(
            np.asarray(cand.geometry.values)
        )
    scored = (cand["outcome"] == "scored").to_numpy()
    outside = scored & ~covered
    # the Valkenburg areas beyond the 3DBAG tile (issue 12) are scored ...
    assert {"NL.IMRO.EB162432", "NL.IMRO.EB162456"} <= set(cand.index[outside])
    # ... but get no "weinig bebouwing" points and say why
    assert cand.loc[outside, "pts_LOC-BEBOUWING"].isna().all()
    assert cand.loc[outside, "LOC-BEBOUWING"].str.startswith("niet beoordeeld").all()
    assert (cand.loc[outside, "weight_assessed"] < 1).all()
    inside = scored & covered
    assert cand.loc[inside, "pts_LOC-BEBOUWING"].notna().all()
    rule = next(r for r in result.summary["rules"] if r["id"] == "LOC-BEBOUWING")
    assert rule["undecided_reasons"]["buiten de dekking van laag buildings"] >= 6
    assert rule["decided"] + rule["undecided"] == int(
        (cand.outcome != "excluded").sum()
    )


def test_summary_has_coverage_per_layer(site_folder) -> None:
    result, _ = site_folder
    coverage = result.summary["coverage"]
    assert coverage["zoning"]["how"].startswith("plangrens")
    assert coverage["zoning"]["area_m2"] > 1e6
    assert coverage["natura2000"]["national"] is True  # declared in the scan file
    assert coverage["buildings"]["area_m2"] > 0


@pytest.mark.parametrize("which", ["object", "site"])
def test_score_lies_in_its_interval(which, object_result, site_folder) -> None:
    result = object_result if which == "object" else site_folder[0]
    scored = result.candidates[result.candidates["outcome"] == "scored"]
    assert len(scored)
    low, score, high = (
        scored[c].astype(float) for c in ("score_min", "score", "score_max")
    )
    assert (low <= score).all() and (score <= high).all()
    assert (low == score).all()
    assert scored["weight_assessed"].between(0, 1).all()
    # an open criterion leaves room above the score, a full assessment none
    full = scored["weight_assessed"] == 1
    assert (high[full] == score[full]).all()
    assert (high[~full] > score[~full]).all()


def _score_rule(rid: str, weight: float) -> Rule:
    return Rule(
        id=rid,
        title=rid,
        kind="score",
        predicate="capacity_units",
        source="s",
        weight=weight,
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.25, 0.5, 1.0]),
            st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0])),
        ),
        min_size=2,
        max_size=25,
    ),
    st.floats(0.5, 20),
    st.floats(0.5, 20),
)
def test_an_undecided_criterion_never_ranks_above_a_complete_equal(
    rows: list, w_a: float, w_b: float
) -> None:
    index = pd.Index([f"c{i:02d}" for i in range(len(rows))], name="candidate_id")
    values = pd.DataFrame(
        {
            "A": pd.array([a for a, _ in rows], dtype="Float64"),
            "B": pd.array([b for _, b in rows], dtype="Float64"),
        },
        index=index,
    )
    table = RuleTable(values, (_score_rule("A", w_a), _score_rule("B", w_b)))
    scored = score_candidates(table)
    rank = rank_candidates(scored)
    low = scored["score_min"].to_numpy(dtype=float)
    done = scored["weight_assessed"].to_numpy(dtype=float) == 1.0
    r = rank.to_numpy(dtype=float)
    for i in range(len(rows)):
        for j in range(len(rows)):
            if low[i] == low[j] and not done[i] and done[j]:
                assert r[i] > r[j], (i, j)


def _veto(on_unknown: str) -> Rule:
    return Rule(
        id="HOOGTE",
        title="Te lage verdieping",
        kind="veto",
        predicate="storey_height_below",
        params={"min_storey_height_m": 2.6},
        source="s",
        on_unknown=on_unknown,
    )


@pytest.mark.parametrize(
    ("on_unknown", "outcome"), [("unknown", "unknown"), ("flag", "scored")]
)
def test_an_undecided_veto_makes_the_candidate_onbekend_unless_flag(
    on_unknown: str, outcome: str
) -> None:
    cand = pd.DataFrame(
        {
            "height_m": pd.array([12.0, 6.0, 9.0], dtype="Float64"),
            "storeys": pd.array([4, 3, None], dtype="Int64"),
        },
        index=pd.Index(["hoog", "laag", "onbekend"], name="candidate_id"),
    )
    cand = gpd.GeoDataFrame(
        cand, geometry=[shapely.box(0, 0, 10, 10)] * 3, crs="EPSG:28992"
    )
    table = evaluate_rules(cand, (_veto(on_unknown),), ScanContext(layers={}))
    scored = score_candidates(table)
    # 3 m per storey passes, 2 m is excluded, no storeys: not decided
    assert scored["outcome"].tolist() == ["scored", "excluded", outcome]
    assert scored.loc["onbekend", "unknown_for"] == "HOOGTE"


def test_on_unknown_is_checked(tmp_path: Path) -> None:
    text = Path(scan_path("objectscan")).read_text(encoding="utf-8")
    text = text.replace('on_unknown = "flag"', 'on_unknown = "maybe"')
    path = tmp_path / "scan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match="on_unknown must be 'unknown' or 'flag'"):
        load_scan(path)


def _vacancy_csv(path: Path, units: list[str], pand: list[str] | None = None) -> Path:
    frame = pd.DataFrame({"verblijfsobject_id": units, "leeg_sinds": "2020-01-01"})
    if pand is not None:
        frame["pand_id"] = pand
    frame.to_csv(path, index=False)
    return path


def test_vacancy_by_verblijfsobject_id_end_to_end(tmp_path: Path) -> None:
    units = read_lvbag_units(VBO)
    per_pand = units.groupby("building_id")["unit_id"].nunique()
    pand = per_pand.index[per_pand.argmax()]  # the pand with the most units
    vacant = units.loc[units["building_id"] == pand, "unit_id"].unique()[:1].tolist()
    csv = _vacancy_csv(tmp_path / "leegstand.csv", vacant)
    inputs = ScanInputs(buildings=[PND], layers={"vacancy": csv, "units": VBO})
    layers = load_layers(inputs)
    table = layers["vacancy"]
    assert table["building_id"].tolist() == [pand]
    assert table["vacant_share"].iloc[0] == pytest.approx(1 / per_pand.max())
    result = run_scan(scan_path("objectscan"), inputs, reference_date="2026-01-01")
    cand = result.candidates
    rule = next(r for r in result.summary["rules"] if r["id"] == "OBJ-LEEGSTAND")
    assert rule["status"] == "evaluated"
    # the pand of the vacant unit: vacant since 2020, six years by 2026
    assert cand.loc[pand, "OBJ-LEEGSTAND"].startswith("+")
    assert cand.loc[pand, "pts_OBJ-LEEGSTAND"] > 0
    others = cand[cand.index != pand]
    assert len(others)
    # a building the table does not list is not decided, never "not vacant"
    assert others["OBJ-LEEGSTAND"].eq("niet beoordeeld: gegevens ontbreken").all()
    assert others["pts_OBJ-LEEGSTAND"].isna().all()


def test_vacancy_by_verblijfsobject_id_with_a_pand_column(tmp_path: Path) -> None:
    unit, pand = "0221010000000001", "0221100000000001"
    csv = _vacancy_csv(tmp_path / "v.csv", [unit], [pand])
    layers = load_layers(ScanInputs(layers={"vacancy": csv}))
    assert layers["vacancy"]["building_id"].tolist() == [pand]


def test_vacancy_by_verblijfsobject_id_without_a_relation_says_how(
    tmp_path: Path,
) -> None:
    d = default_inputs()
    csv = _vacancy_csv(tmp_path / "v.csv", ["0537010000000001"])
    inputs = ScanInputs(buildings=d["buildings"][1:], layers={"vacancy": csv})
    with pytest.raises(SchemaError, match="--layer units=FILE"):
        load_layers(inputs)


def test_coverage_option_needs_the_layer(tmp_path: Path) -> None:
    d = default_inputs()
    inputs = ScanInputs(
        buildings=d["buildings"][:1], coverage={"monuments": d["natura2000"]}
    )
    with pytest.raises(ConfigError, match="no layer 'monuments'"):
        load_layers(inputs)


def test_coverage_option_limits_a_national_layer(tmp_path: Path) -> None:
    d = default_inputs()
    inputs = ScanInputs(
        buildings=d["buildings"],
        zoning=d["zoning"],
        layers={k: d[k] for k in CONTEXT},
        coverage={"monuments": d["natura2000"]},  # far from Katwijk and Amsterdam
    )
    with pytest.warns(kansenkaart.errors.GeometryRepairedWarning):
        result = run_scan(scan_path("objectscan"), inputs, reference_date="2026-01-01")
    cand = result.candidates
    scored = cand[cand["outcome"] == "scored"]
    assert len(scored)
    assert (
        scored["OBJ-MONUMENT"]
        == ("niet beoordeeld: buiten de dekking van de laag monumenten")
    ).all()
    assert result.summary["coverage"]["monuments"]["how"].startswith("opgegeven")


def test_texts_in_csv_excel_and_map(site_folder) -> None:
    _, folder = site_folder
    csv = pd.read_csv(folder / "candidates.csv", dtype=str, keep_default_na=False)
    for column in ("score_min", "score_max", "weight_assessed", "assessed_nl"):
        assert column in csv.columns
    scored = csv[csv["outcome"] == "scored"]
    assert scored["assessed_nl"].str.fullmatch(ASSESSED.pattern).all()
    assert scored["reason_nl"].str.contains(ASSESSED.pattern).all()
    assert (
        scored["reason_nl"]
        .str.contains(r"zwakste punt: .+ \(\d+,\d van \d+,\d\)")
        .any()
    )
    vetoes = ["LOC-N2000", "LOC-CAPACITEIT"]
    seen = set(csv[vetoes].to_numpy().ravel())
    assert {"nee – geen belemmering", "ja – uitgesloten"} <= seen
    assert (
        not csv.apply(lambda c: c.str.contains("n.v.t. (gegevens", regex=False))
        .any()
        .any()
    )
    assert not csv["reason_nl"].str.contains("LOC-").any()  # ids in columns only
    assert csv["LOC-EIGENDOM"].eq("niet beoordeeld: laag ontbreekt").all()

    book = openpyxl.load_workbook(folder / "candidates.xlsx", read_only=True)
    sheet = book[book.sheetnames[0]]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    texts = [row[header.index("assessed_nl")] for row in rows]
    assert any(t and ASSESSED.fullmatch(t) for t in texts)
    assert "score_max" in header and "weight_assessed" in header

    page = (folder / "map.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="kk-data">(.*?)</script>', page, re.DOTALL)[1])
    assert "score_max" in data["candidates"] and "weight_assessed" in data["candidates"]
    assert any(ASSESSED.fullmatch(s) for s in data["strings"])
    assert "nee – geen belemmering" in data["strings"]


def test_scored_texts_name_derived_values(object_result) -> None:
    cand = object_result.candidates
    derived = cand[(cand["outcome"] == "scored") & cand["use_derived"].fillna(False)]
    assert len(derived)  # Katwijk 3DBAG buildings: uses from the plan
    assert (
        derived["reason_nl"]
        .str.contains("Functie afgeleid uit de bestemming '", regex=False)
        .all()
    )
    read = cand[~cand["use_derived"].fillna(False).astype(bool)]
    assert not read["reason_nl"].str.contains("afgeleid", regex=False).any()


def test_layers_inspect_json_reports_coverage(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kansenkaart.cli.main import cli

    plan = default_inputs()["zoning"][1]
    result = CliRunner().invoke(cli, ["layers", "inspect", "--json", str(plan)])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output.splitlines()[0])
    zoning = gpd.read_file(plan, layer="Bestemmingsplangebied")
    assert info["coverage_m2"] == pytest.approx(zoning.area.sum(), rel=1e-6)


def test_cli_coverage_option(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kansenkaart.cli.main import cli

    d = default_inputs()
    out = tmp_path / "res"
    args = ["-q", "scan", "objects", "--buildings", str(d["buildings"][0])]
    args += ["--layer", f"natura2000={d['natura2000']}"]
    args += ["--layer", f"monuments={d['monuments']}"]
    args += ["--coverage", f"monuments={d['natura2000']}", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["coverage"]["monuments"]["how"].startswith("opgegeven")
    layers = [i["layer"] for i in summary["inputs"]]
    assert "coverage:monuments" in layers  # with its sha256, as every input
    bad = CliRunner().invoke(
        cli, [*args[:-2], "--coverage", "monuments", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code != 0
    assert "NAME=PATH" in bad.output


def test_coverage_covers_with_a_rounding_tolerance() -> None:
    from kansenkaart.sources.coverage import Coverage

    cov = Coverage(shapely.box(0, 0, 100, 100), "test")
    geoms = np.array(
        [
            shapely.box(10, 10, 20, 20),  # inside
            shapely.box(90, 10, 110, 20),  # half outside
            shapely.box(90, 10, 100.000001, 20),  # out by rounding only
            shapely.box(200, 200, 210, 210),  # far away
            shapely.box(0, 0, 100, 100),  # the coverage itself
        ]
    )
    assert cov.covers(geoms).tolist() == [True, False, True, False, True]
    assert Coverage(None, "landelijk", True).covers(geoms).all()
