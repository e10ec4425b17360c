"""Demo seed for the Ango Hub emulator: real photographs bundled with scikit-image plus generated images.

Nothing is downloaded at run time: every image comes from files shipped inside scikit-image or from
numpy. `demo_seed()` is what `python -m infra.emulator --seed demo` serves; `bench_seed(n)` backs
`--seed bench:<n>`, `documents_bench_seed(n)` `--seed bench-ocr:<n>`, `video_bench_seed(n)`
`--seed bench-video:<n>`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infra import text_pictures
from infra.emulator import pictures, videos

PLUGIN_ID = "demo-plugin"
PLUGIN_SECRET = "demo-plugin-secret"  # noqa: S105 - a published demo credential
ORG_ID = "demo-org"
USER_ID = "demo-user"
API_KEY = "demo-api-key"
OTHER_USER_ID = "other-user"  # same org, but the demo project is not shared with them
OTHER_API_KEY = "other-api-key"

PROJECT_ID = "65d4c0de00000000000000a1"
PROJECT_NAME = "Demo: faces"
BENCH_PROJECT_ID = "65d4c0de00000000000000b2"
SMALL_BENCH_PROJECT_ID = "65d4c0de00000000000000b3"  # fair turns: the small run's project

BATCH_A_ID = "65d4c0de0000000000000ba1"
BATCH_B_ID = "65d4c0de0000000000000bb2"
BATCH_A_NAME = "Batch A"
BATCH_B_NAME = "Batch B"

FACE_SCHEMA_ID = "f4ce0000000000000000001"  # tool: bounding-box
PERSON_SCHEMA_ID = "9e250000000000000000002"  # tool: polygon
EXPRESSION_SCHEMA_ID = "e4910000000000000000003"  # radio nested in Face
SCENE_SCHEMA_ID = "5ce00000000000000000004"  # radio classification
SCENE_OPTIONS = ("Indoor", "Outdoor", "Space", "Abstract")
RELATION_SCHEMA_ID = "4e1a0000000000000000005"  # one-to-one relation
FACE_AREA_SCHEMA_ID = "f4ce0000000000000000009"  # tool: pdf (a face on a PDF page)

# A second demo project for the OCR and quality models: pictures of known text.
DOCUMENTS_PROJECT_ID = "65d4c0de00000000000000c3"
DOCUMENTS_PROJECT_NAME = "Demo: documents"
TEXT_LINE_SCHEMA_ID = "7e4700000000000000000006"  # tool: rotated-bounding-box
TEXT_SCHEMA_ID = "7e4700000000000000000007"  # text classification nested in Text line
QUALITY_SCHEMA_ID = "9a1100000000000000000008"  # checkbox classification
QUALITY_OPTIONS = ("Blurred", "Too dark", "Over-exposed")

# Hub's sample Default Config (DOC-BM), so the docs' sample callback runs unchanged against the demo.
DEFAULT_CONFIG_JSON = json.dumps({"dummy-bounding-box": {"x": 20, "y": 30, "width": 50, "height": 60}})
CATEGORY_MAPPING = [{"schemaId": FACE_SCHEMA_ID, "modelClass": "face"}]

# externalIds need not be unique in Hub: one copy in Batch A, one in no batch. An adapter that
# imports by externalId will label the out-of-batch copy too.
DUPLICATE_EXTERNAL_ID = "duplicate.jpg"

STAGES = [
    {"id": "Start", "type": "Start", "name": "Start"},
    {"id": "Label", "type": "Label", "name": "Label"},
    {"id": "Complete", "type": "Complete", "name": "Complete"},
]

Array = NDArray[np.uint8]


def _options(*values: str) -> list[dict[str, str]]:
    return [{"value": v, "schemaId": hashlib.sha256(v.encode()).hexdigest()[:23]} for v in values]


CATEGORY_SCHEMA: dict[str, Any] = {
    "tools": [
        {
            "tool": "bounding-box",
            "title": "Face",
            "schemaId": FACE_SCHEMA_ID,
            "required": False,
            "color": "#e91e63",
            "classifications": [
                {
                    "tool": "radio",
                    "title": "Expression",
                    "schemaId": EXPRESSION_SCHEMA_ID,
                    "options": _options("Neutral", "Smiling"),
                }
            ],
        },
        {
            "tool": "polygon",
            "title": "Person",
            "schemaId": PERSON_SCHEMA_ID,
            "required": False,
            "color": "#2196f3",
        },
        {
            "tool": "pdf",
            "title": "Face area",
            "schemaId": FACE_AREA_SCHEMA_ID,
            "required": False,
            "color": "#9c27b0",
        },
    ],
    "classifications": [
        {"tool": "radio", "title": "Scene", "schemaId": SCENE_SCHEMA_ID, "options": _options(*SCENE_OPTIONS)}
    ],
    "relations": [{"tool": "one-to-one", "title": "Near", "schemaId": RELATION_SCHEMA_ID}],
}


DOCUMENTS_SCHEMA: dict[str, Any] = {
    "tools": [
        {
            "tool": "rotated-bounding-box",
            "title": "Text line",
            "schemaId": TEXT_LINE_SCHEMA_ID,
            "required": False,
            "color": "#ff9800",
            "classifications": [{"tool": "text", "title": "Text", "schemaId": TEXT_SCHEMA_ID}],
        }
    ],
    "classifications": [
        {
            "tool": "checkbox",
            "title": "Quality",
            "schemaId": QUALITY_SCHEMA_ID,
            "options": _options(*QUALITY_OPTIONS),
        }
    ],
    "relations": [],
}


# A third demo project for the text model: texts with known entities, beside media it does not read.
TEXTS_PROJECT_ID = "65d4c0de00000000000000d4"
TEXTS_PROJECT_NAME = "Demo: texts"
ENTITY_CLASSES = ("email", "url", "phone", "date", "money", "iban")
ENTITY_SCHEMA_IDS = {name: f"e7{n:021x}" for n, name in enumerate(ENTITY_CLASSES, start=1)}  # ner tools
TEXTS_SCHEMA: dict[str, Any] = {
    "tools": [
        {
            "tool": "ner",
            "title": name.upper() if name in ("url", "iban") else name.title(),
            "schemaId": schema_id,
        }
        for name, schema_id in ENTITY_SCHEMA_IDS.items()
    ],
    "classifications": [],
    "relations": [],
}
# Each text with the entities in it, in order: (class, the characters found).
TEXTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "contact.txt": (
        "Write to support@example.com or call +1 (555) 123-4567.\nOur help pages: https://example.com/help.\n",
        (
            ("email", "support@example.com"),
            ("phone", "+1 (555) 123-4567"),
            ("url", "https://example.com/help"),
        ),
    ),
    "invoice.md": (
        "# Invoice no. 42\n\nIssued 2025-03-31. Total due: EUR 1,250.00 (about $1,340).\n\n"
        "Pay to DE89 3704 0044 0532 0130 00 by 30 April 2025. Zürich office: +41 44 668 18 00.\n",
        (
            ("date", "2025-03-31"),
            ("money", "EUR 1,250.00"),
            ("money", "$1,340"),
            ("iban", "DE89 3704 0044 0532 0130 00"),
            ("date", "30 April 2025"),
            ("phone", "+41 44 668 18 00"),
        ),
    ),
}


@dataclass(frozen=True)
class DemoImage:
    external_id: str
    batches: tuple[str, ...]
    content_type: str
    content: bytes
    width: int
    height: int
    has_face: bool = False


def encode(pixels: Array, fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=90)
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(external_id: str, batches: tuple[str, ...], pixels: Array, face: bool = False) -> DemoImage:
    fmt = "PNG" if external_id.endswith(".png") else "JPEG"
    mime = "image/png" if fmt == "PNG" else "image/jpeg"
    height, width = pixels.shape[:2]
    return DemoImage(external_id, batches, mime, encode(pixels, fmt), width, height, face)


def _generated(kind: str, index: int) -> Array:
    width, height = (320, 240) if index % 2 else (480, 360)
    makers: dict[str, Callable[[int, int, int], Array]] = {
        "gradient": pictures.gradient,
        "shapes": pictures.shapes,
        "noise": pictures.noise,
    }
    return makers[kind](width, height, index)


def _synthetic(prefix: str, count: int, batches: tuple[str, ...], first_seed: int) -> list[DemoImage]:
    kinds = ("gradient", "shapes", "noise")
    out = []
    for i in range(count):
        kind = kinds[i % 3]
        ext = "png" if kind == "shapes" else "jpg"
        out.append(_image(f"{prefix}-{kind}-{i:02d}.{ext}", batches, _generated(kind, first_seed + i)))
    return out


@functools.cache
def demo_images() -> tuple[DemoImage, ...]:
    """The demo project's images in seed order: 39 in Batch A only, 13 in B only, 4 in both, 4 in none."""
    a, b = (BATCH_A_ID,), (BATCH_B_ID,)
    astronauts = [_image(f"astronaut-{n}.jpg", a, px, face=True) for n, px in pictures.astronaut_variants()]
    photos = [_image(f"{name}.jpg", a, pictures.photo(name)) for name in pictures.PHOTOS]
    b_photos = [_image(f"{name}.jpg", b, pictures.photo(name)) for name in pictures.FALSE_FACE_PHOTOS]
    return (
        *astronauts,
        *photos,
        *_synthetic("a", 12, a, 100),
        _image(DUPLICATE_EXTERNAL_ID, a, pictures.shapes(400, 300, 7)),
        *b_photos,
        *_synthetic("b", 10, b, 200),
        *_synthetic("ab", 4, (BATCH_A_ID, BATCH_B_ID), 300),
        *_synthetic("none", 3, (), 400),
        _image(DUPLICATE_EXTERNAL_ID, (), pictures.noise(400, 300, 8)),
    )


# The only demo assets with a face in them: one frontal face each (checked with OpenCV's Haar cascade).
FACE_EXTERNAL_IDS = tuple(f"astronaut-{name}.jpg" for name in pictures.ASTRONAUT_VARIANTS)


def asset_id(project_id: str, index: int) -> str:
    """A stable 24-hex id, like Hub's Mongo ObjectIds."""
    return hashlib.sha256(f"{project_id}/{index}".encode()).hexdigest()[:24]


def _asset_spec(project_id: str, index: int, image: DemoImage) -> dict[str, Any]:
    return {
        "_id": asset_id(project_id, index),
        "externalId": image.external_id,
        "batches": list(image.batches),
        "contentType": image.content_type,
        "content": image.content,
        "width": image.width,
        "height": image.height,
    }


def _project_spec(
    project_id: str,
    name: str,
    images: list[DemoImage] | tuple[DemoImage, ...],
    schema: dict[str, Any] = CATEGORY_SCHEMA,
) -> dict[str, Any]:
    return {
        "_id": project_id,
        "name": name,
        "categorySchema": json.loads(json.dumps(schema)),
        "batches": [{"_id": BATCH_A_ID, "name": BATCH_A_NAME}, {"_id": BATCH_B_ID, "name": BATCH_B_NAME}],
        "stages": [dict(s) for s in STAGES],
        "assets": [_asset_spec(project_id, i, img) for i, img in enumerate(images)],
    }


def demo_project() -> dict[str, Any]:
    return _project_spec(PROJECT_ID, PROJECT_NAME, demo_images())


@functools.cache
def documents_images() -> tuple[DemoImage, ...]:
    """Pictures of known text (infra/text_pictures.py), all in Batch A."""
    return tuple(
        _image(f"{picture.name}.png", (BATCH_A_ID,), np.ascontiguousarray(picture.image[:, :, ::-1]))
        for picture in text_pictures.all_pictures()
    )


def documents_project() -> dict[str, Any]:
    return _project_spec(DOCUMENTS_PROJECT_ID, DOCUMENTS_PROJECT_NAME, documents_images(), DOCUMENTS_SCHEMA)


@functools.cache
def _bench_pool() -> tuple[DemoImage, ...]:
    """A few encoded images reused by every benchmark asset, so a big project costs only memory."""
    a = (BATCH_A_ID,)
    return (
        _image("astronaut.jpg", a, pictures.astronaut_variants()[0][1], face=True),
        _image("camera.jpg", a, pictures.photo("camera")),
        _image("coffee.jpg", a, pictures.photo("coffee")),
        _image("gradient.jpg", a, pictures.gradient(320, 240, 1)),
    )


def bench_project(n_assets: int, project_id: str = BENCH_PROJECT_ID) -> dict[str, Any]:
    """A project of `n_assets` assets, all in Batch A, cycling through a small pool of images."""
    pool = _bench_pool()
    images = [
        DemoImage(f"bench-{i:06d}.jpg", p.batches, p.content_type, p.content, p.width, p.height, p.has_face)
        for i, p in ((i, pool[i % len(pool)]) for i in range(n_assets))
    ]
    return _project_spec(project_id, f"Benchmark ({n_assets} assets)", images)


def documents_bench_project(n_assets: int) -> dict[str, Any]:
    """The OCR model's benchmark project: `n_assets` in Batch A cycling through the pictures of known
    text, with the documents ontology. Same id as `bench_project`, so the benchmark finds either."""
    pool = documents_images()
    images = [
        dataclasses.replace(pool[i % len(pool)], external_id=f"bench-{i:06d}.png") for i in range(n_assets)
    ]
    name = f"Benchmark: documents ({n_assets} assets)"
    return _project_spec(BENCH_PROJECT_ID, name, images, DOCUMENTS_SCHEMA)


def video_bench_project(n_assets: int, seconds: float = videos.LONG_VIDEO_SECONDS) -> dict[str, Any]:
    """The video row's benchmark project: `n_assets` copies of one long generated video
    (infra/emulator/videos.py) in Batch A, with the faces ontology. Same id as `bench_project`, so
    the benchmark finds either."""
    content = videos.long_video_mp4(seconds)
    width, height = videos.LONG_VIDEO_SIZE
    images = [
        DemoImage(f"bench-{i:06d}.mp4", (BATCH_A_ID,), "video/mp4", content, width, height)
        for i in range(n_assets)
    ]
    name = f"Benchmark: videos ({n_assets} assets of {seconds:g} s)"
    return _project_spec(BENCH_PROJECT_ID, name, images)


def texts_project() -> dict[str, Any]:
    """Two texts with known entities, a picture and a PDF (media a text model does not read)."""
    texts = [
        DemoImage(
            name,
            (BATCH_A_ID,),
            "text/markdown" if name.endswith(".md") else "text/plain",
            body.encode(),
            0,
            0,
        )
        for name, (body, _) in TEXTS.items()
    ]
    picture = _image("a-picture.png", (BATCH_A_ID,), pictures.shapes(160, 120, 3))
    pdf = DemoImage(
        "a-document.pdf", (BATCH_A_ID,), "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 0, 0
    )
    return _project_spec(TEXTS_PROJECT_ID, TEXTS_PROJECT_NAME, [*texts, picture, pdf], TEXTS_SCHEMA)


def seed_for(projects: list[dict[str, Any]]) -> dict[str, Any]:
    """A seed spec serving `projects` to the demo user, with the demo plugin registered."""
    return {
        "plugins": [{"id": PLUGIN_ID, "secret": PLUGIN_SECRET, "defaultConfig": DEFAULT_CONFIG_JSON}],
        "users": [
            {"userId": USER_ID, "apiKey": API_KEY, "orgId": ORG_ID, "projects": [p["_id"] for p in projects]},
            {"userId": OTHER_USER_ID, "apiKey": OTHER_API_KEY, "orgId": ORG_ID, "projects": []},
        ],
        "projects": projects,
    }


def demo_seed() -> dict[str, Any]:
    """The full seed spec (see `infra.emulator.seed`) for `--seed demo`."""
    return seed_for([demo_project(), documents_project(), texts_project()])


def bench_seed(n_assets: int) -> dict[str, Any]:
    """The demo project plus a benchmark project of `n_assets`, for `--seed bench:<n>`."""
    return seed_for([demo_project(), bench_project(n_assets)])


def fair_turns_bench_seed(big_assets: int, small_assets: int) -> dict[str, Any]:
    """Two benchmark projects of two users, for `--seed bench-fair:<big>:<small>`: the big one
    (`BENCH_PROJECT_ID`) the demo user's, the small one (`SMALL_BENCH_PROJECT_ID`) the other user's,
    so that each run has a key, and a Hub budget, of its own."""
    seed = seed_for([bench_project(big_assets)])
    seed["projects"].append(bench_project(small_assets, SMALL_BENCH_PROJECT_ID))
    other = next(user for user in seed["users"] if user["userId"] == OTHER_USER_ID)
    other["projects"] = [SMALL_BENCH_PROJECT_ID]
    return seed


def documents_bench_seed(n_assets: int) -> dict[str, Any]:
    """The documents project plus an OCR benchmark project of `n_assets`, for `--seed bench-ocr:<n>`."""
    return seed_for([documents_project(), documents_bench_project(n_assets)])


def video_bench_seed(n_assets: int, seconds: float = videos.LONG_VIDEO_SECONDS) -> dict[str, Any]:
    """A video benchmark project of `n_assets` videos of `seconds`, for `--seed bench-video:<n>[:<s>]`."""
    return seed_for([video_bench_project(n_assets, seconds)])
