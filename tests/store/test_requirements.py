"""The runtime dependencies: what pyproject declares, what the library imports, what a logged model pins.

``[project] dependencies`` are the distributions the library imports at run time — no more (test
and benchmark tools such as ``shap`` live in the ``dev`` extra), no fewer — and the logged pyfunc
model's ``requirements.txt`` pins exactly those (never ``credit-risk`` itself, which is not on the
package index). The real install of a model's requirements into a fresh venv is a slow test.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from credit_risk.store.tracking import RUNTIME_REQUIREMENTS, _pip_requirements

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "credit_risk"
PYPROJECT = ROOT / "pyproject.toml"
#: Imported by the library only behind an extra (the Spark engine: ``credit-risk[spark]``).
EXTRA_IMPORTS = {"pyspark": "spark"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _project() -> dict:
    if not PYPROJECT.exists():
        pytest.skip("pyproject.toml is not beside the tests (installed package)")
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level modules imported anywhere in the library (lazy imports included) → files importing them."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "credit_risk":
                    found.setdefault(top, set()).add(str(path.relative_to(SRC)))
    return found


def test_runtime_requirements_are_pyprojects_dependencies():
    declared = sorted(_name(r) for r in _project()["dependencies"])
    assert declared == sorted(RUNTIME_REQUIREMENTS), "keep RUNTIME_REQUIREMENTS equal to [project] dependencies"


def test_every_runtime_dependency_is_imported_and_every_import_declared():
    imports = _third_party_imports()
    distributions = md.packages_distributions()
    used = {}
    for module, files in imports.items():
        if module in EXTRA_IMPORTS:
            assert module in str(_project()["optional-dependencies"][EXTRA_IMPORTS[module]]), module
            continue
        names = {_name(d) for d in distributions.get(module, [])}
        assert names, f"{module} (imported by {sorted(files)}) belongs to no installed distribution"
        hit = names & set(RUNTIME_REQUIREMENTS)
        assert hit, f"{module} (imported by {sorted(files)}) is not a runtime dependency: declare it in pyproject"
        used.update(dict.fromkeys(hit, module))
    unused = set(RUNTIME_REQUIREMENTS) - set(used)
    assert not unused, f"{sorted(unused)} are runtime dependencies the library never imports: move them to an extra"
    assert "shap" not in RUNTIME_REQUIREMENTS and "shap" in str(_project()["optional-dependencies"]["dev"])


def test_model_requirements_pin_the_runtime_dependencies_as_installed_not_the_library():
    pins = _pip_requirements()
    assert [p.split("==")[0] for p in pins] == list(RUNTIME_REQUIREMENTS)
    for pin in pins:
        name, version = pin.split("==")
        assert md.version(name) == version
    assert not any(_name(p) in ("credit-risk", "credit_risk", "shap", "pytest") for p in pins)


#: Packages only the ``dev`` extra installs.
DEV_ONLY = ("shap", "pytest", "hypothesis", "nbclient", "nbformat", "playwright", "duckdb", "polars", "ruff")

_WITHOUT_DEV = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {dev!r}:
            raise ImportError(f"{{name}} is a dev package")
sys.meta_path.insert(0, Refuse())
import credit_risk
from credit_risk.cli import main
for argv in (["--help"], ["demo", "--help"], ["train", "--help"], ["score", "--help"], ["plan", "--help"]):
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code == 0, (argv, exc.code)
print("ok", sorted(m for m in sys.modules if m.split(".")[0] in {dev!r}))
"""


def test_the_cli_runs_without_the_dev_extra():
    """``credit-risk --help`` and ``demo --help`` with every dev package unimportable (a runtime-only install)."""
    run = subprocess.run([sys.executable, "-c", _WITHOUT_DEV.format(dev=set(DEV_ONLY))], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("ok []"), run.stdout[-500:]
    assert "usage: credit-risk demo" in run.stdout


@pytest.mark.slow
def test_a_logged_models_requirements_resolve_in_a_fresh_venv(tmp_path):
    """``pip install --dry-run -r requirements.txt`` in a new venv resolves every pin (needs the index)."""
    import venv

    (tmp_path / "requirements.txt").write_text("\n".join(_pip_requirements()) + "\n", encoding="utf-8")
    venv.create(tmp_path / "venv", with_pip=True)
    run = subprocess.run([str(tmp_path / "venv" / "bin" / "python"), "-m", "pip", "install", "--dry-run",
                          "--disable-pip-version-check", "-r", str(tmp_path / "requirements.txt")],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Would install" in run.stdout and "credit" not in run.stdout.lower()
