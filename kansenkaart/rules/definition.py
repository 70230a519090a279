"""Scan definitions: the rules, weights and parameters an analyst edits.

A scan definition is a TOML file in ``scans/``. It is loaded into frozen
:class:`ScanDefinition` and :class:`Rule` objects and checked completely
before anything runs: unknown keys, predicates, layers, parameters without a
unit, or a weight on a veto all raise :class:`~kansenkaart.errors.RuleError`
naming the rule and saying how to fix it.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kansenkaart.errors import RuleError
from kansenkaart.model.privacy import personal_fields
from kansenkaart.model.schema import BAG_USE_COLUMNS
from kansenkaart.rules.predicates import PREDICATES, REQUIRED, PredicateSpec
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
    "on_unknown",
    "negate",
    "regimes",
}
_TOP_KEYS = {"scan", "rule", "layers", "map", "derive_uses"}
#: "zoning": a plan or verordening read like --zoning (e.g. constraints).
_DECLARED_KINDS = ("vector", "table", "raster", "zoning")
#: Keys of a ``[layers.NAME]`` section; ``national = true`` declares that the
#: layer covers the whole of the Netherlands (a national register).
_LAYER_KEYS = {"kind", "description", "national"}


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
        What happens when the rule's layer is absent for the whole scan:
        ``unknown`` refuses nothing but leaves the rule undecided for every
        candidate; ``skip`` marks the rule "niet beoordeeld: laag ontbreekt"
        (a score rule's weight then counts as not assessed, a veto as
        undecided). Neither makes missing data a pass.
    on_unknown : {"unknown", "flag"}
        What a veto that cannot be decided for a candidate (data missing,
        outside the layer's coverage) does to it: ``unknown`` (default) makes
        the candidate *onbekend*; ``flag`` scores it with a visible warning.
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
    on_unknown: Literal["unknown", "flag"] = "unknown"
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
        return {
            name: spec.get("kind", KNOWN_LAYERS.get(name, "vector"))
            for name, spec in self.layers.items()
        }

    @property
    def national_layers(self) -> tuple[str, ...]:
        """Layers the scan file declares ``national = true`` (cover all of NL)."""
        return tuple(n for n, s in self.layers.items() if s.get("national", False))

    @property
    def active_rules(self) -> tuple[Rule, ...]:
        """Rules that apply under the scan's regime."""
        return tuple(r for r in self.rules if self.regime in r.regimes)


class _Problems:
    """Every problem found in one scan file, reported together."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, problem: str, fix: str) -> None:
        self.items.append(f"{where}: {problem}. {fix}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        n = len(self.items)
        lines = "\n".join(f"  - {item}" for item in self.items)
        msg = f"{self.path}: {n} problem{'s' * (n != 1)} in the scan file:\n{lines}"
        raise RuleError(msg)


def _check_param_keys(
    params: dict[str, Any], where: str, spec: PredicateSpec, name: str, out: _Problems
) -> None:
    allowed = spec.params
    for key, value in params.items():
        if key in allowed:
            continue
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and not any(key.endswith(sfx) for sfx in UNITS):
            out.add(
                where,
                f"parameter {key!r} has no unit in its name",
                f"Numeric parameters end in a unit suffix ({', '.join(UNITS)}), "
                f"e.g. {key}_m; this predicate accepts {', '.join(sorted(allowed))}",
            )
            continue
        out.add(
            where,
            f"unknown parameter {key!r} for predicate {name!r}",
            f"Allowed parameters: {', '.join(sorted(allowed)) or '(none)'}",
        )
    missing = [k for k, v in allowed.items() if v is REQUIRED and k not in params]
    if missing:
        out.add(
            where,
            f"missing parameter(s) {', '.join(missing)}",
            f"Add them to params of predicate {name!r}",
        )


def _check_param_values(
    params: dict[str, Any], where: str, spec: PredicateSpec, out: _Problems
) -> None:
    for key, allowed in spec.choices.items():
        values = params.get(key, [])
        values = [values] if isinstance(values, str) else list(values)
        wrong = [v for v in values if v not in allowed]
        if wrong:
            close = difflib.get_close_matches(str(wrong[0]), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            out.add(
                where,
                f"{key} has unknown value(s) {', '.join(map(repr, wrong))}",
                f"{hint}Allowed: {', '.join(allowed)}",
            )


def _check_required_keys(raw: dict[str, Any], where: str, out: _Problems) -> bool:
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        out.add(
            where,
            f"unknown key(s) {', '.join(sorted(unknown))}",
            f"Allowed keys: {', '.join(sorted(_RULE_KEYS))}",
        )
    missing = [
        k for k in ("id", "title", "kind", "predicate", "source") if not raw.get(k)
    ]
    for key in missing:
        out.add(
            where,
            f"'{key}' is missing or empty",
            "Every rule needs id, title, kind, predicate and source (law and "
            "article, or report)",
        )
    return not missing


def _check_kind(
    raw: dict[str, Any], where: str, spec: PredicateSpec, out: _Problems
) -> None:
    kind = raw["kind"]
    if kind not in ("veto", "score", "flag"):
        out.add(where, f"kind {kind!r} is not veto, score or flag", "Fix 'kind'")
        return
    weight = raw.get("weight")
    if kind == "score" and (not isinstance(weight, int | float) or weight <= 0):
        out.add(where, "a score rule needs a positive 'weight'", "Add weight = 1")
    if kind != "score" and "weight" in raw:
        out.add(
            where,
            f"a {kind} rule cannot have a weight",
            "Remove 'weight' or make it a score rule",
        )
    if kind == "score" and spec.output != "fraction":
        out.add(
            where,
            f"predicate {raw['predicate']!r} gives yes/no, not a score",
            "Use it in a veto or flag rule",
        )


def _check_layer(
    raw: dict[str, Any],
    where: str,
    spec: PredicateSpec,
    layers: set[str],
    out: _Problems,
) -> str | None:
    layer = raw.get("layer", spec.default_layer)
    if spec.needs_layer and layer is None:
        out.add(where, "this predicate needs a 'layer'", 'Add layer = "..."')
    if layer is not None and layer not in layers:
        out.add(
            where,
            f"unknown layer {layer!r}",
            f"Known layers: {', '.join(sorted(layers))}; declare others "
            "under [layers.NAME]",
        )
    return layer


def _check_options(raw: dict[str, Any], where: str, out: _Problems) -> tuple[str, ...]:
    if raw.get("on_missing", "unknown") not in ("unknown", "skip"):
        out.add(where, "on_missing must be 'unknown' or 'skip'", "Fix on_missing")
    on_unknown = raw.get("on_unknown", "unknown")
    if on_unknown not in ("unknown", "flag"):
        out.add(where, "on_unknown must be 'unknown' or 'flag'", "Fix on_unknown")
    elif "on_unknown" in raw and raw.get("kind") != "veto":
        out.add(
            where,
            f"on_unknown is for veto rules, not a {raw.get('kind')} rule",
            "Remove on_unknown (an undecided score or flag is always shown)",
        )
    regimes = tuple(raw.get("regimes", ("wabo", "ow")))
    if not set(regimes) <= {"wabo", "ow"}:
        out.add(where, f"regimes {regimes} must be 'wabo' and/or 'ow'", "Fix regimes")
    return regimes


def _check_rule(
    raw: dict[str, Any], i: int, layers: set[str], out: _Problems
) -> Rule | None:
    where = f"rule {raw.get('id', f'#{i + 1}')!r}"
    if not _check_required_keys(raw, where, out):
        return None
    name = raw["predicate"]
    if name not in PREDICATES:
        close = difflib.get_close_matches(name, list(PREDICATES), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        out.add(
            where,
            f"unknown predicate {name!r}",
            f"{hint}Known predicates: {', '.join(sorted(PREDICATES))}",
        )
        return None
    spec = PREDICATES[name].spec
    params = raw.get("params", {})
    if not isinstance(params, dict):
        out.add(where, "'params' must be a table", "Write params = { key = value }")
        params = {}
    n_before = len(out.items)
    _check_kind(raw, where, spec, out)
    layer = _check_layer(raw, where, spec, layers, out)
    _check_param_keys(params, where, spec, name, out)
    _check_param_values(params, where, spec, out)
    regimes = _check_options(raw, where, out)
    if len(out.items) > n_before:
        return None
    return Rule(
        id=str(raw["id"]),
        title=raw["title"],
        kind=raw["kind"],
        predicate=name,
        layer=layer,
        params=dict(params),
        weight=float(raw.get("weight", 0.0)),
        rationale=raw.get("rationale", ""),
        source=raw["source"],
        note=raw.get("note", ""),
        on_missing=raw.get("on_missing", "unknown"),
        on_unknown=raw.get("on_unknown", "unknown"),
        negate=bool(raw.get("negate", False)),
        regimes=regimes,
    )


def _check_scan(scan: dict[str, Any], out: _Problems) -> bool:
    where = "[scan]"
    unknown = set(scan) - _SCAN_KEYS
    if unknown:
        out.add(
            where,
            f"unknown key(s) {', '.join(sorted(unknown))}",
            f"Allowed keys: {', '.join(sorted(_SCAN_KEYS))}",
        )
    required = ("name", "title", "version", "unit", "regime", "horizon_years")
    missing = [key for key in required if key not in scan]
    for key in missing:
        out.add(where, f"no {key!r}", f"Add {key} = ...")
    if scan.get("unit", "parcels") not in ("buildings", "parcels", "zoning", "grid"):
        out.add(
            where,
            f"unit {scan['unit']!r} is not supported",
            "Use buildings, parcels, zoning or grid",
        )
    if scan.get("fallback_unit") not in (None, "zoning", "grid"):
        out.add(where, "fallback_unit must be 'zoning' or 'grid'", "Fix it")
    if scan.get("regime", "ow") not in ("wabo", "ow"):
        out.add(where, f"regime {scan['regime']!r} is not 'wabo' or 'ow'", "Fix it")
    return not missing


def _check_declared_layers(declared: dict[str, Any], out: _Problems) -> None:
    for name, spec in declared.items():
        if not isinstance(spec, dict):
            out.add(f"[layers.{name}]", "is not a table", 'Write kind = "vector"')
            continue
        known = KNOWN_LAYERS.get(name)
        kind = spec.get("kind", "vector" if known is None else known)
        if known is None and kind not in _DECLARED_KINDS:
            out.add(
                f"[layers.{name}]",
                f"kind {kind!r} is not one of {', '.join(_DECLARED_KINDS)}",
                'Write kind = "vector", "table", "raster" or "zoning"',
            )
        if known is not None and kind != known:
            out.add(f"[layers.{name}]", f"is a {known} layer", "Remove 'kind'")
        unknown = set(spec) - _LAYER_KEYS
        if unknown:
            out.add(
                f"[layers.{name}]",
                f"unknown key(s) {', '.join(sorted(unknown))}",
                f"Allowed keys: {', '.join(sorted(_LAYER_KEYS))}",
            )
        if not isinstance(spec.get("national", False), bool):
            out.add(f"[layers.{name}]", "national must be true or false", "Fix it")


def _check_derive_uses(
    derive: dict[str, Any], out: _Problems
) -> dict[str, tuple[str, ...]]:
    checked = {}
    for group, uses in derive.items():
        values = [uses] if isinstance(uses, str) else list(uses)
        wrong = [u for u in values if u not in BAG_USE_COLUMNS]
        if wrong:
            close = difflib.get_close_matches(str(wrong[0]), list(BAG_USE_COLUMNS), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            out.add(
                f"[derive_uses] {group!r}",
                f"unknown gebruiksdoel(en) {', '.join(map(repr, wrong))}",
                f"{hint}Allowed: {', '.join(BAG_USE_COLUMNS)}",
            )
        checked[str(group)] = tuple(values)
    return checked


def _check_map_fields(fields: Any, out: _Problems) -> tuple[str, ...]:
    fields = tuple(str(f) for f in fields)
    personal = personal_fields(fields)
    if personal:
        out.add(
            "[map] fields",
            f"{', '.join(personal)} may hold a person's name or address",
            "Maps show ownership only as a class: whitelist owner_class instead",
        )
    return fields


def _check_rule_ids(rules: list[Rule], raw_count: int, out: _Problems) -> None:
    ids = [r.id for r in rules]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        out.add(
            "[[rule]]", f"duplicate rule id(s) {', '.join(dups)}", "Make ids unique"
        )
    if not raw_count:
        out.add("[[rule]]", "no [[rule]] entries", "Add at least one rule")


def _read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        raw_bytes = path.read_bytes()
        return tomllib.loads(raw_bytes.decode("utf-8")), raw_bytes
    except FileNotFoundError as err:
        raise RuleError(f"{path}: scan file not found") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise RuleError(f"{path}: not valid TOML ({err})") from err


def load_scan(path: str | Path) -> ScanDefinition:
    """Load and check a scan definition from a TOML file.

    Every value that can be checked without data is checked before anything
    runs: sections and keys, predicates and their parameters (units in the
    names, allowed values such as BAG gebruiksdoelen), layers, weights,
    ``derive_uses``, and the map fields against the privacy vocabulary. All
    problems are reported at once, each with the rule and the fix.

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
        Listing every problem found.

    Examples
    --------
    >>> from kansenkaart.datasets import scan_path
    >>> scan = load_scan(scan_path("objectscan"))
    >>> scan.unit, len(scan.rules) > 5
    ('buildings', True)
    """
    path = Path(path)
    data, raw_bytes = _read_toml(path)
    out = _Problems(path)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        out.add(
            "file",
            f"unknown section(s) {', '.join(sorted(unknown))}",
            f"Allowed: {', '.join(sorted(_TOP_KEYS))}",
        )
    scan = data.get("scan", {})
    scan_ok = _check_scan(scan, out)
    declared = data.get("layers", {})
    _check_declared_layers(declared, out)
    layers = set(KNOWN_LAYERS) | set(declared)
    raw_rules = data.get("rule", [])
    rules = [_check_rule(r, i, layers, out) for i, r in enumerate(raw_rules)]
    checked = [r for r in rules if r is not None]
    _check_rule_ids(checked, len(raw_rules), out)
    derive = _check_derive_uses(data.get("derive_uses", {}), out)
    map_fields = _check_map_fields(data.get("map", {}).get("fields", ()), out)
    out.raise_if_any()
    assert scan_ok  # every missing key was reported above
    return ScanDefinition(
        name=scan["name"],
        title=scan["title"],
        version=str(scan["version"]),
        unit=scan["unit"],
        regime=scan["regime"],
        horizon_years=float(scan["horizon_years"]),
        rules=tuple(checked),
        fallback_unit=scan.get("fallback_unit"),
        grid_size_m=float(scan.get("grid_size_m", 100.0)),
        top_k=int(scan.get("top_k", 20)),
        description=scan.get("description", ""),
        reference_date=scan.get("reference_date"),
        layers=dict(declared),
        map_fields=map_fields,
        derive_uses=derive,
        path=path,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )
