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


def test_steering_keys_default_to_a_plain_run_and_take_their_values():
    config, _ = parse_config_json("", SPEC)
    assert (config.action, config.min_score, config.max_objects, config.sample) == ("run", 0.0, None, None)
    steer = {
        "action": "cancel",
        "min_score": 0.5,
        "class_min_score": {"Face": 1},
        "max_objects": 3,
        "sample": 5,
    }
    config, _ = parse_config_json(json.dumps(steer), SPEC)
    assert (
        config.action == "cancel" and config.min_score_of("Face") == 1 and config.min_score_of("Car") == 0.5
    )
    assert (config.max_objects, config.sample) == (3, 5)


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
        ('{"min_score": 1.5}', "min_score"),
        ('{"min_score": "0.5"}', "min_score"),
        ('{"class_min_score": {"Face": -0.1}}', "class_min_score.Face"),
        ('{"max_objects": 0}', "max_objects"),
        ('{"sample": 0}', "sample"),
        ('{"sample": true}', "sample"),
        ('{"action": "stop"}', "action"),
    ],
)
def test_invalid_config_gives_a_message_naming_the_problem(text, fragment):
    with pytest.raises(ConfigError) as caught:
        parse_config_json(text, SPEC)
    assert fragment in str(caught.value)
