"""Every module of the project is under an import contract (issue 20, section 3), nobody edits
``sys.path``, and every script of ``bench/`` and ``tools/`` imports: checked on the sources.

The contracts themselves are import-linter's (``pyproject.toml``, run by ``lint-imports`` in
.ci/run); these tests keep them whole: a new folder of code, a new module of the core or a new
top-level script fails here until a contract names it. ``dashboard.py`` and ``server.py`` are
modules outside any package, which import-linter cannot analyse: they are held here to the pages'
contracts.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from test_usecases import imported

from conftest import ROOT

CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
ENTRY_POINTS = ("dashboard.py", "server.py")  # streamlit run's scripts, beside pages/
SKIPPED = {".git", ".venv", "node_modules", "__pycache__"}


def project_files() -> list[Path]:
    """Every Python file of the checkout: the code, the tests, the scripts (not the virtual environment)."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED]  # never walked into
        found += [Path(folder, f) for f in files if f.endswith(".py")]
    return sorted(found)


def layer_names(contract: dict) -> set[str]:
    """The modules a layers contract names (``a | b`` and ``a : b`` are siblings of one layer)."""
    return {name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")}


def sys_path_uses(source: str) -> list[int]:
    """The lines that touch ``sys.path`` (read, assign, insert, extend…) or import ``path`` from ``sys``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        sys_path = isinstance(node, ast.Attribute) and node.attr == "path" and getattr(node.value, "id", "") == "sys"
        from_sys = (
            isinstance(node, ast.ImportFrom) and node.module == "sys" and any(a.name == "path" for a in node.names)
        )
        site = isinstance(node, ast.Attribute) and node.attr == "addsitedir"
        if sys_path or from_sys or site:
            lines.append(node.lineno)
    return lines


def test_nothing_edits_sys_path():
    """Scripts and tests import the installed project (``pip install -e .``): no file edits the path."""
    found = {
        p.relative_to(ROOT).as_posix(): lines
        for p in project_files()
        if (lines := sys_path_uses(p.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_sys_path_scan_finds_every_way_of_editing_it():
    sources = [
        "import sys\nsys.path.insert(0, 'tests')",
        "import sys\nsys.path[:0] = ['a']",
        "import sys\nsys.path = ['a']",
        "import sys\nsys.path += ['a']",
        "from sys import path\npath.append('a')",
        "import site\nsite.addsitedir('a')",
        "import os, sys\nos.environ['X'] = str(sys.path)",
    ]
    assert [sys_path_uses(s) for s in sources] == [[2], [2], [2], [2], [1], [2], [2]]
    assert sys_path_uses("import os\nos.path.join('a', 'b')\nimport sys\nsys.argv") == []


def test_every_script_of_bench_and_tools_imports():
    """Each script imports (``__name__`` is not ``__main__``: nothing runs), as ``python -m bench.NAME``
    would import it from the project folder."""
    modules = [f"{d}.{p.stem}" for d in ("bench", "tools") for p in sorted((ROOT / d).glob("*.py"))]
    assert len(modules) >= 14
    probe = (
        "import importlib, sys, traceback\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        module = importlib.import_module(name)\n"
        "        assert module.__name__ == name\n"
        "    except BaseException:\n"
        "        print(name, traceback.format_exc(limit=-1).strip().splitlines()[-1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *modules], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_every_folder_of_code_is_under_the_contracts():
    """A folder of the project holding Python code is one of import-linter's root packages (the
    tests aside: nothing may import them, and the contracts say so)."""
    folders = {
        d.name
        for d in ROOT.iterdir()
        if d.is_dir() and d.name not in SKIPPED | {"tests"} and not d.name.startswith(".") and any(d.glob("*.py"))
    }
    assert folders == set(CONTRACTS["root_packages"])
    assert sorted(p.name for p in ROOT.glob("*.py")) == sorted(ENTRY_POINTS)


def test_every_module_of_the_core_has_its_layer():
    core = next(c for c in CONTRACTS["contracts"] if c.get("containers") == ["rollout"])
    modules = {
        p.stem if p.suffix == ".py" else p.name
        for p in (ROOT / "rollout").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert modules == layer_names(core)


def test_the_entry_points_keep_the_pages_contracts():
    """dashboard.py and server.py, like pages/, import neither the readers, the test kit, the
    benchmarks, the data scripts nor the tests."""
    forbidden = set()
    for contract in CONTRACTS["contracts"]:
        if "pages" in contract.get("source_modules", []):
            forbidden |= set(contract["forbidden_modules"])
    assert {"data_sources", "testkit", "bench", "tools", "tests"} <= forbidden
    for name in ENTRY_POINTS:
        names = imported((ROOT / name).read_text(encoding="utf-8"))
        assert {n.split(".")[0] for n in names} & forbidden == set(), name


def test_every_module_imports_only_public_names_of_the_project():
    """dashboard.py, server.py, the pages, the packages, the benchmarks, the data scripts and the test
    kit use the project's public modules and names only (``__future__`` and dunders aside)."""
    project = set(CONTRACTS["root_packages"])
    code = [p for p in project_files() if p.relative_to(ROOT).parts[0] in project]
    private = {}
    for path in [*(ROOT / n for n in ENTRY_POINTS), *code]:
        names = imported(path.read_text(encoding="utf-8"))
        found = [
            n for n in names
            if n.split(".")[0] in project and any(p.startswith("_") and not p.startswith("__") for p in n.split("."))
        ]  # fmt: skip
        if found:
            private[path.relative_to(ROOT).as_posix()] = sorted(found)
    assert private == {}
