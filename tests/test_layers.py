"""Every import of cgcrm/ runs with the layers declared in cgcrm/layers.py (DESIGN.md §2)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import cgcrm
from cgcrm.layers import ALLOWED_IMPORTS, COMPOSITION_ROOTS, LAYERS, Layer
from tests.layering import check, imports_of

PACKAGE = Path(cgcrm.__file__).parent


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    """Overrides the suite's database clean-up: these tests read source files only."""
    yield


def test_every_import_of_cgcrm_runs_with_the_declared_layers() -> None:
    assert check(PACKAGE, COMPOSITION_ROOTS, LAYERS, ALLOWED_IMPORTS) == []


def test_imports_inside_functions_are_read() -> None:
    # job_app() builds the application with `from cgcrm import create_app` inside its body.
    assert ("cgcrm.jobs", "cgcrm") in {(i.source, i.target) for i in imports_of(PACKAGE)}


def test_packages_still_to_come_are_already_placed() -> None:
    declared = set(COMPOSITION_ROOTS) | {p for layer in LAYERS for p in layer.packages}
    designed = {
        "overview", "metrics", "integrations", "admin",
        "interactions", "cases", "payments", "surveys", "matching",
        "citizens", "identity", "catalog", "notifications",
        "core", "settings", "extensions",
        "worker", "jobs", "cli", "health",
    }  # fmt: skip
    assert designed <= declared


# --- the checker itself, on small trees written for each case --------------------------------

MINI_ROOTS = ("cgcrm", "cli")
MINI_LAYERS = (
    Layer("reports", ("overview",)),
    Layer("domains", ("cases", "interactions")),
    Layer("record", ("citizens",)),
    Layer("shared", ("core",)),
)


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "cgcrm"
    base = {
        "__init__.py": "def create_app():\n    from cgcrm.overview import service\n",
        "cli.py": "from cgcrm import create_app\n",
        "core/__init__.py": "",
        "citizens/__init__.py": "",
        "cases/__init__.py": "",
        "cases/service.py": "from cgcrm.interactions import models\n",
        "interactions/__init__.py": "",
        "interactions/models.py": "from cgcrm.citizens import x\n",
        "overview/__init__.py": "",
        "overview/service.py": "from cgcrm.cases import service\n",
    }
    for name, text in {**base, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def problems(root: Path, allowed: dict[tuple[str, str], str] | None = None) -> list[str]:
    return check(root, MINI_ROOTS, MINI_LAYERS, allowed or {})


def test_a_sound_tree_passes(tmp_path: Path) -> None:
    assert problems(tree(tmp_path, {})) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("citizens/a.py", "from cgcrm.cases import service\n", "citizens (record) is below"),
        (
            "interactions/service.py",
            "def check():\n    from cgcrm.cases import service\n",
            "inside one layer cases uses interactions, never the reverse",
        ),
        (
            "citizens/a.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import cgcrm.overview\n",
            "is below overview",
        ),
        ("core/a.py", "from ..citizens import models\n", "core (shared) is below citizens"),
        ("core/__init__.py", "from .. import citizens\n", "core (shared) is below citizens"),
        ("core/a.py", "from cgcrm import create_app\n", "nothing imports a composition root"),
        ("citizens/a.py", "from cgcrm import cli\n", "nothing imports a composition root"),
        (
            "core/a.py",
            "import importlib\nimportlib.import_module('cgcrm.cases.service')\n",
            "core (shared) is below cases",
        ),
        ("payments/__init__.py", "", "cgcrm/payments is in no layer"),
        ("payments.py", "", "cgcrm/payments is in no layer"),
    ],
)
def test_the_checker_catches(tmp_path: Path, name: str, text: str, expected: str) -> None:
    found = problems(tree(tmp_path, {name: text}))
    assert len(found) == 1 and expected in found[0], found


def test_an_allowed_import_passes_and_a_stale_one_fails(tmp_path: Path) -> None:
    root = tree(tmp_path, {"core/a.py": "from cgcrm import create_app\n"})
    assert problems(root, {("cgcrm.core.a", "cgcrm"): "why"}) == []
    root = tree(tmp_path, {"core/a.py": ""})
    assert "no longer exists" in problems(root, {("cgcrm.core.a", "cgcrm"): "why"})[0]


def test_a_package_declared_twice_fails(tmp_path: Path) -> None:
    layers = (*MINI_LAYERS, Layer("again", ("cases",)))
    found = check(tree(tmp_path, {}), MINI_ROOTS, layers, {})
    assert "cases is declared twice" in found
