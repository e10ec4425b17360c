"""`make demo-ocr` as README shows it: the OCR model on the demo's pictures of text, ending with the
final message and a picture of a labeled document with its lines and their text."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from infra.demo import run_demo

pytestmark = pytest.mark.integration


def test_the_ocr_demo_labels_the_documents_and_draws_one(
    localstack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_demo(workers=1, out_dir=str(tmp_path), model="ocr") == 0
    said = capsys.readouterr().out
    assert "Final message: Pre-labeled 3 of 3 assets with " in said and "classification answers" in said
    assert "text 'Invoice number 4821 for March'" in said  # the document's first line, read
    picture = cv2.imread(str(tmp_path / "labeled-document.png"))
    assert picture is not None and picture.shape[:2] == (520, 760)
