import json

import pytest

from handler.contract.model import load_model_factory
from handler.contract.run_config import ConfigError, RunConfig, default_config_json, parse_config_json

pytestmark = pytest.mark.unit
SPEC = load_model_factory("haar").spec


def test_default_config_round_trips_and_is_what_plugin_info_prints():
    config, model_config = parse_config_json(default_config_json(SPEC), SPEC)
    assert config == RunConfig(model=SPEC.default_config)
    assert model_config.model_dump() == SPEC.default_config


def test_empty_config_means_defaults():
    config, model_config = parse_config_json("", SPEC)
    assert (config.job_size, config.import_batch_size, config.existing) == (128, 128, "skip")
    assert model_config.model_dump()["min_neighbors"] == 5


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"job_szie": 10}', "job_szie"),
        ('{"job_size": 0}', "job_size"),
        ('{"job_size": NaN}', "not valid JSON"),
        ('{"model": {"scale_factor": 0.5}}', "model.scale_factor"),  # validated by the model
        ('{"model": {"unknown": 1}}', "unknown"),
        ('{"model": {"min_size": true}}', "model.min_size"),  # a bool is not a size
        ('{"a": ' * 20 + "1" + "}" * 20, "nested deeper"),
        (json.dumps({"model": {"x": "y" * 20000}}), "larger than"),
    ],
)
def test_invalid_config_gives_a_message_naming_the_problem(text, fragment):
    with pytest.raises(ConfigError) as caught:
        parse_config_json(text, SPEC)
    assert fragment in str(caught.value)
