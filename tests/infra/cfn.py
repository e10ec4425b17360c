"""template.yaml as data for the template tests: CloudFormation's short tags in their long form,
the values an `Fn::If` may take, and the template as one ComputeMode deploys it (conditions
evaluated, unused resources and branches dropped)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
NO_VALUE = {"Ref": "AWS::NoValue"}


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation's short tags (!Ref, !GetAtt, !Sub...) into their
    long JSON form, e.g. `!GetAtt A.Arn` -> {"Fn::GetAtt": ["A", "Arn"]}."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(text: str | None = None) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(text or TEMPLATE.read_text(), Loader=CfnLoader)
    return loaded


def resources(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def branches(value: Any) -> Iterator[Any]:
    """Every value an `Fn::If` may take (both branches), other values as they are."""
    if isinstance(value, dict) and "Fn::If" in value:
        for branch in value["Fn::If"][1:]:
            yield from branches(branch)
    elif value != NO_VALUE:
        yield value


def as_list(value: Any) -> list[Any]:
    """A scalar, a list or an `Fn::If` of either, as the flat list of every value it may hold."""
    flat: list[Any] = []
    for item in branches(value):
        for entry in item if isinstance(item, list) else [item]:
            flat.extend(branches(entry))
    return flat


def policy_documents(template: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::S3::BucketPolicy"):
            yield name, props["PolicyDocument"]
        elif kind == "AWS::KMS::Key":
            yield name, props["KeyPolicy"]
        elif kind == "AWS::IAM::Role":
            for policy in as_list(props.get("Policies", [])):
                yield name, policy["PolicyDocument"]


def statements(template: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, document in policy_documents(template):
        for statement in as_list(document["Statement"]):
            yield name, statement


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Every parameter's value: the override, else the default (None when it has neither)."""
    values = {name: p.get("Default") for name, p in template["Parameters"].items()}
    return {**values, **overrides}


class Evaluator:
    """Values of condition and rule expressions (Equals, Not, And, Or, Join, Select, Split, Ref,
    Condition) for one set of parameter values."""

    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str]) -> None:
        self.parameters = parameter_values(template, overrides)
        self.kinds = {name: p["Type"] for name, p in template["Parameters"].items()}
        self.conditions = template.get("Conditions", {})

    def __call__(self, expression: Any) -> Any:
        if not isinstance(expression, dict):
            return expression
        ((function, argument),) = expression.items()
        evaluate = {
            "Ref": self._ref,
            "Condition": lambda name: self(self.conditions[name]),
            "Fn::Equals": lambda pair: str(self(pair[0])) == str(self(pair[1])),
            "Fn::Not": lambda one: not self(one[0]),
            "Fn::And": lambda all_of: all(self(a) for a in all_of),
            "Fn::Or": lambda any_of: any(self(a) for a in any_of),
            "Fn::Join": lambda joined: joined[0].join(str(i) for i in self(joined[1])),
            "Fn::Split": lambda split: str(self(split[1])).split(split[0]),
            "Fn::Select": lambda chosen: self(chosen[1])[int(chosen[0])],
        }.get(function)
        if evaluate is None:
            raise ValueError(f"cannot evaluate {function}")
        return evaluate(argument)

    def _ref(self, name: str) -> Any:
        found = self.parameters[name]
        is_list = self.kinds[name] == "CommaDelimitedList"
        return str(found or "").split(",") if is_list else found

    def condition_values(self) -> dict[str, bool]:
        return {name: bool(self(c)) for name, c in self.conditions.items()}


def render(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """The resources and outputs a deploy with these parameters creates, every `Fn::If` resolved."""
    truth = Evaluator(template, overrides).condition_values()

    def resolve(node: Any) -> Any:
        if isinstance(node, dict) and "Fn::If" in node:
            name, when_true, when_false = node["Fn::If"]
            return resolve(when_true if truth[name] else when_false)
        if isinstance(node, dict):
            resolved = {key: resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value != NO_VALUE}
        if isinstance(node, list):
            return [value for value in map(resolve, node) if value != NO_VALUE]
        return node

    kept = {n: r for n, r in template["Resources"].items() if truth.get(r.get("Condition", ""), True)}
    outputs = {n: o for n, o in template["Outputs"].items() if truth.get(o.get("Condition", ""), True)}
    return {"Resources": resolve(kept), "Outputs": resolve(outputs), "Conditions": truth}


def references(node: Any) -> set[str]:
    """Names a value refers to: Ref, GetAtt, DependsOn and `${...}` in Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                names = {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= (names - set(variables)) | references(variables)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found
