"""The deploy path from a fresh account: `make images`, then `sam deploy --guided` with
samconfig.example.toml, typing nothing but the plugin id and its secret's ARN. And the local
commands' honest limit: `ango-batch up` and `demo` run from a checkout."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from infra import stack
from tests.infra.cfn import ROOT, Evaluator, load_template

pytestmark = pytest.mark.unit

SAMCONFIG = ROOT / "samconfig.example.toml"
TYPED_AT_DEPLOY = {"PluginId", "PluginSecretArn"}
MAKE = shutil.which("make")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def _overrides() -> dict[str, str]:
    config = tomllib.loads(SAMCONFIG.read_text())
    text = config["default"]["deploy"]["parameters"]["parameter_overrides"]
    return dict(pair.split("=", 1) for pair in shlex.split(text))


def test_samconfig_leaves_only_the_plugin_to_type(template: dict[str, Any]) -> None:
    overrides = _overrides()
    without_default = {n for n, p in template["Parameters"].items() if "Default" not in p}
    assert without_default <= TYPED_AT_DEPLOY | set(overrides)
    assert not TYPED_AT_DEPLOY & set(overrides)  # secrets of one deployment do not belong in git


def test_samconfig_values_are_valid_parameters(template: dict[str, Any]) -> None:
    for name, value in _overrides().items():
        parameter = template["Parameters"][name]
        assert value in parameter.get("AllowedValues", [value]), name
        assert re.fullmatch(parameter.get("AllowedPattern", ".*"), value), name


def test_rules_ask_for_nothing_but_the_plugin(template: dict[str, Any]) -> None:
    """With the samconfig's values and the defaults, only the plugin's assertions fail; with the
    plugin typed in, every rule holds."""
    typed = {"PluginId": "plugin-123", "PluginSecretArn": "arn:aws:secretsmanager:eu-west-1:1:secret:x"}
    for values, allowed_failures in ((_overrides(), TYPED_AT_DEPLOY), ({**_overrides(), **typed}, set())):
        evaluate = Evaluator(template, values)
        for name, rule in template["Rules"].items():
            if not evaluate(rule.get("RuleCondition", True)):
                continue
            for assertion in rule["Assertions"]:
                if not evaluate(assertion["Assert"]):
                    asked = re.findall(r"'Ref': '(\w+)'", str(assertion["Assert"]))
                    assert set(asked) <= allowed_failures, (name, assertion["AssertDescription"])


def test_samconfig_deploys_without_prompts_for_buckets_or_repositories() -> None:
    deploy = tomllib.loads(SAMCONFIG.read_text())["default"]["deploy"]["parameters"]
    assert deploy["resolve_s3"] is True and deploy["resolve_image_repos"] is True
    assert set(deploy["capabilities"].split()) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("docker", "message"),
    [(None, "Docker is not installed"), ("#!/bin/sh\nexit 1\n", "Docker engine is not running")],
)
def test_make_images_says_plainly_when_docker_is_missing(
    tmp_path: Path, docker: str | None, message: str
) -> None:
    if docker is not None:
        fake = tmp_path / "docker"
        fake.write_text(docker)
        fake.chmod(0o755)
    environment = {**os.environ, "PATH": str(tmp_path)}  # no docker, or one whose engine is down
    result = subprocess.run(
        [str(MAKE), "--no-print-directory", "images"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "pip" not in result.stdout  # it stopped before installing or building anything


def test_local_commands_are_documented_as_running_from_a_checkout() -> None:
    """`ango-batch up` and `demo` deploy template.yaml, which lives at the repository root and is
    no package's data: a wheel does not carry it, and the README says so."""
    assert stack.TEMPLATE_PATH == ROOT / "template.yaml"
    assert not (stack.TEMPLATE_PATH.parent / "__init__.py").exists()
    deploy = re.search(r"^## Deploy\n(.*?)(?=^## )", (ROOT / "README.md").read_text(), re.M | re.S)
    assert deploy and re.search(r"`ango-batch up`.*`ango-batch demo`.*from a checkout", deploy.group(1), re.S)
