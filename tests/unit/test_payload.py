import pytest

from listener.payload import PayloadError, parse_plugin_run, session_of

pytestmark = pytest.mark.unit


def payload(**overrides):
    base = {
        "projectId": "p1",
        "apiKey": "key",
        "session": "s1",
        "orgId": "o",
        "runBy": "u",
        "categorySchema": [{"schemaId": "box1", "modelClass": "Face"}],
        "batches": ["b1"],
        "configJSON": "{}",
        "stage": ["ignored: other plugin types' key"],
    }
    base.update(overrides)
    return base


def test_ids_as_numbers_and_a_config_already_parsed_are_read_as_hub_means_them():
    run = parse_plugin_run(
        payload(projectId=6167, session=5, orgId=7, runBy=8, batches=[9], configJSON={"job_size": 4})
    )
    assert (run.projectId, run.session, run.orgId, run.runBy, run.batches) == ("6167", "5", "7", "8", ["9"])
    assert run.configJSON == '{"job_size": 4}'


@pytest.mark.parametrize(
    "mapping",
    [
        [{"schemaId": "box1", "modelClass": "Face"}],  # the documented list
        {"schemaId": "box1", "modelClass": "Face"},  # one entry
        {"0": {"schemaId": "box1", "modelClass": "Face"}},  # entries by any key
        {"Face": "box1"},  # model class -> schemaId
        {"box1": "Face"},  # schemaId -> model class
    ],
    ids=["list", "one-entry", "entries-by-key", "class-to-schema", "schema-to-class"],
)
def test_category_schema_is_read_in_every_plausible_form(mapping):
    run = parse_plugin_run(payload(categorySchema=mapping))
    assert [(m.modelClass, m.schemaId) for m in run.mapped_classes({"Face": "bounding-box"})] == [
        ("Face", "box1")
    ]


def test_valid_payload_parses_and_ignores_unknown_keys():
    run = parse_plugin_run(payload())
    assert run.projectId == "p1"
    assert run.batches == ["b1"]
    assert "key" not in repr(run)  # the API key never shows in a repr (and so in a log line)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "text",
        payload(projectId=""),
        payload(session=[5]),
        payload(batches="b1"),
        payload(apiKey=None),
        payload(categorySchema=[{"schemaId": "x"}]),
        payload(categorySchema="Face"),
        payload(configJSON=["a", 1]),
    ],
)
def test_malformed_payload_is_refused(bad):
    with pytest.raises(PayloadError):
        parse_plugin_run(bad)


def test_oversized_payload_is_refused_before_parsing():
    with pytest.raises(PayloadError, match="larger than"):
        parse_plugin_run(payload(batches=["b" * 1000] * 300))


def test_session_of_survives_broken_payloads():
    assert session_of({"session": "abc"}) == "abc"
    assert session_of({"session": 1}) == ""
    assert session_of("junk") == ""


def test_null_or_missing_optional_fields_mean_their_defaults():
    for absent in ({}, {"batches": None, "orgId": None, "runBy": None, "configJSON": None}):
        fields = payload(**absent)
        for key in ("batches", "orgId", "runBy", "configJSON"):
            if key not in absent:
                fields.pop(key)
        run = parse_plugin_run(fields)
        assert (run.batches, run.orgId, run.runBy, run.configJSON) == ([], "", "", None)


@pytest.mark.parametrize(
    "key", ["abc\r\nX-Injected: 1", "has space", "tab\tkey", "ключ", "k" * 1001, "", "nul\x00"]
)
def test_a_key_that_cannot_be_a_key_is_refused_without_echoing_it(key):
    with pytest.raises(PayloadError) as refused:
        parse_plugin_run(payload(apiKey=key))
    assert "apiKey" in str(refused.value)
    assert not key or key not in str(refused.value)
