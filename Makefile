# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
# Everything else here is what those two need: virtual environments and LocalStack.

PYTHON ?= python3.11
# LocalStack's host mode needs Python >= 3.12; pyenv on these machines has 3.13.0.
PY313 ?= $(shell p=$$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python; [ -x "$$p" ] && echo "$$p" || command -v python3.13)
PIP_QUIET ?= -q --disable-pip-version-check

VENV := .venv
LS_VENV := .venv-localstack
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
MLSERVER_VENV := .venv-mlserver
OCR_REQUIREMENTS := handler/models/ocr-requirements.txt

.PHONY: demo demo-ocr test unit lint typecheck localstack-start localstack-stop clean

demo: $(VENV)/.installed $(LS_VENV)/.installed
	$(VENV)/bin/ango-batch demo

# The OCR model on the demo's pictures of text: out/labeled-document.png shows the lines and their text.
demo-ocr: $(VENV)/.installed $(LS_VENV)/.installed
	$(VENV)/bin/ango-batch demo --model ocr

test: $(VENV)/.installed $(LS_VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed $(MLSERVER_VENV)/.installed
	$(VENV)/bin/python -m pytest

unit: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -m unit

.PHONY: bench
# The benchmark (tests/perf/bench.py): three interleaved rounds of every mode, about 40 minutes on
# 2 cores (the fixed-latency fleets, field limit and fair turns about 28 of them). The report (medians with their spread, targets, notes, the run's date and commit) goes to
# out/bench.md; README's Performance section is updated from it by hand.
# BENCH_ARGS="--quick" is a smoke run of a few minutes.
bench: $(VENV)/.installed $(LS_VENV)/.installed
	$(VENV)/bin/python -m tests.perf.bench $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check handler listener infra tests
	$(VENV)/bin/ruff format --check handler listener infra tests

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

localstack-start: $(VENV)/.installed $(LS_VENV)/.installed
	$(VENV)/bin/ango-batch localstack start

localstack-stop: $(VENV)/.installed
	$(VENV)/bin/ango-batch localstack stop

# rapidocr (the "ocr" model) goes in without its dependencies, which the ocr extra lists but for
# opencv-python: that would clash with opencv-python-headless (one `cv2`; see pyproject.toml).
$(VENV)/.installed: pyproject.toml $(OCR_REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(VENV)/bin/pip install $(PIP_QUIET) -e '.[dev]'
	$(VENV)/bin/pip install $(PIP_QUIET) --no-deps -r $(OCR_REQUIREMENTS)
	touch $@

# MLServer, a real v2 (Open Inference Protocol) server for tests/integration/test_v2_endpoint.py,
# gets its own environment too: its pins clash with the project's.
$(MLSERVER_VENV)/.installed: infra/mlserver-requirements.txt
	$(PYTHON) -m venv $(MLSERVER_VENV)
	$(MLSERVER_VENV)/bin/pip install $(PIP_QUIET) -r infra/mlserver-requirements.txt
	touch $@

# LocalStack gets its own environment: its pins clash with the project's.
$(LS_VENV)/.installed: infra/localstack-constraints.txt
	@test -n "$(PY313)" || { echo "LocalStack host mode needs Python 3.13 (pyenv install 3.13.0)"; exit 1; }
	$(PY313) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install $(PIP_QUIET) --upgrade pip
	$(LS_VENV)/bin/pip install $(PIP_QUIET) -c infra/localstack-constraints.txt -r infra/localstack-requirements.txt
	touch $@

# SAM CLI only validates the template in the tests; its pins clash with the project's too.
$(SAM_VENV)/.installed: infra/sam-requirements.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) -r infra/sam-requirements.txt
	touch $@

# checkov scans template.yaml in the tests (tests/infra/test_template_scan.py); its pins clash too.
$(CHECKOV_VENV)/.installed: infra/checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_QUIET) -r infra/checkov-requirements.txt
	touch $@

# `make images`: build the handler, listener and GPU worker images (also tagged locally as
# ango-batch-<image>:$(IMAGE_TAG), to build on) and push them to this account's ECR under the same
# names, creating the repositories (tags immutable, scanned on push) the first time. AWS credentials and region come from the usual places (AWS_PROFILE, ...).
# Tags are immutable, so each push needs a new IMAGE_TAG, and deploying it (ImageTag) is what
# rolls the tasks onto the new images.
IMAGE_TAG ?= v1
MODEL_REQUIREMENTS ?= infra/model-requirements.txt
IMAGES := handler listener worker-gpu

define ECR_REGISTRY_PY
import boto3
session = boto3.session.Session()
account = session.client("sts").get_caller_identity()["Account"]
print(f"{account}.dkr.ecr.{session.region_name}.amazonaws.com")
endef
define ECR_LOGIN_PY
import base64, boto3
token = boto3.client("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
print(base64.b64decode(token).decode().split(":", 1)[1])
endef
define ECR_REPOSITORY_PY
import sys, boto3
ecr = boto3.client("ecr")
try:
    ecr.create_repository(repositoryName=sys.argv[1], imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True})
except ecr.exceptions.RepositoryAlreadyExistsException:
    pass
endef
export ECR_REGISTRY_PY ECR_LOGIN_PY ECR_REPOSITORY_PY

.PHONY: images require-docker
require-docker:
	@command -v docker >/dev/null 2>&1 || { echo "make images: Docker is not installed (no docker command); install it, or build infra/Dockerfile.* where Docker runs" >&2; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "make images: the Docker engine is not running (docker info failed); start it and try again" >&2; exit 1; }

# --provenance=false: Lambda refuses image indexes with attestations; --platform: the template's x86_64.
images: require-docker $(VENV)/.installed
	@registry=$$($(VENV)/bin/python -c "$$ECR_REGISTRY_PY") && \
	$(VENV)/bin/python -c "$$ECR_LOGIN_PY" | docker login --username AWS --password-stdin $$registry && \
	for image in $(IMAGES); do \
	  $(VENV)/bin/python -c "$$ECR_REPOSITORY_PY" ango-batch-$$image && \
	  docker build --platform linux/amd64 --provenance=false -f infra/Dockerfile.$$image \
	    --build-arg MODEL_REQUIREMENTS=$(MODEL_REQUIREMENTS) -t ango-batch-$$image:$(IMAGE_TAG) \
	    -t $$registry/ango-batch-$$image:$(IMAGE_TAG) . && \
	  docker push $$registry/ango-batch-$$image:$(IMAGE_TAG) || exit 1; \
	done && echo "pushed ango-batch-{$$(echo $(IMAGES) | tr ' ' ',')}:$(IMAGE_TAG) to $$registry"

clean:
	rm -rf $(VENV) $(LS_VENV) $(SAM_VENV) $(CHECKOV_VENV) $(MLSERVER_VENV) .localstack .pytest_cache .mypy_cache .ruff_cache
