"""Scan definitions: the shipped scans load; bad files give clear RuleErrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kansenkaart.errors import RuleError
from kansenkaart.rules.definition import load_scan

REPO = Path(__file__).resolve().parents[2]

HEADER = """
[scan]
name = "t"
title = "test"
version = "1"
unit = "parcels"
regime = "ow"
horizon_years = 15
"""


def _write(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "scan.toml"
    path.write_text(HEADER + rules, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["objectscan", "locatiescan"])
def test_shipped_scans_load_and_every_rule_names_its_source(name: str) -> None:
    scan = load_scan(REPO / "scans" / f"{name}.toml")
    assert scan.rules
    assert all(r.source.strip() for r in scan.rules)
    assert all(r.weight > 0 for r in scan.rules if r.kind == "score")
    assert len(scan.sha256) == 64


def test_unknown_predicate_names_rule(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[rule]]
id = "X-1"
title = "t"
kind = "veto"
predicate = "near_the_sea"
source = "s"
""",
    )
    with pytest.raises(
        RuleError,
        match=r"rule 'X-1'.*unknown predicate 'near_the_sea'.*Known predicates",
    ):
        load_scan(path)


def test_parameter_without_unit(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[rule]]
id = "X-2"
title = "t"
kind = "flag"
predicate = "within_distance"
layer = "natura2000"
params = { distance = 50 }
source = "s"
""",
    )
    with pytest.raises(RuleError, match=r"X-2.*'distance' has no unit.*distance_m"):
        load_scan(path)


def test_weight_on_veto(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[rule]]
id = "X-3"
title = "t"
kind = "veto"
predicate = "intersects_layer"
layer = "natura2000"
weight = 5
source = "s"
""",
    )
    with pytest.raises(RuleError, match=r"X-3.*veto rule cannot have a weight"):
        load_scan(path)


def test_unknown_layer(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[rule]]
id = "X-4"
title = "t"
kind = "veto"
predicate = "intersects_layer"
layer = "vliegvelden"
source = "s"
""",
    )
    with pytest.raises(
        RuleError, match=r"X-4.*unknown layer 'vliegvelden'.*\[layers.NAME\]"
    ):
        load_scan(path)


def test_declared_layer_is_accepted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[layers.vliegvelden]
kind = "vector"

[[rule]]
id = "X-5"
title = "t"
kind = "veto"
predicate = "intersects_layer"
layer = "vliegvelden"
source = "s"
""",
    )
    assert load_scan(path).rules[0].layer == "vliegvelden"


@pytest.mark.parametrize(
    ("rule", "pattern"),
    [
        (
            'id = "A"\ntitle = "t"\nkind = "veto"\npredicate = "status_in"\nparams = { values = ["x"] }\n',
            r"'source' is missing",
        ),
        (
            'id = "A"\ntitle = "t"\nkind = "score"\npredicate = "capacity_units"\nsource = "s"\n'
            "params = { units_per_ha = 30, target_units = 48 }\n",
            r"needs a positive 'weight'",
        ),
        (
            'id = "A"\ntitle = "t"\nkind = "veto"\npredicate = "capacity_below"\nsource = "s"\n'
            "params = { units_per_ha = 30 }\n",
            r"missing parameter\(s\) min_units",
        ),
        (
            'id = "A"\ntitle = "t"\nkind = "veto"\npredicate = "status_in"\nsource = "s"\n'
            'params = { values = ["x"] }\ncolour = "red"\n',
            r"unknown key\(s\) colour",
        ),
        (
            'id = "A"\ntitle = "t"\nkind = "score"\npredicate = "status_in"\nsource = "s"\nweight = 1\n'
            'params = { values = ["x"] }\n',
            r"gives yes/no, not a score",
        ),
        (
            'id = "A"\ntitle = "t"\nkind = "maybe"\npredicate = "status_in"\nsource = "s"\n',
            r"kind 'maybe' is not veto, score or flag",
        ),
    ],
)
def test_bad_rules(tmp_path: Path, rule: str, pattern: str) -> None:
    with pytest.raises(RuleError, match=pattern):
        load_scan(_write(tmp_path, "[[rule]]\n" + rule))


def test_bad_scan_header(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        HEADER.replace('unit = "parcels"', 'unit = "hexagons"'), encoding="utf-8"
    )
    with pytest.raises(RuleError, match="unit 'hexagons' is not supported"):
        load_scan(path)
    path.write_text("[scan\nname=", encoding="utf-8")
    with pytest.raises(RuleError, match="not valid TOML"):
        load_scan(path)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[rule]]
id = "A"
title = "t"
kind = "veto"
predicate = "near_the_sea"
source = "s"

[[rule]]
id = "B"
title = "t"
kind = "veto"
predicate = "uses_any"
params = { uses = ["kantoorfuncite"] }
source = "s"

[derive_uses]
"kantoor" = ["kantoor"]

[map]
fields = ["area_m2", "eigenaar_naam"]
""",
    )
    with pytest.raises(RuleError) as err:
        load_scan(path)
    message = str(err.value)
    assert "4 problems" in message
    assert "rule 'A': unknown predicate 'near_the_sea'" in message
    assert "rule 'B': uses has unknown value(s) 'kantoorfuncite'" in message
    assert "did you mean 'kantoorfunctie'" in message
    assert "[derive_uses] 'kantoor': unknown gebruiksdoel(en) 'kantoor'" in message
    assert "[map] fields: eigenaar_naam may hold a person's name" in message


def test_a_typo_in_uses_is_refused_before_any_data_is_read(tmp_path: Path) -> None:
    """Before, the typo raised KeyError in the middle of a scan."""
    import kansenkaart

    text = (REPO / "scans" / "objectscan.toml").read_text(encoding="utf-8")
    bad = tmp_path / "objectscan.toml"
    bad.write_text(text.replace('"kantoorfunctie"', '"kantoorfunctie "', 1), "utf-8")
    missing_data = tmp_path / "does-not-exist.gpkg"
    with pytest.raises(RuleError, match="kantoorfunctie"):
        kansenkaart.run_object_scan(missing_data, scan=bad)


def test_undeclared_layer_kind_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[layers.vliegvelden]\nkind = "shapefile"\n\n[[rule]]\nid = "X"\n'
        'title = "t"\nkind = "veto"\npredicate = "intersects_layer"\n'
        'layer = "vliegvelden"\nsource = "s"\n',
    )
    with pytest.raises(RuleError, match=r"\[layers.vliegvelden\]: kind 'shapefile'"):
        load_scan(path)
