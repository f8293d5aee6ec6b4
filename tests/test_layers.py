"""The apps are layered, and no two apps import each other (README, Design).

    mtss  <-  students  <-  screening  <-  interventions  <-  notifications  <-  reports

An app may import only apps to its left; `demo` (synthetic data) may import every app
and none may import it. Every import counts: module-level and function-local alike.
A lower app that must make a higher one act announces an event (mtss/events.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["mtss", "students", "screening", "interventions", "notifications", "reports", "demo"]


def _imports(path: Path):
    """(line, imported top-level package) for every absolute import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def _product_files():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for app, path in _product_files():
        for line, target in _imports(path):
            if target in LAYERS and target != app:
                edges.setdefault((app, target), []).append(f"{path.relative_to(ROOT)}:{line}")
    return edges


def test_every_app_is_scanned():
    apps = {app for app, _ in _product_files()}
    assert apps == set(LAYERS)


def test_no_app_imports_an_app_above_it():
    upward = [
        f"{where}: {app} imports {target} (may import only {', '.join(LAYERS[: LAYERS.index(app)]) or 'no app'})"
        for (app, target), places in sorted(_edges().items())
        if LAYERS.index(target) > LAYERS.index(app)
        for where in places
    ]
    assert not upward, "Imports against the layering:\n" + "\n".join(upward)


def test_no_two_apps_import_each_other():
    edges = _edges()
    mutual = [
        f"{a} <-> {b}: " + ", ".join(edges[(a, b)] + edges[(b, a)])
        for (a, b) in sorted(edges)
        if a < b and (b, a) in edges
    ]
    assert not mutual, "Apps that import each other:\n" + "\n".join(mutual)


def test_the_check_sees_function_local_imports(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("import os\n\ndef f():\n    from reports.models import X\n")
    assert list(_imports(source)) == [(1, "os"), (4, "reports")]
