import numpy as np
import pytest

from handler.contract.messages import AssetRef
from handler.contract.model import BoundingBox, ModelSpec, NoConfig, Point, Prediction
from handler.contract.records import ClassTarget
from handler.contract.run_config import RunConfig
from handler.outputs.prelabels import BadModelOutputError, apply_policy, build_item, validate_output

pytestmark = pytest.mark.unit
SPEC = ModelSpec(classes={"Face": "bounding-box", "Nose": "point"}, config=NoConfig)
IMAGES = [np.zeros((100, 200, 3), np.uint8)] * 2
ASSET = AssetRef(asset_id="a1", external_id="img-1.jpg", data_url="http://h/img-1.jpg")
FACE = ClassTarget(model_class="Face", schema_id="s-face", tool="bounding-box")


def face(x=10.0, y=10.0, w=20.0, h=30.0):
    return Prediction(class_name="Face", shape=BoundingBox(x=x, y=y, width=w, height=h))


def test_valid_output_passes_and_dicts_are_coerced():
    raw = [[face()], [{"class_name": "Nose", "shape": {"kind": "point", "x": 1, "y": 2}}]]
    checked = validate_output(raw, IMAGES, SPEC)
    assert checked[1][0].shape == Point(x=1, y=2)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (None, "list of 2 lists"),
        ([[face()]], "length 1"),
        ([[face()], "x"], "image 1: expected a list"),
        ([[face()], [Prediction(class_name="Cat", shape=Point(x=0, y=0))]], "'Cat' is not in the spec"),
        ([[face()], [Prediction(class_name="Face", shape=Point(x=0, y=0))]], "must be a bounding-box"),
        (
            [
                [face()],
                [
                    {
                        "class_name": "Face",
                        "shape": {"kind": "bounding-box", "x": 0, "y": 0, "width": -1, "height": 1},
                    }
                ],
            ],
            "prediction 0",
        ),
        (
            [[face()], [{"class_name": "Face", "shape": {"kind": "point", "x": float("nan"), "y": 0}}]],
            "prediction 0",
        ),
    ],
)
def test_bad_output_raises_one_named_error(raw, fragment):
    with pytest.raises(BadModelOutputError, match=fragment):
        validate_output(raw, IMAGES, SPEC)


def test_item_maps_classes_clips_boxes_and_counts_unmapped():
    predictions = [face(x=-5, y=90, w=30, h=40), Prediction(class_name="Nose", shape=Point(x=1, y=1))]
    labels = build_item("run1", ASSET, (200, 100), predictions, {"Face": FACE})
    assert labels.dropped == 1 and labels.objects == 1
    assert labels.item == {
        "externalId": "img-1.jpg",
        "objects": [
            {
                "schemaId": "s-face",
                "objectId": "run1-a1-0",
                "bounding-box": {"x": 0.0, "y": 90.0, "width": 25.0, "height": 10.0},
            }
        ],
    }


def test_object_ids_are_stable_across_retries():
    first = build_item("run1", ASSET, (200, 100), [face(), face(x=50)], {"Face": FACE})
    again = build_item("run1", ASSET, (200, 100), [face(), face(x=50)], {"Face": FACE})
    assert first == again


def test_box_entirely_outside_the_image_is_dropped():
    labels = build_item("run1", ASSET, (200, 100), [face(x=500)], {"Face": FACE})
    assert labels.item is None and labels.dropped == 1


def test_duplicate_external_ids_are_addressed_by_url():
    asset = ASSET.model_copy(update={"address_by_url": True})
    labels = build_item("run1", asset, (200, 100), [face()], {"Face": FACE})
    assert labels.item is not None
    assert labels.item["data"] == "http://h/img-1.jpg" and "externalId" not in labels.item


def _scored(*scores: float | None, name: str = "Face") -> list[Prediction]:
    box = BoundingBox(x=1, y=1, width=5, height=5)
    return [Prediction(class_name=name, shape=box, score=score) for score in scores]


def test_the_policy_drops_below_min_score_keeps_unscored_and_keeps_the_best_under_max_objects() -> None:
    config = RunConfig(min_score=0.5)
    kept, below, over = apply_policy(_scored(0.9, 0.4, None, 0.5), config)
    assert [p.score for p in kept] == [0.9, None, 0.5] and (below, over) == (1, 0)
    per_class = RunConfig(min_score=0.5, class_min_score={"Face": 0.95})
    assert apply_policy(_scored(0.9, None), per_class)[1] == 1
    assert apply_policy(_scored(0.9, name="Car"), per_class)[1] == 0  # the global one for others
    top = RunConfig(max_objects=2)
    kept, below, over = apply_policy(_scored(0.3, None, 0.8, 0.0, 0.5), top)
    assert [p.score for p in kept] == [0.8, 0.5] and (below, over) == (0, 3)
    kept, _, _ = apply_policy(_scored(None, 0.0, None), RunConfig(max_objects=2))
    assert [p.score for p in kept] == [0.0, None]  # scored before unscored


def test_a_mask_not_the_size_of_its_image_is_refused_before_anything_is_uploaded():
    from handler.outputs.shapes import Mask

    spec = ModelSpec(classes={"Blob": "mask"}, config=NoConfig)
    wrong = [[Prediction(class_name="Blob", shape=Mask(mask=np.ones((50, 200), bool)))], []]
    with pytest.raises(BadModelOutputError, match="a mask of 200x50 for an image of 200x100"):
        validate_output(wrong, IMAGES, spec)
    right = [[Prediction(class_name="Blob", shape=Mask(mask=np.ones((100, 200), bool)))], []]
    assert validate_output(right, IMAGES, spec)[0][0].shape.kind == "mask"
