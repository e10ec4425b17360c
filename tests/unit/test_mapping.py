import pytest

from handler.contract.model import load_model_spec
from listener.mapping import MappingError, resolve_targets
from listener.payload import parse_plugin_run
from tests.unit.test_payload import payload

pytestmark = pytest.mark.unit
SPEC = load_model_spec("haar")
PROJECT = {
    "categorySchema": {
        "tools": [
            {"schemaId": "box1", "title": "Face", "tool": "bounding-box"},
            {"schemaId": "poly1", "title": "Person", "tool": "polygon"},
            {"schemaId": "pt1", "title": "Nose", "tool": "point"},
        ],
        "classifications": [{"schemaId": "cls1", "title": "Scene", "tool": "radio"}],
    }
}


def test_a_box_class_mapped_to_a_polygon_tool_fills_it_by_conversion():
    run = parse_plugin_run(payload(categorySchema=[{"schemaId": "poly1", "modelClass": "Face"}]))
    (target,) = resolve_targets(run.mapped_classes(SPEC.classes), PROJECT, SPEC)
    assert (target.model_class, target.schema_id, target.tool) == ("Face", "poly1", "polygon")


def test_mapping_resolves_each_class_to_its_tool():
    targets = resolve_targets(parse_plugin_run(payload()).mapped_classes(SPEC.classes), PROJECT, SPEC)
    assert [(t.model_class, t.schema_id, t.tool) for t in targets] == [("Face", "box1", "bounding-box")]


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        (None, "complete class mapping"),
        ([], "complete class mapping"),
        ([{"schemaId": None, "modelClass": "Face"}], "complete class mapping"),
        ([{"schemaId": "", "modelClass": "Face"}], "complete class mapping"),
        ([{"schemaId": "box1", "modelClass": "Cat"}], "no class 'Cat'"),
        ([{"schemaId": "nope", "modelClass": "Face"}], "not a labeling tool"),
        ([{"schemaId": "cls1", "modelClass": "Face"}], "'Scene', a radio classification of this project"),
        (
            [{"schemaId": "pt1", "modelClass": "Face"}],
            "'Nose', a point tool. Map it to a bounding-box or polygon",
        ),
    ],
)
def test_bad_mapping_is_refused_with_a_clear_message(mapping, fragment):
    with pytest.raises(MappingError, match=fragment):
        resolve_targets(
            parse_plugin_run(payload(categorySchema=mapping)).mapped_classes(SPEC.classes), PROJECT, SPEC
        )


def test_a_class_left_unmapped_is_dropped_not_refused():
    mapping = [{"schemaId": None, "modelClass": "Face"}, {"schemaId": "", "modelClass": "Face"}]
    run = parse_plugin_run(payload(categorySchema=[*mapping, {"schemaId": "box1", "modelClass": "Face"}]))
    assert [(m.schemaId, m.modelClass) for m in run.mapped_classes(SPEC.classes)] == [("box1", "Face")]


def test_an_ontology_as_a_plain_list_of_tools_with_numeric_ids_maps_the_same():
    tools = [{"schemaId": 101, "title": "Face", "tool": "bounding-box"}]
    for project in ({"categorySchema": tools}, {"categorySchema": {"tools": tools}}):
        run = parse_plugin_run(payload(categorySchema=[{"schemaId": "101", "modelClass": "Face"}]))
        (target,) = resolve_targets(run.mapped_classes(SPEC.classes), project, SPEC)
        assert (target.schema_id, target.tool) == ("101", "bounding-box")
    # An ontology in no form we read is refused with the mapping's message, not a crash.
    with pytest.raises(MappingError, match="not a labeling tool"):
        resolve_targets(
            parse_plugin_run(payload()).mapped_classes(SPEC.classes), {"categorySchema": "nonsense"}, SPEC
        )
