"""The plans' overlays on the real embedded plans: classes, kinds, Maatvoering.

The expected counts per canonical class were established from the raw GML
(lxml, every ``featureMember`` of an overlay type listed by type, ``naam``
and hoofdgroep, then classified by hand), not from the reader under test.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from kansenkaart.io.imro import read_imro_gml, read_imro_gpkg
from kansenkaart.model.overlays import (
    OVERLAY_CLASSES,
    OVERLAY_TYPES,
    classify_overlay,
    maatvoering_values,
)
from kansenkaart.model.zoning import zoning_summary
from kansenkaart.sources.inspect import inspect_path

DORP = "katwijk_NL.IMRO.0537.bpVLKdorp-va02_valkenburg_dorp"
HORST = "katwijk_NL.IMRO.0537.bpVLKplv-VA01_valkenhorst"
GOES = "goes_NL.IMRO.0664.BPBS03-ON99_stationsomgeving_zuidwest"
HILVARENBEEK = "hilvarenbeek_NL.IMRO.0798.BPDoornboom-ON01"
ZALTBOMMEL = "zaltbommel_NL.IMRO.0297.BGBBP20140020-OW01_nhw_paraplu"

#: Per plan: canonical class -> number of overlay objects (from the GML).
EXPECTED: dict[str, dict[str, int]] = {
    DORP: {
        # Waarde - Archeologie 2, - Archeologisch verwachtingsgebied 1, and 17
        # functieaanduidingen "specifieke vorm van waarde - archeolog..."
        "archeologie": 20,
        # Waarde - Cultuurhistorie 23 + "specifieke vorm van waarde -
        # rijksmonument" 27
        "cultuurhistorie": 50,
        "leiding": 1,  # Leiding - Gas
        "milieuzone": 1,  # milieuzone - bodembeschermingsgebied
        # bedrijfswoning 3, detailhandel, dienstverlening, kamerverhuur,
        # maatschappelijk 1 each, wonen 2
        "functie": 9,
        "specifieke vorm": 6,
        # begraafplaats 2, nutsvoorziening 4, parkeerterrein, speeltuin,
        # veerhaven 1 each, woonschepenligplaats 4, wro-zone 1
        "overig": 14,
        "bouwregel": 157,  # gestapeld 20, twee-aaneen 69, vrijstaand 68
        "maatvoering": 493,
    },
    HORST: {
        "archeologie": 20,  # Waarde - Archeolog... 11 + 4 + 3 + 2
        "cultuurhistorie": 22,  # Cultuurhistorie 10, monumenten 7, sv 5
        "leiding": 9,  # Gas 5, Water 1/2/3: 4
        "waterstaat": 5,  # Waterkering 4, overige zone - watercompensatie 1
        "milieuzone": 1,  # overige zone - milieuzone
        "natuur": 1,  # specifieke vorm van natuur - natuur en landschap
        "bedrijventerrein": 1,
        "functie": 10,  # gemengd 7, maatschappelijk 3
        "specifieke vorm": 26,  # wonen 18, woongebied 6, bouwaanduiding 2
        "overig": 3,  # weg, overige zone - bestaand / - zoekgebied testveld
    },
    GOES: {
        "archeologie": 1,
        "functie": 6,  # detailhandel 2, horeca 2, kantoor, maatschappelijk
        "specifieke vorm": 1,
        "overig": 2,  # railverkeer, tunnel
        "maatvoering": 14,
    },
    HILVARENBEEK: {"bouwregel": 3, "specifieke vorm": 1, "maatvoering": 12},
    ZALTBOMMEL: {"cultuurhistorie": 1, "overig": 6},  # Nieuwe Hollandse Waterlinie
}
KINDS = {
    DORP: {"leiding": {"gas": 1}},
    HORST: {
        "leiding": {"gas": 5, "water": 4},
        "waterstaat": {"waterberging": 1, "waterkering": 4},
    },
    GOES: {},
    HILVARENBEEK: {},
    ZALTBOMMEL: {},
}


def _gpkg(stem: str, data_dir: Path, test_data_dir: Path) -> Path:
    return (data_dir if stem in (DORP, HORST) else test_data_dir) / f"{stem}.gpkg"


def _raw_type_counts(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for member in etree.parse(str(path)).iter("{*}featureMember"):
        for feature in member:
            kind = etree.QName(feature).localname
            if kind in OVERLAY_TYPES:
                counts[kind] += 1
    return counts


@pytest.mark.parametrize("stem", list(EXPECTED))
def test_overlay_classes_per_plan_from_gml(stem: str, test_data_dir: Path) -> None:
    plan = read_imro_gml(test_data_dir / f"{stem}.gml")
    summary = zoning_summary(plan)[0]
    assert summary["overlays"] == EXPECTED[stem]
    assert summary["overlay_kinds"] == KINDS[stem]
    assert set(summary["overlays"]) <= set(OVERLAY_CLASSES)
    # every overlay object of the raw file got exactly one class
    raw = _raw_type_counts(test_data_dir / f"{stem}.gml")
    assert sum(EXPECTED[stem].values()) == sum(raw.values())
    overlays = plan[plan["object_type"].isin(OVERLAY_TYPES)]
    assert overlays["overlay_class"].notna().all()
    assert dict(Counter(overlays["object_type"])) == dict(raw)
    others = plan[~plan["object_type"].isin(OVERLAY_TYPES)]
    assert others["overlay_class"].isna().all()


@pytest.mark.parametrize("stem", list(EXPECTED))
def test_inspect_reports_plans_overlays_for_the_gpkg(
    stem: str, data_dir: Path, test_data_dir: Path
) -> None:
    result = inspect_path(_gpkg(stem, data_dir, test_data_dir))
    assert result["readable"], result["problems"]
    (plan,) = result["plans"]
    assert plan["overlays"] == EXPECTED[stem]
    assert plan["overlay_kinds"] == KINDS[stem]
    assert plan["before_2024"] is True  # every embedded plan predates 2024


def test_classification_by_name_catches_a_wrong_hoofdgroep(
    tmp_path: Path, test_data_dir: Path
) -> None:
    # the real Valkenhorst plan with one archaeology overlay filed as "leiding"
    text = (test_data_dir / f"{HORST}.gml").read_text(encoding="utf-8")
    marker = "<imro:naam>Waarde - Archeologie</imro:naam>"
    head, tail = text.split(marker, 1)
    tail = tail.replace(
        "<imro:bestemmingshoofdgroep>waarde</imro:bestemmingshoofdgroep>",
        "<imro:bestemmingshoofdgroep>leiding</imro:bestemmingshoofdgroep>",
        1,
    )
    path = tmp_path / "mislabelled.gml"
    path.write_text(head + marker + tail, encoding="utf-8")
    plan = read_imro_gml(path)
    hit = plan[(plan["name"] == "Waarde - Archeologie")]
    assert (hit["main_group"] == "leiding").sum() == 1
    assert set(hit["overlay_class"]) == {"archeologie"}
    summary = zoning_summary(plan)[0]
    assert summary["overlays"] == EXPECTED[HORST]  # counts unchanged
    assert summary["overlay_conflicts"] == [
        {
            "name": "Waarde - Archeologie",
            "object_type": "Dubbelbestemming",
            "main_group": "leiding",
        }
    ]
    assert (
        zoning_summary(read_imro_gml(test_data_dir / f"{HORST}.gml"))[0][
            "overlay_conflicts"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("name", "group", "expected"),
    [
        # the mislabels of a real IMRO2008 plan (RULES.md, Addendum 2)
        ("Archeologisch waardevol gebied", "leiding", ("archeologie", None, True)),
        ("Molenbiotoop", "leiding", ("cultuurhistorie", None, True)),
        ("Beschermwaardig houtopstand", "leiding", ("natuur", None, True)),
        (
            "Leiding - Hoogspanningsverbinding",
            "leiding",
            ("leiding", "hoogspanning", False),
        ),
        ("Leiding - Riool", "leiding", ("leiding", "riool", False)),
        ("Leiding - Brandstof", "leiding", ("leiding", "overig", False)),
        ("Leiding", "leiding", ("leiding", "overig", False)),
        (
            "Waterstaat - Waterberging",
            "waterstaat",
            ("waterstaat", "waterberging", False),
        ),
        (
            "vrijwaringszone - dijk",
            "vrijwaringszone",
            ("waterstaat", "waterkering", False),
        ),
        ("veiligheidszone - bevi", "veiligheidszone", ("veiligheidszone", None, False)),
        ("geluidzone - industrie", "geluidzone", ("geluidzone", None, False)),
        ("wetgevingzone - natura 2000", "wetgevingzone", ("natuur", None, False)),
        ("Waarde - Ecologie", "waarde", ("natuur", None, False)),
        ("Waarde - Gas", "waarde", ("leiding", "gas", True)),
    ],
)
def test_classify_overlay_by_name_and_group(
    name: str, group: str, expected: tuple
) -> None:
    kind = "Gebiedsaanduiding" if "zone" in name else "Dubbelbestemming"
    assert classify_overlay(kind, name, group) == expected


def test_non_overlays_get_no_class() -> None:
    assert classify_overlay("Enkelbestemming", "Wonen", "wonen") == (None, None, False)
    assert classify_overlay("Bouwvlak", None, None) == (None, None, False)


def test_maatvoering_values_from_gml_and_gpkg_agree(
    data_dir: Path, test_data_dir: Path
) -> None:
    cols = ["max_height_m", "max_gutter_height_m", "max_coverage_share", "max_storeys"]
    for stem in (DORP, GOES, HILVARENBEEK):
        gml = read_imro_gml(test_data_dir / f"{stem}.gml")
        gpkg = read_imro_gpkg(_gpkg(stem, data_dir, test_data_dir))
        a = gml.loc[gml["object_type"] == "Maatvoering"].set_index("object_id")
        b = gpkg.loc[gpkg["object_type"] == "Maatvoering"].set_index("object_id")
        assert a[cols].sort_index().equals(b[cols].sort_index()), stem
    dorp = read_imro_gml(test_data_dir / f"{DORP}.gml")
    maat = dorp[dorp["object_type"] == "Maatvoering"]
    # 488 "maximale goot- en bouwhoogte" + 2 "maximale bouwhoogte"; 3 percentages
    assert maat["max_height_m"].notna().sum() == 490
    assert maat["max_gutter_height_m"].notna().sum() == 488
    assert maat["max_coverage_share"].notna().sum() == 3
    assert float(maat["max_height_m"].max()) == 36.0
    assert 3.5 in set(maat["max_height_m"].dropna())  # "3,5" in the GML
    goes = read_imro_gml(test_data_dir / f"{GOES}.gml")
    storeys = goes.loc[goes["object_type"] == "Maatvoering", "max_storeys"]
    assert storeys.notna().sum() == 11 and float(storeys.max()) == 8.0
    hb = read_imro_gml(test_data_dir / f"{HILVARENBEEK}.gml")
    hb = hb[hb["max_height_m"].notna()]
    assert len(hb) == 7
    assert set(hb["max_height_m"]) == {9.0} and set(hb["max_gutter_height_m"]) == {6.0}


def test_maatvoering_pairs_follow_the_value_type() -> None:
    values = maatvoering_values(
        pd.Series(["9; 6", "60", None, "x"]),
        pd.Series(
            [
                "maximum bouwhoogte (m); maximum goothoogte (m)",
                "maximum bebouwingspercentage (%)",
                None,
                "maximum bouwhoogte (m)",
            ]
        ),
    )
    assert float(values.loc[0, "max_height_m"]) == 9.0
    assert float(values.loc[0, "max_gutter_height_m"]) == 6.0
    assert float(values.loc[1, "max_coverage_share"]) == pytest.approx(0.6)
    assert values.loc[2].isna().all() and values.loc[3].isna().all()
