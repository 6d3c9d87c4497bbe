"""docs/contributing/matching.md documents every volatile class and every option, and its
examples are shown, never run."""

from __future__ import annotations

from pathlib import Path

from docsexec.compare import CLASSES
from docsexec.model import KNOWN_OPTIONS, MODE_CHOICES

DOC = Path(__file__).resolve().parent.parent / "docs" / "contributing" / "matching.md"


def test_every_class_is_documented():
    text = DOC.read_text()
    for cls in CLASSES:
        assert f"| `{cls.name}` |" in text, cls.name


def test_every_option_and_value_is_documented():
    text = DOC.read_text()
    for key in KNOWN_OPTIONS:
        assert f"`data-{key}`" in text, key
    for key, values in MODE_CHOICES.items():
        for value in values:
            assert f"`{value}`" in text, (key, value)


def test_examples_are_not_runnable_blocks():
    from docsexec.scan.fences import scan_file

    _, blocks = scan_file(DOC)
    assert blocks == []
