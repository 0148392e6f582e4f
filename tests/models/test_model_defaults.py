"""One source for the generic model's defaults: ModelParams; model.yaml and GenericRiskModel agree with it."""

import inspect
from dataclasses import asdict, fields

from credit_risk.config import load_yaml, packaged
from credit_risk.models import GenericRiskModel
from credit_risk.models.generic import ModelParams, load_model_params


def test_packaged_model_yaml_states_the_dataclass_defaults():
    stated = load_yaml(packaged("model.yaml"))
    defaults = asdict(ModelParams())
    assert {k: defaults[k] for k in stated} == stated
    assert load_model_params() == defaults  # keys the YAML leaves out take the same defaults


def test_estimator_defaults_are_the_dataclass_defaults():
    signature = inspect.signature(GenericRiskModel.__init__).parameters
    for f in fields(ModelParams):
        assert signature[f.name].default == f.default, f.name
    assert {k: GenericRiskModel().get_params()[k] for k in asdict(ModelParams())} == asdict(ModelParams())


def test_old_import_path_of_the_model_parameters():
    from credit_risk.models.training import ModelParams as old_params
    from credit_risk.models.training import load_model_params as old_loader

    assert old_params is ModelParams and old_loader is load_model_params
