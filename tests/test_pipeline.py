"""Both scans on the embedded real data: outcomes, accounting and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

import kansenkaart
from kansenkaart.datasets import default_inputs, scan_path
from kansenkaart.errors import ConfigError, PlanCurrencyWarning
from kansenkaart.pipeline import ScanInputs, run_scan
from kansenkaart.results import write_results

CONTEXT = ("natura2000", "monuments", "municipalities")


@pytest.fixture(scope="module")
def object_result():
    d = default_inputs()
    inputs = ScanInputs(
        buildings=d["buildings"], zoning=d["zoning"], layers={k: d[k] for k in CONTEXT}
    )
    with pytest.warns(kansenkaart.errors.GeometryRepairedWarning):
        return run_scan(scan_path("objectscan"), inputs, sensitivity_runs=30)


@pytest.fixture(scope="module")
def site_result():
    d = default_inputs()
    inputs = ScanInputs(
        parcels=d["parcels"],
        zoning=d["zoning"],
        buildings=d["buildings"],
        layers={k: d[k] for k in CONTEXT},
    )
    with pytest.warns(kansenkaart.errors.GeometryRepairedWarning):
        return run_scan(scan_path("locatiescan"), inputs)


def _accounting_holds(result) -> None:
    s, c = result.summary, result.candidates
    assert s["candidates_in"] == len(c) == s["excluded"] + s["scored"] + s["unknown"]
    assert not c.index.has_duplicates
    assert set(c["outcome"]) <= {"excluded", "scored", "unknown"}


def test_object_scan_accounting(object_result) -> None:
    _accounting_holds(object_result)
    assert object_result.summary["candidates_in"] == 464 + 1146
    # the vacancy table and the optional context layers are not embedded
    assert object_result.summary["skipped_rules"] == [
        "OBJ-RISICO",
        "OBJ-AANDACHTSGEBIED",
        "OBJ-LEEGSTAND",
        "OBJ-HOOGSPANNING",
        "OBJ-OVERSTROMING",
    ]


def test_valkenhorst_buildings_under_bedrijventerrein_are_not_offices(
    object_result,
) -> None:
    """The former air-base buildings lie in "Gemengd" under the
    functieaanduiding *bedrijventerrein*: their use is derived from that, not
    from the broad bestemming (which would make them offices)."""
    c = object_result.candidates
    air_base = c[(c["zoning_group"] == "gemengd") & c["year_built"].between(1948, 1994)]
    under = air_base[air_base["zoning_function"] == "bedrijventerrein"]
    assert len(under) == 25
    assert (under["gebruiksdoel"] == "industriefunctie (afgeleid)").all()
    assert not under["gebruiksdoel"].str.contains("kantoorfunctie").any()
    assert (under["outcome"] == "excluded").all()
    assert under["excluded_by"].str.contains("OBJ-FUNCTIE").all()
    for hangar in ("0537100000024633", "0537100000028157", "0537100000028146"):
        assert c.loc[hangar, "zoning_function"] == "bedrijventerrein"
    # a nutsvoorziening in Maatschappelijk is a utility building, not a school
    util = c.loc["0537100000017272"]
    assert util["zoning_function"] == "nutsvoorziening"
    assert util["gebruiksdoel"] == "overige gebruiksfunctie (afgeleid)"
    assert util["outcome"] == "excluded"
    # 72 % outside both plans: the bestemming cannot be judged (a score
    # criterion: the building stays in the list with a score interval)
    outside = c.loc["0537100001215890"]
    assert "OBJ-BESTEMMING" in outside["unknown_for"]
    assert outside["outcome"] != "scored" or outside["score_max"] > outside["score"]
    # gemengd without a functieaanduiding keeps the uses of the bestemming
    rest = c[(c["zoning_group"] == "gemengd") & c["zoning_function"].isna()]
    assert len(rest) and rest["gebruiksdoel"].str.contains("kantoorfunctie").all()


def test_no_building_that_fits_no_home_is_scored(object_result) -> None:
    c = object_result.candidates
    for tiny in ("0537100000024443", "0537100001609249"):  # 6-11 m2
        assert c.loc[tiny, "outcome"] == "excluded"
        assert "OBJ-KLEIN" in c.loc[tiny, "excluded_by"]
    scored = c[c["outcome"] == "scored"]
    assert len(scored)
    # the largest floor area a scored building can have holds one home of 18 m2
    storeys = scored["storeys"].astype("Float64")
    heights = scored["height_m"].astype("float64").to_numpy()
    by_height = np.maximum(np.floor(heights / 2.6), 1.0)
    upper = (
        scored["floor_area_m2"]
        .astype("Float64")
        .fillna(
            scored.geometry.area
            * storeys.fillna(pd.Series(by_height, index=scored.index))
        )
    )
    assert (upper >= 18).all()


def test_amsterdam_offices_and_care_are_candidates_dwellings_are_not(
    object_result,
) -> None:
    c = object_result.candidates
    ams = c[c["municipality_code"] == "GM0363"]
    uses = ams["gebruiksdoel"].fillna("")
    office_or_care = uses.str.contains("kantoorfunctie|gezondheidszorgfunctie")
    assert office_or_care.sum() == 13  # 11 kantoor + 4 gezondheidszorg, 2 with both
    assert (ams.loc[office_or_care, "outcome"] != "excluded").all()
    dwellings = uses == "woonfunctie"
    assert dwellings.sum() > 200
    assert (ams.loc[dwellings, "outcome"] == "excluded").all()
    assert ams.loc[dwellings, "excluded_by"].str.contains("OBJ-FUNCTIE").all()


def test_scores_ranks_and_explanations(object_result) -> None:
    c = object_result.candidates
    scored = c[c["outcome"] == "scored"]
    assert scored["score"].between(0, 100).all()
    assert sorted(scored["rank"]) == list(range(1, len(scored) + 1))
    assert c.loc[c["outcome"] != "scored", "score"].isna().all()
    assert scored["reason_nl"].str.startswith("Score ").all()
    excluded = c[c["outcome"] == "excluded"]
    assert excluded["reason_nl"].str.startswith("Uitgesloten: ").all()
    assert (c["topk_share"].notna() == (c["outcome"] == "scored")).all()
    assert {"OBJ-STATUS", "OBJ-FUNCTIE", "OBJ-WONINGEN"} <= set(c.columns)


def test_site_scan_parcels_and_zoning_fallback(site_result) -> None:
    _accounting_holds(site_result)
    c = site_result.candidates
    kinds = c["candidate_kind"].value_counts()
    assert kinds["perceel"] == 422
    assert kinds["bestemmingsvlak"] > 400
    water = c[c["main_group"].isin(["water", "natuur"])]
    assert len(water) and water["excluded_by"].str.contains("LOC-WATER-NATUUR").all()
    assert (c["outcome"] == "scored").any()


def test_outputs_are_complete_and_csv_is_byte_identical(
    object_result, tmp_path: Path
) -> None:
    a = write_results(object_result, tmp_path / "a")
    b = write_results(object_result, tmp_path / "b")
    assert (a / "candidates.csv").read_bytes() == (b / "candidates.csv").read_bytes()
    summary = json.loads((a / "summary.json").read_text(encoding="utf-8"))
    for key in (
        "candidates_in",
        "excluded",
        "scored",
        "unknown",
        "skipped_rules",
        "rules",
        "inputs",
        "scan_file",
        "package_version",
    ):
        assert key in summary
    assert all(len(i["sha256"]) == 64 for i in summary["inputs"])
    gpkg = gpd.read_file(a / "candidates.gpkg", layer="candidates")
    assert len(gpkg) == summary["candidates_in"]
    for col in (
        "candidate_id",
        "outcome",
        "score",
        "rank",
        "excluded_by",
        "unknown_for",
        "reason_nl",
    ):
        assert col in gpkg.columns
    book = openpyxl.load_workbook(a / "candidates.xlsx", read_only=True)
    assert book.sheetnames == ["kandidaten", "regels"]
    header = (a / "candidates.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("candidate_id,") and header.endswith(",x,y")
    assert not list(tmp_path.glob(".*tmp*"))


def test_existing_output_needs_overwrite(object_result, tmp_path: Path) -> None:
    out = write_results(object_result, tmp_path / "r")
    with pytest.raises(ConfigError, match="--overwrite"):
        write_results(object_result, out)
    write_results(object_result, out, overwrite=True)


def test_nothing_half_written(object_result, tmp_path: Path, monkeypatch) -> None:
    from kansenkaart.results import write as export

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export, "_write_xlsx", boom)
    with pytest.raises(OSError, match="disk full"):
        write_results(object_result, tmp_path / "r")
    assert list(tmp_path.iterdir()) == []


def test_python_api(data_dir: Path) -> None:
    cand, summary = kansenkaart.run_object_scan(
        data_dir / "amsterdam_BU03638600_bag_panden.gpkg"
    )
    assert summary["candidates_in"] == 464
    assert "OBJ-BESTEMMING" in summary["skipped_rules"]
    # without Natura 2000 the flag cannot be decided: named as undecided on
    # every scored building, never read as "not in Natura 2000"
    scored = cand[cand["outcome"] == "scored"]
    assert len(scored) > 0
    assert scored["unknown_for"].str.contains("OBJ-N2000").all()
    assert (scored["OBJ-N2000"] != "nee").all()
    cand, _ = kansenkaart.run_object_scan(
        data_dir / "amsterdam_BU03638600_bag_panden.gpkg",
        natura2000=data_dir / "natura2000_veluwe_rijntakken_ilperveld_solleveld.gpkg",
    )
    scored = cand[cand["outcome"] == "scored"]
    assert len(scored) > 0
    assert not scored["unknown_for"].fillna("").str.contains("OBJ-N2000").any()


def test_grid_scan_on_a_real_plan(tmp_path: Path, data_dir: Path) -> None:
    text = (Path(scan_path("locatiescan"))).read_text(encoding="utf-8")
    text = text.replace('unit = "parcels"', 'unit = "grid"').replace(
        'fallback_unit = "zoning"', ""
    )
    grid_scan = tmp_path / "grid.toml"
    grid_scan.write_text(
        text.replace("grid_size_m = 100", "grid_size_m = 250"), encoding="utf-8"
    )
    inputs = ScanInputs(
        zoning=[data_dir / "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst.gpkg"]
    )
    with pytest.warns(
        PlanCurrencyWarning, match=r"NL\.IMRO\.0537\.bpVLKplv-VA01 \(2022-06-30\)"
    ):
        result = run_scan(grid_scan, inputs)
    c = result.candidates
    assert (c["candidate_kind"] == "rastercel").all()
    assert c.geometry.area.sum() == pytest.approx(
        268e4, rel=0.01
    )  # the 268 ha plan area
    _accounting_holds(result)


def test_an_unknown_keyword_is_refused_with_the_known_ones(data_dir: Path) -> None:
    """Before, natura_2000= was silently ignored and the rule turned unknown."""
    with pytest.raises(
        TypeError, match=r"'natura_2000' \(did you mean 'natura2000'"
    ) as err:
        kansenkaart.run_object_scan(
            data_dir / "amsterdam_BU03638600_bag_panden.gpkg", natura_2000="n2k.gpkg"
        )
    assert "known keywords: zoning, natura2000" in str(err.value)
    with pytest.raises(TypeError, match="ownership"):
        kansenkaart.run_site_scan(zoning="plan.gml", owner="eigendom.csv")


def test_summary_names_inputs_by_layer_and_format_with_attribution(
    object_result,
) -> None:
    summary = object_result.summary
    formats = {(i["layer"], i["format"]) for i in summary["inputs"]}
    assert {("buildings", "bag-light"), ("buildings", "3dbag-gpkg")} <= formats
    assert ("zoning", "imro-gpkg") in formats
    assert any("CBS" in a and "CC BY 4.0" in a for a in summary["attribution"])
    assert summary["reference_date"]


def test_plan_status_and_date_in_summary_and_map(site_result, tmp_path: Path) -> None:
    from kansenkaart.render._payload import build_payload
    from kansenkaart.results import read_result

    plans = {p["plan_id"]: p for p in site_result.summary["plans"]}
    dorp = plans["NL.IMRO.0537.bpVLKdorp-va02"]
    horst = plans["NL.IMRO.0537.bpVLKplv-VA01"]
    assert (dorp["plan_status"], dorp["plan_date"]) == ("onherroepelijk", "2012-11-29")
    assert (horst["plan_status"], horst["plan_date"]) == ("vastgesteld", "2022-06-30")
    assert dorp["before_2024"] and horst["before_2024"]
    assert "tijdelijk deel omgevingsplan" in horst["note_nl"]
    out = write_results(site_result, tmp_path / "r")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["plans"] == site_result.summary["plans"]
    meta = build_payload(read_result(out), title=None)["meta"]
    assert [
        (p["plan_id"], p["plan_status"], p["plan_date"]) for p in meta["plans"]
    ] == [
        ("NL.IMRO.0537.bpVLKdorp-va02", "onherroepelijk", "2012-11-29"),
        ("NL.IMRO.0537.bpVLKplv-VA01", "vastgesteld", "2022-06-30"),
    ]


def test_scored_texts_count_skipped_rules_and_name_the_rest(site_result) -> None:
    """A rule whose layer was not given is the same for every site: counted in
    one short sentence, not read aloud by title for every site."""
    c = site_result.candidates
    scored = c[c["outcome"] == "scored"]
    rules = {r["id"]: r for r in site_result.summary["rules"]}
    skipped = site_result.summary["skipped_rules"]
    assert skipped
    n = len(skipped)
    counted = f"Niet beoordeeld omdat de laag niet is opgegeven: {n} regels"
    assert scored["reason_nl"].str.contains(counted, regex=False).all()
    for rid in skipped:
        assert (
            not scored["reason_nl"].str.contains(rules[rid]["title"], regex=False).any()
        )
    # a criterion undecided for this site only is still named
    own = scored[scored["unknown_for"].str.contains("LOC-BEBOUWING")]
    assert len(own)
    title = rules["LOC-BEBOUWING"]["title"]
    named = own["reason_nl"].str.extract(r"\(gegevens ontbreken\): ([^.]*)\.")[0]
    assert named.str.contains(title, regex=False).all()


def test_built_up_land_is_no_free_site(site_result) -> None:
    """A Wonen block in Valkenburg Dorp that is more than half built over is
    excluded (LOC-BEBOUWD); an unbuilt Valkenhorst site passes. Buildings found
    on the part of a site inside the 3DBAG tile count even where the site
    reaches outside it."""
    c = site_result.candidates
    for built in ("NL.IMRO.EB162614", "NL.IMRO.EB162400"):
        assert c.loc[built, "excluded_by"] == "LOC-BEBOUWD"
    assert c.loc["NL.IMRO.EB162400", "LOC-BEBOUWING"].startswith("niet beoordeeld")
    assert c.loc["NL.IMRO.0537.EP100553087645-00", "LOC-BEBOUWD"] == (
        "nee – geen belemmering"
    )
    scored = c[c["outcome"] == "scored"]
    assert not scored["LOC-BEBOUWD"].str.startswith("ja").any()
