"""What the package imports is installed by requirements.txt alone (``make run`` installs only
that file; the suite runs with requirements-dev.txt too, so a runtime module missing from
requirements.txt passed every other test while a fresh ``make run`` failed to import the app)."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_state() -> None:
    """Overrides the suite's clean-up: these tests read files, not the database."""


def _runtime_distributions() -> set[str]:
    """requirements.txt's distributions and everything they require, as pip installs them."""
    pending = [
        Requirement(line)
        for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    installed: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in installed:
            continue
        installed.add(name)
        for line in metadata.requires(requirement.name) or []:
            needed = Requirement(line)
            markers = [{"extra": extra} for extra in requirement.extras or {""}]
            if needed.marker is None or any(needed.marker.evaluate(m) for m in markers):
                pending.append(needed)
    return installed


def _imported_top_level_modules() -> dict[str, str]:
    """Every absolute import's top-level module in cgcrm/, with one file that imports it."""
    found: dict[str, str] = {}
    for path in sorted((PROJECT_ROOT / "cgcrm").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(PROJECT_ROOT)))
    return found


def test_every_module_the_package_imports_is_a_runtime_requirement() -> None:
    runtime = _runtime_distributions()
    providers = metadata.packages_distributions()
    missing = {
        module: where
        for module, where in _imported_top_level_modules().items()
        if module != "cgcrm"
        and module not in sys.stdlib_module_names
        and not any(canonicalize_name(d) in runtime for d in providers.get(module, []))
    }
    assert missing == {}, f"imported by cgcrm/ but not installed by requirements.txt: {missing}"
