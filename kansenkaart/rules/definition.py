"""Scan definitions: the rules, weights and parameters an analyst edits.

A scan definition is a TOML file in ``scans/``. It is loaded into frozen
:class:`ScanDefinition` and :class:`Rule` objects and checked completely
before anything runs: unknown keys, predicates, layers, parameters without a
unit, or a weight on a veto all raise :class:`~kansenkaart.errors.RuleError`
naming the rule and saying how to fix it.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kansenkaart.errors import RuleError
from kansenkaart.sources.layers import KNOWN_LAYERS, LayerKind

__all__ = [
    "UNITS",
    "Rule",
    "ScanDefinition",
    "load_scan",
]

RuleKind = Literal["veto", "score", "flag"]
Regime = Literal["wabo", "ow"]
Unit = Literal["buildings", "parcels", "zoning", "grid"]

#: Unit suffixes a numeric parameter key may end with.
UNITS: dict[str, str] = {
    "_m": "metres",
    "_m2": "square metres",
    "_ha": "hectares",
    "_db": "decibel",
    "_years": "years",
    "_year": "calendar year",
    "_per_ha": "per hectare",
    "_units": "number of dwellings",
    "_share": "fraction 0-1",
}

_SCAN_KEYS = {
    "name",
    "title",
    "version",
    "unit",
    "fallback_unit",
    "grid_size_m",
    "regime",
    "horizon_years",
    "top_k",
    "description",
    "reference_date",
}
_RULE_KEYS = {
    "id",
    "title",
    "kind",
    "predicate",
    "layer",
    "params",
    "weight",
    "rationale",
    "source",
    "note",
    "on_missing",
    "negate",
    "regimes",
}
_TOP_KEYS = {"scan", "rule", "layers", "map", "derive_uses"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule of a scan.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"OBJ-STATUS"``; used as column name.
    title : str
        Dutch one-line title shown to analysts.
    kind : {"veto", "score", "flag"}
        A veto excludes a candidate when its predicate holds; a score adds
        ``weight`` times the predicate's value (0-1); a flag is only shown.
    predicate : str
        Name from the closed vocabulary in :mod:`kansenkaart.rules.predicates`.
    layer : str or None
        Layer the predicate reads, when it needs one.
    params : dict
        Predicate parameters, numeric ones with the unit in the key.
    weight : float
        Weight of a score rule (0 for vetoes and flags).
    rationale, source, note : str
        Why the rule exists, its legal or policy source, and remarks such as
        ``UNVERIFIED``.
    on_missing : {"unknown", "skip"}
        What happens when the rule's layer is absent for the whole scan.
    negate : bool
        Invert a boolean predicate (e.g. "has no transformable use").
    regimes : tuple of str
        Legal regimes the rule applies to.
    """

    id: str
    title: str
    kind: RuleKind
    predicate: str
    layer: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    weight: float = 0.0
    rationale: str = ""
    source: str = ""
    note: str = ""
    on_missing: Literal["unknown", "skip"] = "unknown"
    negate: bool = False
    regimes: tuple[str, ...] = ("wabo", "ow")


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanDefinition:
    """A complete, checked scan definition."""

    name: str
    title: str
    version: str
    unit: Unit
    regime: Regime
    horizon_years: float
    rules: tuple[Rule, ...]
    fallback_unit: Unit | None = None
    grid_size_m: float = 100.0
    top_k: int = 20
    description: str = ""
    reference_date: str | None = None
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    map_fields: tuple[str, ...] = ()
    derive_uses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    path: Path | None = None
    sha256: str = ""

    @property
    def layer_kinds(self) -> dict[str, LayerKind]:
        """Kind of each layer the scan file declares under ``[layers.NAME]``."""
        return {name: spec.get("kind", "vector") for name, spec in self.layers.items()}

    @property
    def active_rules(self) -> tuple[Rule, ...]:
        """Rules that apply under the scan's regime."""
        return tuple(r for r in self.rules if self.regime in r.regimes)


def _fail(where: str, problem: str, fix: str) -> RuleError:
    return RuleError(f"{where}: {problem}. {fix}")


def _check_params(rule: dict[str, Any], where: str, spec: dict[str, Any]) -> None:
    params = rule.get("params", {})
    if not isinstance(params, dict):
        raise _fail(where, "'params' must be a table", "Write params = { key = value }")
    allowed = spec["params"]
    for key, value in params.items():
        if key in allowed:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            has_unit = any(key.endswith(sfx) for sfx in UNITS)
            if not has_unit:
                units = ", ".join(UNITS)
                raise _fail(
                    where,
                    f"parameter {key!r} has no unit in its name",
                    f"Numeric parameters end in a unit suffix ({units}), e.g. "
                    f"{key}_m; this predicate accepts {', '.join(sorted(allowed))}",
                )
        raise _fail(
            where,
            f"unknown parameter {key!r} for predicate {rule['predicate']!r}",
            f"Allowed parameters: {', '.join(sorted(allowed)) or '(none)'}",
        )
    missing = [k for k, v in allowed.items() if v is ... and k not in params]
    if missing:
        raise _fail(
            where,
            f"missing parameter(s) {', '.join(missing)}",
            f"Add them to params of predicate {rule['predicate']!r}",
        )


def _check_rule(raw: dict[str, Any], i: int, layers: set[str]) -> Rule:  # noqa: C901, PLR0912 - one check per key
    from kansenkaart.rules.predicates import PREDICATES  # noqa: PLC0415

    where = f"rule {raw.get('id', f'#{i + 1}')!r}"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _fail(
            where,
            f"unknown key(s) {', '.join(sorted(unknown))}",
            f"Allowed keys: {', '.join(sorted(_RULE_KEYS))}",
        )
    for key in ("id", "title", "kind", "predicate", "source"):
        if not raw.get(key):
            raise _fail(
                where,
                f"'{key}' is missing or empty",
                "Every rule needs id, "
                "title, kind, predicate and source (law and article, or report)",
            )
    kind = raw["kind"]
    if kind not in ("veto", "score", "flag"):
        raise _fail(where, f"kind {kind!r} is not veto, score or flag", "Fix 'kind'")
    if raw["predicate"] not in PREDICATES:
        raise _fail(
            where,
            f"unknown predicate {raw['predicate']!r}",
            f"Known predicates: {', '.join(sorted(PREDICATES))}",
        )
    spec = PREDICATES[raw["predicate"]].spec
    layer = raw.get("layer", spec.get("default_layer"))
    if spec.get("needs_layer") and layer is None:
        raise _fail(where, "this predicate needs a 'layer'", 'Add layer = "..."')
    if layer is not None and layer not in layers:
        raise _fail(
            where,
            f"unknown layer {layer!r}",
            f"Known layers: {', '.join(sorted(layers))}; declare others "
            "under [layers.NAME]",
        )
    if kind == "score":
        weight = raw.get("weight")
        if not isinstance(weight, int | float) or weight <= 0:
            raise _fail(
                where, "a score rule needs a positive 'weight'", "Add weight = 1"
            )
    elif "weight" in raw:
        raise _fail(
            where,
            f"a {kind} rule cannot have a weight",
            "Remove 'weight' or make it a score rule",
        )
    if kind == "score" and spec["output"] != "fraction":
        raise _fail(
            where,
            f"predicate {raw['predicate']!r} gives yes/no, not a score",
            "Use it in a veto or flag rule",
        )
    _check_params(raw, where, spec)
    if raw.get("on_missing", "unknown") not in ("unknown", "skip"):
        raise _fail(where, "on_missing must be 'unknown' or 'skip'", "Fix on_missing")
    regimes = tuple(raw.get("regimes", ("wabo", "ow")))
    if not set(regimes) <= {"wabo", "ow"}:
        raise _fail(
            where, f"regimes {regimes} must be 'wabo' and/or 'ow'", "Fix regimes"
        )
    return Rule(
        id=str(raw["id"]),
        title=raw["title"],
        kind=kind,
        predicate=raw["predicate"],
        layer=layer,
        params=dict(raw.get("params", {})),
        weight=float(raw.get("weight", 0.0)),
        rationale=raw.get("rationale", ""),
        source=raw["source"],
        note=raw.get("note", ""),
        on_missing=raw.get("on_missing", "unknown"),
        negate=bool(raw.get("negate", False)),
        regimes=regimes,
    )


def _check_scan(scan: dict[str, Any], where: str) -> None:
    unknown = set(scan) - _SCAN_KEYS
    if unknown:
        raise _fail(
            where,
            f"unknown key(s) {', '.join(sorted(unknown))} in [scan]",
            f"Allowed keys: {', '.join(sorted(_SCAN_KEYS))}",
        )
    for key in ("name", "title", "version", "unit", "regime", "horizon_years"):
        if key not in scan:
            raise _fail(where, f"[scan] has no {key!r}", f"Add {key} = ...")
    if scan["unit"] not in ("buildings", "parcels", "zoning", "grid"):
        raise _fail(
            where,
            f"unit {scan['unit']!r} is not supported",
            "Use buildings, parcels, zoning or grid",
        )
    if scan.get("fallback_unit") not in (None, "zoning", "grid"):
        raise _fail(where, "fallback_unit must be 'zoning' or 'grid'", "Fix it")
    if scan["regime"] not in ("wabo", "ow"):
        raise _fail(where, f"regime {scan['regime']!r} is not 'wabo' or 'ow'", "Fix it")


def load_scan(path: str | Path) -> ScanDefinition:
    """Load and check a scan definition from a TOML file.

    Parameters
    ----------
    path : str or Path
        A file such as ``scans/objectscan.toml``.

    Returns
    -------
    ScanDefinition

    Raises
    ------
    RuleError
        On any unknown or missing key, predicate, layer or unit.
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except FileNotFoundError as err:
        raise RuleError(f"{path}: scan file not found") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise RuleError(f"{path}: not valid TOML ({err})") from err
    where = str(path)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(
            where,
            f"unknown section(s) {', '.join(sorted(unknown))}",
            f"Allowed: {', '.join(sorted(_TOP_KEYS))}",
        )
    scan = data.get("scan", {})
    _check_scan(scan, where)
    declared = data.get("layers", {})
    layers = set(KNOWN_LAYERS) | set(declared)
    rules = [_check_rule(r, i, layers) for i, r in enumerate(data.get("rule", []))]
    ids = [r.id for r in rules]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise _fail(where, f"duplicate rule id(s) {', '.join(dups)}", "Make ids unique")
    if not rules:
        raise _fail(where, "no [[rule]] entries", "Add at least one rule")
    derive = {k: tuple(v) for k, v in data.get("derive_uses", {}).items()}
    return ScanDefinition(
        name=scan["name"],
        title=scan["title"],
        version=str(scan["version"]),
        unit=scan["unit"],
        regime=scan["regime"],
        horizon_years=float(scan["horizon_years"]),
        rules=tuple(rules),
        fallback_unit=scan.get("fallback_unit"),
        grid_size_m=float(scan.get("grid_size_m", 100.0)),
        top_k=int(scan.get("top_k", 20)),
        description=scan.get("description", ""),
        reference_date=scan.get("reference_date"),
        layers=dict(declared),
        map_fields=tuple(data.get("map", {}).get("fields", ())),
        derive_uses=derive,
        path=path,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )
