"""Property-based fuzzing of the two parsers that take user input at the door.

For every input: only the documented error (PayloadError / ConfigError) may come out, its message
is short enough to show the user, and whatever is accepted keeps every stated limit. Figures are
printed (pytest -s) and checked, so a strategy that stopped producing inputs would fail here.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from handler.contract.model import load_model_factory
from handler.contract.run_config import (
    MAX_CONFIG_DEPTH,
    MAX_CONFIG_JSON_BYTES,
    ConfigError,
    RunConfig,
    parse_config_json,
)
from listener.payload import MAX_PAYLOAD_BYTES, PayloadError, PluginRun, parse_plugin_run
from tests.security.strategies import CONFIG_TEXTS, PAYLOADS, nested

pytestmark = pytest.mark.unit
SPEC = load_model_factory("haar").spec
PAYLOAD_EXAMPLES = 5_000
CONFIG_EXAMPLES = 5_000
MAX_MESSAGE = 1_000  # a refusal goes to the plugin log: it must not echo unbounded input back
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
RUN_LIMITS = {"job_size": (1, 500, 128), "batch_size": (1, 256, 8), "import_batch_size": (1, 500, 128)}


def test_plugin_payloads_are_parsed_or_refused_with_payload_error():
    seen: Counter[str] = Counter()

    @settings(FUZZ, max_examples=PAYLOAD_EXAMPLES)
    @given(PAYLOADS)
    # Regression the fuzzing found: batch ids had no length limit, so nothing checked their text
    # and a lone surrogate was accepted.
    @example({"projectId": "p", "apiKey": "k", "session": "s", "batches": ["\ud800"]})
    def check(data: Any) -> None:
        seen["examples"] += 1
        try:
            run = parse_plugin_run(data)
        except PayloadError as exc:
            seen["rejected"] += 1
            seen[reason_kind(exc)] += 1
            assert 0 < len(str(exc)) <= MAX_MESSAGE
            return
        seen["accepted"] += 1
        assert_run_within_limits(data, run)

    check()
    report("parse_plugin_run", seen)
    assert seen["examples"] >= PAYLOAD_EXAMPLES
    assert seen["accepted"] >= PAYLOAD_EXAMPLES // 20 and seen["rejected"] >= PAYLOAD_EXAMPLES // 4


def test_config_json_is_parsed_or_refused_with_config_error():
    seen: Counter[str] = Counter()

    @settings(FUZZ, max_examples=CONFIG_EXAMPLES)
    @given(CONFIG_TEXTS)
    # Regressions the fuzzing found: a lone surrogate (UnicodeEncodeError), nesting that json
    # accepts but the depth check recursed on (RecursionError), bools taken as integers, and an
    # unknown key of 10 KB echoed whole in the message.
    @example('{"model": {"a": "\ud800"}}')
    @example('{"a":' * 1_500 + "1" + "}" * 1_500)  # Hypothesis raises the recursion limit: go deeper
    @example('{"job_size": true}')
    @example(json.dumps({"k" * 10_000: 1}))
    def check(text: str | None) -> None:
        seen["examples"] += 1
        try:
            config, model_config = parse_config_json(text, SPEC)
        except ConfigError as exc:
            seen["rejected"] += 1
            seen[reason_kind(exc)] += 1
            assert 0 < len(str(exc)) <= MAX_MESSAGE
            return
        seen["accepted"] += 1
        assert_config_within_limits(text, config, model_config)

    check()
    report("parse_config_json", seen)
    assert seen["examples"] >= CONFIG_EXAMPLES
    assert seen["accepted"] >= CONFIG_EXAMPLES // 50 and seen["rejected"] >= CONFIG_EXAMPLES // 4


def test_config_regressions_found_by_fuzzing():
    # Outside Hypothesis, which raises the recursion limit while a test runs: the depth check
    # used to recurse and fail with RecursionError on nesting that json.loads accepts.
    for text, fragment in [
        ('{"a":' * 600 + "1" + "}" * 600, "nested deeper than 8 levels"),
        ('{"model": {"a": "\ud800"}}', "not valid UTF-8"),
        ('{"job_size": true}', "job_size: Input should be a valid integer"),
        ('{"batch_size": 8.0}', "batch_size: Input should be a valid integer"),
        (json.dumps({"k" * 10_000: 1}), "k" * 59 + "…: Extra inputs are not permitted"),
    ]:
        with pytest.raises(ConfigError) as caught:
            parse_config_json(text, SPEC)
        assert fragment in str(caught.value) and len(str(caught.value)) <= MAX_MESSAGE
    # The depth limit itself is unchanged: eight levels pass, nine do not.
    assert parse_config_json('{"model": {}}', SPEC)[0].model == {}
    eight = {"model": {"unknown": nested(6, "dict")}}
    with pytest.raises(ConfigError, match=r"model\.unknown: Extra inputs"):  # depth passed, model refused
        parse_config_json(json.dumps(eight), SPEC)
    with pytest.raises(ConfigError, match="nested deeper than 8"):
        parse_config_json(json.dumps({"model": {"unknown": nested(7, "dict")}}), SPEC)


def test_payload_text_limits_hold_for_awkward_text():
    valid = {"projectId": "p", "apiKey": "k", "session": "s"}
    with pytest.raises(PayloadError, match="fields: session"):  # a lone surrogate is not text
        parse_plugin_run({**valid, "session": "s\ud800"})
    with pytest.raises(PayloadError, match="fields: batches"):
        parse_plugin_run({**valid, "batches": ["b1", "\udfff"]})
    with pytest.raises(PayloadError, match="fields: batches"):
        parse_plugin_run({**valid, "batches": ["b" * 201]})
    assert parse_plugin_run({**valid, "batches": ["b" * 200, "é"]}).batches == ["b" * 200, "é"]
    with pytest.raises(PayloadError, match="not serialisable"):
        parse_plugin_run({**valid, "unknown": nested(5_000, "list")})


def reason_kind(exc: Exception) -> str:
    """The reason without its details, e.g. "Config JSON is invalid", to show what was covered."""
    return "  refused: " + str(exc).split(":")[0].split(" (")[0][:50]


def report(target: str, seen: Counter[str]) -> None:
    print(
        f"\n{target}: {seen['examples']} examples, {seen['rejected']} rejected, {seen['accepted']} accepted"
    )
    for kind, count in sorted(seen.items(), key=lambda item: -item[1]):
        if kind.startswith("  refused"):
            print(f"{kind}: {count}")


def as_read(value: Any) -> Any:
    """What the parser makes of a value: an id given as a number is that id as text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def assert_run_within_limits(data: Any, run: PluginRun) -> None:
    assert isinstance(data, dict)
    assert len(json.dumps(data)) <= MAX_PAYLOAD_BYTES
    for key, longest in (("projectId", 200), ("apiKey", 1000), ("session", 200)):
        assert getattr(run, key) == as_read(data[key]) and 1 <= len(getattr(run, key)) <= longest
    assert re.fullmatch(r"[\x21-\x7e]+", run.apiKey)  # a key that can travel in a header, nothing else
    for key in ("orgId", "runBy"):  # null means left out
        given = data.get(key)
        assert (
            getattr(run, key) == ("" if given is None else as_read(given)) and len(getattr(run, key)) <= 200
        )
    assert run.batches == [as_read(b) for b in data.get("batches") or []] and len(run.batches) <= 1000
    assert all(isinstance(batch, str) and len(batch) <= 200 for batch in run.batches)
    if run.categorySchema is not None:
        assert len(run.categorySchema) <= 1000
        for entry in run.categorySchema:
            assert len(entry.schemaId) <= 200 and 1 <= len(entry.modelClass) <= 200
        assert all(entry.schemaId for entry in run.mapped_classes(SPEC.classes))
    config = data.get("configJSON")  # an object is read as its JSON text
    assert run.configJSON == (json.dumps(config) if isinstance(config, dict) else config)
    assert len(run.configJSON or "") <= 64 * 1024
    json.dumps(run.model_dump(), ensure_ascii=False).encode("utf-8")  # every accepted text is UTF-8


def assert_config_within_limits(text: str | None, config: RunConfig, model_config: Any) -> None:
    raw = json.loads(text) if text is not None and text.strip() else {}
    if raw:
        assert len(text.encode("utf-8")) <= MAX_CONFIG_JSON_BYTES  # type: ignore[union-attr]
    assert isinstance(raw, dict) and depth(raw) <= MAX_CONFIG_DEPTH
    assert set(raw) <= {"job_size", "batch_size", "import_batch_size", "existing", "model"}
    assert raw.get("existing", "skip") in ("skip", "add") and config.existing == raw.get("existing", "skip")
    for key, (low, high, default) in RUN_LIMITS.items():
        value = raw.get(key, default)
        assert type(value) is int and low <= value <= high  # not a bool, a float or a string
        assert getattr(config, key) == value
    assert config.model == raw.get("model", {})
    # The Haar model's own stated limits (handler/models/haar.py).
    assert math.isfinite(model_config.scale_factor) and 1.0 < model_config.scale_factor <= 2.0
    assert 0 <= model_config.min_neighbors <= 50
    assert 8 <= model_config.min_size <= 4096
    assert 64 <= model_config.max_image_side <= 8192


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0
