"""The ONNX runtime (`ANGO_BATCH_MODEL=onnx`) on tiny networks whose answers are known (onnx_nets.py):
detections in three layouts mapped back through the letterbox to exact pixels, a classifier that
tells red from blue, a segmenter that splits an image in halves, fixed and dynamic batches, the
start-up refusals with their messages, a real network (rapidocr's text-angle classifier) from a
spec file alone, and the ONNX file fetched from S3 once."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import botocore.session
import cv2
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

import handler.runtimes.onnx as onnx_runtime
from handler.contract.model import (
    BoundingBox,
    Image,
    Mask,
    ModelLoadError,
    PredictContext,
    Prediction,
    Tag,
    load_model_factory,
)
from handler.runtimes.onnx.decode import non_max_suppression
from handler.runtimes.onnx.model import OnnxModel, providers
from handler.runtimes.onnx.spec_file import OnnxConfig
from tests.unit import onnx_nets

pytestmark = pytest.mark.unit
DEFAULTS = PredictContext(OnnxConfig())
RED, BLUE = (0, 0, 255), (255, 0, 0)  # BGR, as the runner gives images
DETECTION_CLASSES = ["car", "bus", "sign"]
EXAMPLES = Path(__file__).parents[2] / "examples" / "onnx"
Build = Callable[..., OnnxModel]


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Build:
    """`build(net, spec)`: the model `create()` makes from a spec file naming `net` (relative)."""
    monkeypatch.delenv(onnx_runtime.MODEL_ENV, raising=False)
    count = iter(range(1000))

    def build(net: Path, spec: dict[str, Any]) -> OnnxModel:
        path = tmp_path / f"spec{next(count)}.json"  # a new file each time: specs are read once per path
        path.write_text(json.dumps({"model": net.name, **spec}))
        monkeypatch.setenv(onnx_runtime.SPEC_ENV, str(path))
        return onnx_runtime.create()

    return build


def _image(width: int, height: int, colour: tuple[int, int, int] = (0, 0, 0)) -> Image:
    return np.full((height, width, 3), colour, dtype=np.uint8)


def _boxes(predictions: list[Prediction]) -> list[tuple[str, float, tuple[float, ...]]]:
    found = []
    for p in predictions:
        assert isinstance(p.shape, BoundingBox) and p.score is not None
        box = (p.shape.x, p.shape.y, p.shape.width, p.shape.height)
        found.append((p.class_name, round(p.score, 5), tuple(round(v, 4) for v in box)))
    return found


# One image's rows, in input pixels of a 320 x 320 input: cx, cy, w, h, then per-class scores.
# A 640 x 480 image is letterboxed at scale 0.5 with 40 pixels above and below.
ROWS = [
    ((100, 130, 100, 100), (0.81, 0.0, 0.0)),  # A: x 100..300, y 80..280 in the image
    ((105, 130, 100, 100), (0.72, 0.0, 0.0)),  # A shifted 5 pixels: same class, IoU 0.9, dropped
    ((100, 130, 100, 100), (0.0, 0.7, 0.0)),  # on A, another class: kept
    ((250, 200, 40, 40), (0.0, 0.0, 0.18)),  # under the 0.25 threshold
    ((200, 40, 40, 40), (0.0, 0.0, 0.6)),  # half in the border above: clipped to y 0..40
]
LANDSCAPE = [  # what ROWS are in a 640 x 480 image, best first
    ("car", 0.81, (100.0, 80.0, 200.0, 200.0)),
    ("bus", 0.7, (100.0, 80.0, 200.0, 200.0)),
    ("sign", 0.6, (360.0, 0.0, 80.0, 40.0)),
]
PORTRAIT = [  # ... and in a 320 x 640 one: scale 0.5, 80 pixels left and right
    ("car", 0.81, (0.0, 160.0, 140.0, 200.0)),  # x from -60, clipped
    ("bus", 0.7, (0.0, 160.0, 140.0, 200.0)),
    ("sign", 0.6, (200.0, 40.0, 80.0, 80.0)),
]


def _yolov5_table() -> np.ndarray:
    """cx, cy, w, h, objectness, class scores: objectness 0.9 times the class scores = ROWS'."""
    return np.array([[*box, 0.9, *(s / 0.9 for s in scores)] for box, scores in ROWS], dtype=np.float32)


def _yolov8_table() -> np.ndarray:
    return np.array([[*box, *scores] for box, scores in ROWS], dtype=np.float32).T


def _detector(build: Build, tmp_path: Path, layout: str, table: np.ndarray, **output: Any) -> OnnxModel:
    net = onnx_nets.constant_detector(tmp_path / f"{layout}.onnx", table)
    spec = {"output": {"kind": "detections", "layout": layout, **output}, "classes": DETECTION_CLASSES}
    return build(net, spec)


@pytest.mark.parametrize(("layout", "table"), [("yolov5", _yolov5_table()), ("yolov8", _yolov8_table())])
def test_yolo_boxes_map_back_through_the_letterbox_after_nms_per_class(
    build: Build, tmp_path: Path, layout: str, table: np.ndarray
) -> None:
    model = _detector(build, tmp_path, layout, table)
    landscape, portrait = model.predict([_image(640, 480), _image(320, 640)], DEFAULTS)
    assert _boxes(landscape) == LANDSCAPE
    assert _boxes(portrait) == PORTRAIT


def test_the_runs_score_threshold_and_the_specs_max_detections_cut_detections(
    build: Build, tmp_path: Path
) -> None:
    model = _detector(build, tmp_path, "yolov8", _yolov8_table())
    (found,) = model.predict([_image(640, 480)], PredictContext(OnnxConfig(score_threshold=0.65)))
    assert _boxes(found) == LANDSCAPE[:2]
    (found,) = model.predict([_image(640, 480)], PredictContext(OnnxConfig(score_threshold=0.1)))
    assert [name for name, _, _ in _boxes(found)] == ["car", "bus", "sign", "sign"]
    capped = _detector(build, tmp_path, "yolov5", _yolov5_table(), max_detections=1)
    assert _boxes(capped.predict([_image(640, 480)], DEFAULTS)[0]) == LANDSCAPE[:1]


def test_an_nms_model_is_read_as_it_is_and_a_stretched_image_maps_back_per_axis(
    build: Build, tmp_path: Path
) -> None:
    boxes = np.array([[50, 40, 150, 200], [0, 0, 10, 10], [-10, 300, 30, 340], [0, 0, 320, 320]])
    scores = np.array([0.9, 0.1, 0.5, 0.99])
    classes = np.array([1, 0, 2, -1])  # -1: a padding row, as fixed-size NMS outputs have
    net = onnx_nets.constant_nms_detector(tmp_path / "nms.onnx", boxes, scores, classes)
    spec = {
        "input": {"letterbox": False},
        "output": {"kind": "detections", "layout": "nms"},
        "classes": DETECTION_CLASSES,
    }
    (found,) = build(net, spec).predict([_image(640, 480)], DEFAULTS)  # x / 0.5, y / (2 / 3)
    assert _boxes(found) == [
        ("bus", 0.9, (100.0, 60.0, 200.0, 240.0)),
        ("sign", 0.5, (0.0, 450.0, 60.0, 30.0)),
    ]


def test_nms_keeps_the_best_of_overlapping_boxes_of_a_class_only() -> None:
    xyxy = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [20, 20, 30, 30], [5, 0, 15, 10]])
    scores = np.array([0.5, 0.9, 0.8, 0.4, 0.3])
    ids = np.array([0, 0, 1, 0, 0])
    # 1 beats 0 (IoU 9/11); 2 is another class; 4 overlaps 1 by 6/14 < 0.45
    assert non_max_suppression(xyxy, scores, ids, 0.45, 300).tolist() == [1, 2, 3, 4]
    assert non_max_suppression(xyxy, scores, ids, 0.45, 2).tolist() == [1, 2]
    assert non_max_suppression(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int), 0.45, 9).tolist() == []


RED_BLUE = onnx_nets.RED_BLUE
SOFTMAX_1 = 1 / (1 + np.exp(-2))  # softmax of [1, -1]


def _tags(predictions: list[Prediction]) -> list[tuple[str, float]]:
    assert all(isinstance(p.shape, Tag) and p.score is not None for p in predictions)
    return [(p.class_name, round(p.score or 0, 6)) for p in predictions]


def _classifier(build: Build, tmp_path: Path, layout: str = "NCHW", **spec: Any) -> OnnxModel:
    shape = ("N", 3, 8, 8) if layout == "NCHW" else ("N", 8, 8, 3)
    net = onnx_nets.channel_mean_classifier(tmp_path / "rb.onnx", RED_BLUE, shape, layout)
    output = {"kind": "classification", **spec.pop("output", {})}
    inputs = {"layout": layout, **spec.pop("input", {})}
    return build(net, {"input": inputs, "output": output, "classes": ["red", "blue"], **spec})


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_a_classifier_tells_red_from_blue_in_rgb_order(build: Build, tmp_path: Path, layout: str) -> None:
    model = _classifier(build, tmp_path, layout)
    red, blue = model.predict([_image(50, 30, RED), _image(30, 50, BLUE)], DEFAULTS)
    assert _tags(red) == [("red", round(SOFTMAX_1, 6))]
    assert _tags(blue) == [("blue", round(SOFTMAX_1, 6))]
    assert model.spec.classes == {"red": "tag", "blue": "tag"}


def test_a_float16_network_is_given_float16(build: Build, tmp_path: Path) -> None:
    net = onnx_nets.channel_mean_classifier(tmp_path / "half.onnx", RED_BLUE, half=True)
    spec = {"input": {"dtype": "float16"}, "output": {"kind": "classification"}, "classes": ["red", "blue"]}
    red, blue = build(net, spec).predict([_image(8, 8, RED), _image(8, 8, BLUE)], DEFAULTS)
    assert _tags(red) == [("red", round(SOFTMAX_1, 6))] and _tags(blue) == [("blue", round(SOFTMAX_1, 6))]


def test_a_bgr_network_is_given_bgr(build: Build, tmp_path: Path) -> None:
    # the same network told its channels are BGR reads a red picture's red as its third channel
    model = _classifier(build, tmp_path, input={"channels": "BGR"})
    (red,) = model.predict([_image(8, 8, RED)], DEFAULTS)
    assert _tags(red) == [("blue", round(SOFTMAX_1, 6))]


def test_top_k_min_score_and_probabilities(build: Build, tmp_path: Path) -> None:
    model = _classifier(build, tmp_path, output={"top_k": 2})
    (red,) = model.predict([_image(8, 8, RED)], DEFAULTS)
    assert _tags(red) == [("red", round(SOFTMAX_1, 6)), ("blue", round(1 - SOFTMAX_1, 6))]
    (red,) = model.predict([_image(8, 8, RED)], PredictContext(OnnxConfig(score_threshold=0.9)))
    assert red == []
    # probabilities as they are (no softmax): the mean 0.5 grey, scaled by 2 and shifted by 0.5
    model = _classifier(
        build, tmp_path, input={"mean": 0.0, "std": 0.5}, output={"softmax": False, "min_score": 0.5}
    )
    (grey,) = model.predict([_image(8, 8, (0, 0, 128))], DEFAULTS)  # R = 128 / 255 / 0.5
    assert _tags(grey) == [("red", 1.0)]  # logit 1.0039 clipped to a score of 1


@pytest.mark.parametrize(
    ("input_n", "spec_batch", "runs"),
    [(1, None, [1, 1, 1]), (2, None, [2, 2]), ("N", None, [3]), ("N", 2, [2, 1])],
)
def test_a_fixed_batch_is_sliced_and_padded_and_a_dynamic_one_taken_whole(
    build: Build, tmp_path: Path, input_n: int | str, spec_batch: int | None, runs: list[int]
) -> None:
    net = onnx_nets.channel_mean_classifier(tmp_path / "b.onnx", RED_BLUE, (input_n, 3, 8, 8))
    spec: dict[str, Any] = {"output": {"kind": "classification"}, "classes": ["red", "blue"]}
    model = build(net, {**spec, "batch": spec_batch} if spec_batch else spec)
    seen = _count_runs(model)
    found = model.predict([_image(8, 8, RED), _image(9, 9, BLUE), _image(7, 7, RED)], DEFAULTS)
    assert [[p.class_name for p in image] for image in found] == [["red"], ["blue"], ["red"]]
    assert seen == runs


def _count_runs(model: OnnxModel) -> list[int]:
    """The batch size of each session run from now on."""
    session, sizes = model._session, []

    class Counting:
        def run(self, names: Sequence[str], feeds: dict[str, np.ndarray]) -> Any:
            sizes.append(next(iter(feeds.values())).shape[0])
            return session.run(names, feeds)

    model._session = Counting()
    return sizes


SEGMENTER = (
    np.array([[0, 0, 0], [1, -1, -1], [-1, -1, 1]]),  # background, red, blue logits from R, G, B
    np.array([0.25, 0, 0]),
)


def _halves(width: int = 60, height: int = 40) -> Image:
    image = _image(width, height, RED)
    image[:, width // 2 :] = BLUE
    return image


@pytest.mark.parametrize(
    ("ids", "letterbox", "stride"), [(False, False, 1), (True, False, 1), (False, True, 1), (True, False, 2)]
)
def test_a_segmenter_gives_one_mask_per_class_at_the_images_size(
    build: Build, tmp_path: Path, ids: bool, letterbox: bool, stride: int
) -> None:
    net = onnx_nets.pixel_segmenter(tmp_path / "seg.onnx", *SEGMENTER, ids=ids, stride=stride)
    spec = {
        "input": {"size": [32, 32], "letterbox": letterbox},
        "output": {"kind": "segmentation", "background": 0},
        "classes": ["background", "red", "blue"],
    }
    model = build(net, spec)
    (found,) = model.predict([_halves()], DEFAULTS)
    left = np.zeros((40, 60), dtype=bool)
    left[:, :30] = True
    assert [p.class_name for p in found] == ["red", "blue"]
    masks = [p.shape.mask for p in found if isinstance(p.shape, Mask)]
    assert np.array_equal(masks[0], left) and np.array_equal(masks[1], ~left)
    assert model.spec.classes == {"red": "mask", "blue": "mask"}


def _refusal(build: Build, net: Path, spec: dict[str, Any]) -> str:
    with pytest.raises(ModelLoadError) as raised:
        build(net, spec)
    return str(raised.value)


def test_refusals_of_outputs_say_what_is_expected_and_what_the_file_has(build: Build, tmp_path: Path) -> None:
    net = onnx_nets.constant_detector(tmp_path / "v8.onnx", np.zeros((7, 6)))  # yolov8, 3 classes
    detections, has = {"kind": "detections", "layout": "yolov8"}, "output 0 ('output0') has shape [N, 7, 6]: "
    assert _refusal(build, net, {"output": detections, "classes": ["a", "b"]}) == (
        has + "layout yolov8 expects [N, 4 + 2 classes, boxes] = [N, 6, *]"
    )
    yolov5 = {**detections, "layout": "yolov5"}
    assert _refusal(build, net, {"output": yolov5, "classes": ["a", "b", "c"]}) == (
        has + "layout yolov5 expects [N, boxes, 5 + 3 classes] = [N, *, 8]"
    )
    assert _refusal(build, net, {"output": {"kind": "classification"}, "classes": ["a", "b", "c"]}) == (
        has + "kind classification expects [N, 3 classes] = [N, 3]"
    )
    classifier = onnx_nets.channel_mean_classifier(tmp_path / "rb.onnx", RED_BLUE)
    assert _refusal(build, classifier, {"output": {"kind": "segmentation"}, "classes": ["a", "b"]}) == (
        "output 0 ('logits') has shape [N, 2]: kind segmentation expects "
        "[N, 2 classes, H, W] = [N, 2, *, *] or [N, H, W] class ids = [N, *, *]"
    )
    assert _refusal(build, net, {"output": {**detections, "layout": "nms"}, "classes": ["a"]}) == (
        "detections layout nms reads 3 outputs; the file has 'output0'"
    )
    nms = {**detections, "layout": "nms", "outputs": ["output0"]}
    assert _refusal(build, net, {"output": nms, "classes": ["a"]}) == (
        "detections layout nms reads 3 outputs; output.outputs names 1"
    )
    named = {**detections, "outputs": ["out"]}
    assert _refusal(build, net, {"output": named, "classes": ["a", "b", "c"]}) == (
        "output 'out' is not an output of the file; its outputs: 'output0'"
    )


def test_refusals_of_the_input_say_what_is_expected_and_what_the_file_has(
    build: Build, tmp_path: Path
) -> None:
    fixed = onnx_nets.channel_mean_classifier(tmp_path / "fixed.onnx", RED_BLUE, (1, 3, 8, 8))
    dynamic = onnx_nets.channel_mean_classifier(tmp_path / "dynamic.onnx", RED_BLUE, ("N", 3, "H", "W"))
    spec: dict[str, Any] = {"output": {"kind": "classification"}, "classes": ["red", "blue"]}
    assert _refusal(build, fixed, {**spec, "input": {"size": [16, 8]}}) == (
        "input 'images' has shape [1, 3, 8, 8]: size [16, 8] (width, height) expects [N, 3, 8, 16]"
    )
    assert _refusal(build, fixed, {**spec, "input": {"name": "image"}}) == (
        "input.name 'image' is not an input of the file; its inputs: 'images'"
    )
    assert _refusal(build, fixed, {**spec, "input": {"layout": "NHWC"}}) == (
        "input 'images' has shape [1, 3, 8, 8]: layout NHWC expects [N, height, width, 3]"
    )
    assert _refusal(build, fixed, {**spec, "input": {"dtype": "float16"}}) == (
        "input 'images' is tensor(float): dtype float16 expects tensor(float16)"
    )
    assert _refusal(build, fixed, {**spec, "batch": 4}) == (
        "input 'images' has shape [1, 3, 8, 8]: its batch is fixed at 1, the spec's batch 4 cannot run"
    )
    assert _refusal(build, dynamic, spec) == (
        "input 'images' has shape [N, 3, H, W]: its size is not fixed, so give input.size [width, height]"
    )
    model = build(dynamic, {**spec, "input": {"size": [16, 8]}})  # given, a dynamic size is fine
    assert [p.class_name for p in model.predict([_image(4, 4, BLUE)], DEFAULTS)[0]] == ["blue"]


def test_spec_file_mistakes_are_refused_naming_the_file_and_the_key(
    build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = onnx_nets.channel_mean_classifier(tmp_path / "rb.onnx", RED_BLUE)
    spec: dict[str, Any] = {"output": {"kind": "classification"}, "classes": ["red", "blue"]}
    message = _refusal(build, net, {**spec, "input": {"sise": [8, 8]}})
    assert message.startswith("ONNX spec file ") and message.endswith(
        ".json: input.sise: Extra inputs are not permitted"
    )
    message = _refusal(build, net, {**spec, "output": {"kind": "detections", "layout": "yolov9"}})
    assert "output.detections.layout: Input should be 'yolov5', 'yolov8' or 'nms'" in message
    assert "classes: Value error, class names must be unique, repeated: ['red']" in _refusal(
        build, net, {**spec, "classes": ["red", "red"]}
    )
    monkeypatch.setenv(onnx_runtime.MODEL_ENV, str(tmp_path / "missing.onnx"))
    assert _refusal(build, net, spec) == f"the ONNX file {tmp_path / 'missing.onnx'} does not exist"
    monkeypatch.delenv(onnx_runtime.SPEC_ENV)
    with pytest.raises(ModelLoadError, match="the onnx model needs ANGO_BATCH_ONNX_SPEC"):
        onnx_runtime.load_onnx_spec()


def test_a_yaml_spec_gives_the_model_spec_the_listener_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "det.yaml"
    path.write_text("output: {kind: detections, layout: yolov8}\nclasses: [car, bus]\n")
    monkeypatch.setenv(onnx_runtime.SPEC_ENV, str(path))
    factory = load_model_factory("handler.runtimes.onnx")  # as ANGO_BATCH_MODEL names a module
    assert factory.spec.classes == {"car": "bounding-box", "bus": "bounding-box"}
    assert factory.spec.default_config == {"score_threshold": None}
    assert "det.yaml" in factory.spec.description
    with pytest.raises(
        ModelLoadError, match=r"no ONNX file: set ANGO_BATCH_ONNX_MODEL, or `model` in .*det\.yaml"
    ):
        factory()


def test_providers_prefer_cuda_where_onnxruntime_has_it() -> None:
    assert providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert providers(["CPUExecutionProvider", "CUDAExecutionProvider"]) == [
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]


def _text_line(text: str) -> Image:
    image = _image(192, 48, (255, 255, 255))
    cv2.putText(image, text, (6, 34), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2, cv2.LINE_AA)
    return image


def test_rapidocrs_angle_classifier_runs_from_the_example_spec_file_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """README's example: examples/onnx/text-angle.json describes the text-orientation network that
    ships inside rapidocr's wheel as rapidocr feeds it (BGR, 192 x 48, (x / 255 - 0.5) / 0.5, its
    softmax inside); the file itself is named by ANGO_BATCH_ONNX_MODEL."""
    import rapidocr_onnxruntime

    net = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_ppocr_mobile_v2.0_cls_infer.onnx"
    monkeypatch.setenv(onnx_runtime.SPEC_ENV, str(EXAMPLES / "text-angle.json"))
    monkeypatch.setenv(onnx_runtime.MODEL_ENV, str(net))
    model = onnx_runtime.create()
    upright = [_text_line(text) for text in ("Upright text", "ango batch")]
    found = model.predict([*upright, *(image[::-1, ::-1] for image in upright)], DEFAULTS)
    assert [p.class_name for image in found for p in image] == ["0", "0", "180", "180"]
    assert all((p.score or 0) > 0.99 for image in found for p in image)


def _s3() -> Any:
    return botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def _object(data: bytes) -> dict[str, Any]:
    return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ETag": '"v1"'}


def test_an_s3_model_is_fetched_once_and_its_cached_copy_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_runtime, "_FETCHED", {})
    uri, where = "s3://models/nets/det.onnx", {"Bucket": "models", "Key": "nets/det.onnx"}
    s3 = _s3()
    with Stubber(s3) as stub:
        stub.add_response("head_object", {"ETag": '"v1"'}, where)
        stub.add_response("get_object", _object(b"onnx bytes"), {**where, "IfMatch": '"v1"'})
        first = onnx_runtime.local_model_path(uri, tmp_path, s3)
        again = onnx_runtime.local_model_path(uri, tmp_path, s3)  # no call: the stub has no more answers
        stub.assert_no_pending_responses()
    assert again == first and first.read_bytes() == b"onnx bytes" and first.name.endswith("-det.onnx")
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no part file left
    monkeypatch.setattr(onnx_runtime, "_FETCHED", {})  # another process: same ETag, no download
    with Stubber(s3) as stub:
        stub.add_response("head_object", {"ETag": '"v1"'}, where)
        assert onnx_runtime.local_model_path(uri, tmp_path, s3) == first
        stub.add_client_error(
            "head_object",
            "404",
            http_status_code=404,
            expected_params={"Bucket": "models", "Key": "gone.onnx"},
        )
        with pytest.raises(ModelLoadError, match=r"cannot fetch the ONNX file s3://models/gone.onnx: 404"):
            onnx_runtime.fetch_from_s3("s3://models/gone.onnx", tmp_path, s3)


def test_a_spec_naming_an_s3_model_runs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = onnx_nets.channel_mean_classifier(tmp_path / "rb.onnx", RED_BLUE)
    spec = {"model": "s3://models/rb.onnx", "output": {"kind": "classification"}, "classes": ["red", "blue"]}
    (tmp_path / "s3.json").write_text(json.dumps(spec))
    monkeypatch.setenv(onnx_runtime.SPEC_ENV, str(tmp_path / "s3.json"))
    monkeypatch.setenv(onnx_runtime.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(onnx_runtime.MODEL_ENV, raising=False)
    monkeypatch.setattr(onnx_runtime, "_FETCHED", {})
    s3 = _s3()
    monkeypatch.setattr("handler.contract.aws.make_clients", lambda: type("Clients", (), {"s3": s3}))
    with Stubber(s3) as stub:
        stub.add_response("head_object", {"ETag": '"v1"'})
        stub.add_response("get_object", _object(net.read_bytes()))
        model = onnx_runtime.create()
    assert [p.class_name for p in model.predict([_image(8, 8, RED)], DEFAULTS)[0]] == ["red"]


def test_each_image_pixel_takes_the_label_under_its_centre() -> None:
    from handler.runtimes.onnx.preprocess import Geometry

    # a 2 x 1 image stretched onto a 4 x 2 input: its pixel 0 covers input columns 0 and 1, centre 1
    geometry = Geometry(width=2, height=1, input_width=4, input_height=2, scale_x=2, scale_y=2)
    assert geometry.to_image_map(np.array([[0, 1, 2, 3], [4, 5, 6, 7]])).tolist() == [[5, 7]]
    # a coarser map (2 x 1 over the same input) is read at the same places
    assert geometry.to_image_map(np.array([[8, 9]])).tolist() == [[8, 9]]


def test_the_example_spec_describes_an_ultralytics_yolov8_coco_detector() -> None:
    from handler.runtimes.onnx.spec_file import DetectionOutput, read_spec_file

    spec = read_spec_file(EXAMPLES / "yolo-spec.json")
    assert isinstance(spec.output, DetectionOutput) and spec.output.layout == "yolov8"
    assert spec.input.size == (640, 640) and spec.letterbox and spec.input.channels == "RGB"
    assert len(spec.classes) == 80 and spec.classes[:3] == ["person", "bicycle", "car"]
