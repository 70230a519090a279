"""The package's imports only point down its layers (read from the source with ast).

Layers, lowest first (DESIGN.md draws them): a module may import from its own
layer group (e.g. within ``io``) and from lower layers, never from a higher
one. Lazy imports inside functions count too. A new top-level module or
package must be given a layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kansenkaart"

#: Top-level module or subpackage -> layer (lower may not import higher).
LAYERS: dict[str, int] = {
    "_version": 0,
    "errors": 0,
    "crs": 1,
    "spatial": 1,
    "datasets": 1,
    "model": 2,
    "io": 3,
    "sources": 4,
    "fetch": 4,
    "synth": 4,
    "prepare": 4,
    "candidates": 5,
    "joins": 5,
    "rules": 6,
    "scoring": 7,
    "results": 8,
    "render": 9,
    "pipeline": 10,
    "match": 10,
    "national": 10,
    "cli": 11,
    "__init__": 12,
}


def _group(module: str) -> str:
    """Layer group of an imported module name (``kansenkaart.io.bag`` -> ``io``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _file_group(path: Path, package: Path) -> str:
    """Layer group of a source file (``io/bag.py`` -> ``io``)."""
    parts = path.relative_to(package).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "kansenkaart":
                found += [(node.lineno, f"kansenkaart.{a.name}") for a in node.names]
            elif node.module.startswith("kansenkaart."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name)
                for a in node.names
                if a.name.startswith("kansenkaart.")
            ]
    return found


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """Every import of a higher layer, as ``file:line: a -> b``."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        source = _file_group(path, package)
        if source not in LAYERS:
            problems.append(f"{path}: module group {source!r} has no layer")
            continue
        for line, target in _imports(path):
            group = _group(target)
            if group not in LAYERS:
                problems.append(f"{path}:{line}: imports {target}, which has no layer")
            elif LAYERS[group] > LAYERS[source]:
                problems.append(
                    f"{path.relative_to(package.parent)}:{line}: {source} "
                    f"(layer {LAYERS[source]}) imports {target} (layer {LAYERS[group]})"
                )
    return problems


def test_imports_only_point_down() -> None:
    problems = upward_imports()
    assert not problems, "\n".join(problems)


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    fake = tmp_path / "kansenkaart"
    (fake / "model").mkdir(parents=True)
    (fake / "model" / "schema.py").write_text(
        "def f():\n    from kansenkaart.pipeline import run_scan\n", encoding="utf-8"
    )
    (fake / "io").mkdir()
    (fake / "io" / "bag.py").write_text(
        "from kansenkaart.model.schema import f\n", encoding="utf-8"
    )
    problems = upward_imports(fake)
    assert len(problems) == 1
    assert "model (layer 2) imports kansenkaart.pipeline (layer 10)" in problems[0]


@pytest.mark.parametrize("module", ["io", "model", "results", "render"])
def test_every_layer_exists(module: str) -> None:
    assert (PACKAGE / module).is_dir()
