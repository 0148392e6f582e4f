"""The curated public API at the package root: every name resolves, lazily."""

import subprocess
import sys

import pytest

import credit_risk


def test_every_public_name_resolves_to_its_home_object():
    import importlib

    for name in credit_risk.__all__:
        value = getattr(credit_risk, name)
        home = credit_risk._LAZY.get(name)
        if home is not None:
            assert value is getattr(importlib.import_module(home), name), name
    assert set(credit_risk._LAZY) <= set(credit_risk.__all__)
    assert set(credit_risk.__all__) <= set(dir(credit_risk))


def test_a_name_outside_the_api_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"module 'credit_risk' has no attribute 'no_such_name'"):
        credit_risk.no_such_name  # noqa: B018


def test_importing_the_package_loads_no_heavy_dependency():
    code = ("import sys, credit_risk; "
            "print(sorted(m for m in ('pandas', 'lightgbm', 'mlflow', 'sklearn', 'credit_risk.pipeline') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
    code = "import credit_risk; credit_risk.RiskTiers; import sys; print('credit_risk.models.tiers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "True"
