"""Reads every import of a package tree with ``ast`` and holds it to ``cgcrm.layers``.

Every ``import`` and ``from … import`` counts wherever it stands (module level, inside a
function, under ``if TYPE_CHECKING:``, in a ``try``), relative ones included, and so does
``importlib.import_module("cgcrm…")`` or ``__import__("cgcrm…")`` with a literal name.
Dotted paths kept as data (handlers, periodic jobs) are late binding by design and do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cgcrm.layers import Layer


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "cgcrm.cases.routes"
    target: str  # the imported module, e.g. "cgcrm.interactions.models"
    path: Path
    line: int


def module_name(root: Path, path: Path) -> str:
    """``cgcrm/cases/service/access.py`` → ``cgcrm.cases.service.access``; packages by name."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def units_present(root: Path) -> set[str]:
    """The top-level packages and modules of the tree (what the declaration must list)."""
    units = {root.name}
    for child in root.iterdir():
        if child.is_dir() and (child / "__init__.py").exists():
            units.add(child.name)
        elif child.suffix == ".py" and child.name != "__init__.py":
            units.add(child.stem)
    return units


def unit_of(module: str, top: str) -> str:
    """The declared unit a module belongs to: ``cgcrm.cases.models`` → ``cases``."""
    parts = module.split(".")
    return top if len(parts) == 1 else parts[1]


def _resolve_from(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _literal_import(node: ast.Call) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in {"import_module", "__import__"} or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def imports_of(root: Path) -> Iterator[Import]:
    """Every import of the tree ``root`` that names a module of that tree."""
    top = root.name
    units = units_present(root)
    for path in sorted(root.rglob("*.py")):
        source = module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = _resolve_from(node, source, path.name == "__init__.py")
                if module == top:  # from cgcrm import jobs / from cgcrm import create_app
                    targets = [
                        f"{top}.{alias.name}" if alias.name in units else top
                        for alias in node.names
                    ]
                else:
                    targets = [module]
            elif isinstance(node, ast.Call):
                literal = _literal_import(node)
                targets = [literal] if literal else []
            for target in targets:
                if target == top or target.startswith(top + "."):
                    yield Import(source, target, path, node.lineno)


def check(
    root: Path,
    roots: Sequence[str],
    layers: Sequence[Layer],
    allowed: Mapping[tuple[str, str], str],
    imports: Sequence[Import] | None = None,
) -> list[str]:
    """What breaks the declared layers, one line each (empty: nothing)."""
    top = root.name
    problems: list[str] = []
    place: dict[str, tuple[int, int]] = {}
    for unit in roots:
        if unit in place:
            problems.append(f"{unit} is declared twice")
        place[unit] = (-1, 0)
    for rank, layer in enumerate(layers):
        for position, unit in enumerate(layer.packages):
            if unit in place:
                problems.append(f"{unit} is declared twice")
            place[unit] = (rank, position)
    for unit in sorted(units_present(root) - place.keys()):
        problems.append(f"{top}/{unit} is in no layer: place it in cgcrm/layers.py")

    used: set[tuple[str, str]] = set()
    for found in imports if imports is not None else list(imports_of(root)):
        source, target = unit_of(found.source, top), unit_of(found.target, top)
        if source == target or source not in place or target not in place:
            continue
        (source_rank, source_position), (target_rank, target_position) = (
            place[source],
            place[target],
        )
        if source_rank == -1 or (target_rank != -1 and source_rank < target_rank):
            continue
        if target_rank == -1:
            why = "nothing imports a composition root"
        elif source_rank > target_rank:
            why = f"{source} ({layers[source_rank].name}) is below {target}"
        elif source_position > target_position:
            why = f"inside one layer {target} uses {source}, never the reverse"
        else:
            continue
        key = (found.source, found.target)
        if key in allowed:
            used.add(key)
            continue
        where = f"{found.path.relative_to(root.parent)}:{found.line}"
        problems.append(f"{where}: {found.source} imports {found.target}: {why}")
    for key in sorted(allowed.keys() - used):
        problems.append(f"allowed import {key[0]} → {key[1]} no longer exists: remove it")
    return problems
