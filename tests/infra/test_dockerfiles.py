"""The images: supported bases pinned by version, non-root where the platform allows, only what
runs copied in (no emulator, LocalStack tooling, demo or tests), and room for a custom model.
Nothing is built here (no Docker engine); the Dockerfiles are read as text."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.infra.cfn import ROOT

pytestmark = pytest.mark.unit

DOCKERFILES = {path.name.split(".", 1)[1]: path for path in sorted((ROOT / "infra").glob("Dockerfile.*"))}
NON_ROOT = {"listener", "worker-gpu"}  # Lambda's base image already runs the function as non-root
NOT_IN_IMAGES = (
    "tests",
    "infra/emulator",
    "infra/demo",
    "infra/localstack",
    "infra/stack",
    "infra/processes",
)


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _args(path: Path, instruction: str) -> list[str]:
    return [args for name, args in _instructions(path) if name == instruction]


def _copy_sources(path: Path) -> list[str]:
    sources: list[str] = []
    defaults = dict(a.split("=", 1) for a in _args(path, "ARG") if "=" in a)
    for args in _args(path, "COPY"):
        parts = [p for p in args.split() if not p.startswith("--")]
        sources += [re.sub(r"\$\{(\w+)\}", lambda m: defaults[m[1]], p) for p in parts[:-1]]
    return sources


def test_the_three_images_exist() -> None:
    assert set(DOCKERFILES) == {"handler", "listener", "worker-gpu"}


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_base_images_are_pinned_to_a_version(name: str) -> None:
    for image in _args(DOCKERFILES[name], "FROM"):
        reference = image.split()[0]
        if "@sha256:" in reference:
            continue
        assert ":" in reference.rsplit("/", 1)[-1], f"{name}: {reference} has no tag"
        tag = reference.rsplit(":", 1)[1]
        assert tag != "latest" and re.search(r"\d+\.\d+", tag), f"{name}: {reference} is not a version"


def test_bases_are_supported_releases() -> None:
    (handler,) = _args(DOCKERFILES["handler"], "FROM")
    assert handler in ("public.ecr.aws/lambda/python:3.12", "public.ecr.aws/lambda/python:3.13")  # AL2023
    (gpu,) = _args(DOCKERFILES["worker-gpu"], "FROM")
    assert re.fullmatch(r"nvidia/cuda:\d+\.\d+\.\d+-runtime-ubuntu24\.04", gpu)
    (listener,) = _args(DOCKERFILES["listener"], "FROM")
    assert re.fullmatch(r"python:3\.1[23][\w.-]*-slim[\w.-]*", listener)


@pytest.mark.parametrize("name", sorted(NON_ROOT))
def test_containers_run_as_a_non_root_user(name: str) -> None:
    users = _args(DOCKERFILES[name], "USER")
    assert users and users[-1] not in ("root", "0", "0:0"), name


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_images_copy_only_what_runs(name: str) -> None:
    sources = _copy_sources(DOCKERFILES[name])
    for source in sources:
        assert (ROOT / source).exists(), f"{name}: COPY {source} names nothing"
        assert source.rstrip("/") != "infra", f"{name}: copies all of infra/"
        assert not source.startswith(NOT_IN_IMAGES), f"{name}: copies {source}"


def test_the_listener_image_carries_the_console_script() -> None:
    """`ango-batch` (listener/cli.py) dispatches; the listener image has it and what it imports."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["ango-batch"] == "listener.cli:main"
    copied = _copy_sources(DOCKERFILES["listener"])
    for needed in ("listener/cli.py", "handler/cli.py", "handler/contract/", "handler/models/specs.py"):
        assert any(needed == s or needed.startswith(s.rstrip("/") + "/") for s in copied), needed
    assert "handler/" not in copied  # the job runner does not run here


@pytest.mark.parametrize("name", ["handler", "worker-gpu"])
def test_handler_images_carry_no_listener_and_no_infra(name: str) -> None:
    copied = _copy_sources(DOCKERFILES[name])
    assert "handler/" in copied
    assert not [s for s in copied if s.startswith(("listener", "infra/")) and "model-requirements" not in s]


def test_dockerignore_keeps_tests_and_local_tooling_out() -> None:
    patterns = (ROOT / ".dockerignore").read_text().split()
    assert "tests" in patterns
    assert "infra/*" in patterns  # the emulator, LocalStack tooling, demo, stack deployment
    exceptions = {p[1:] for p in patterns if p.startswith("!")}
    copied_from_infra = {
        s for path in DOCKERFILES.values() for s in _copy_sources(path) if s.startswith("infra/")
    }
    assert exceptions == copied_from_infra


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_a_custom_model_can_be_added(name: str) -> None:
    dockerfile = DOCKERFILES[name]
    (argument,) = [a for a in _args(dockerfile, "ARG") if a.startswith("MODEL_REQUIREMENTS=")]
    assert (ROOT / argument.split("=", 1)[1]).is_file()
    assert any("-r model-requirements.txt" in run for run in _args(dockerfile, "RUN"))


def test_readme_deploy_section_explains_custom_models() -> None:
    deploy = _readme_section("Deploy")
    assert "MODEL_REQUIREMENTS" in deploy and "infra/model-requirements.txt" in deploy
    assert re.search(r"FROM ango-batch-\S+", deploy)


def test_gpu_worker_runs_the_worker() -> None:
    dockerfile = DOCKERFILES["worker-gpu"]
    assert _args(dockerfile, "ENTRYPOINT") == ['["python", "-m", "handler.cli"]']
    assert _args(dockerfile, "CMD") == ['["work"]']


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^## {title}\n(.*?)(?=^## )", text, re.M | re.S)
    assert match, f"README has no ## {title} section"
    return match.group(1)
