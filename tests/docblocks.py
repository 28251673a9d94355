"""Code blocks of the operator guides in docs/, so tests can hold them to the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def block_after(doc: str, marker: str) -> str:
    """The fenced code block that follows ``<!-- marker -->`` in ``docs/doc``, dedented.

    ``doc`` is relative to docs/ (``"../README.md"`` for the README).

    Raises AssertionError (a test failure that says what is missing) when absent.
    """
    text = (DOCS / doc).read_text(encoding="utf-8")
    found = re.search(
        rf"<!-- {re.escape(marker)} -->\n(?P<indent>[ \t]*)```[\w-]*\n(?P<body>.*?)^(?P=indent)```",
        text,
        flags=re.S | re.M,
    )
    assert found, f"docs/{doc} has no code block after <!-- {marker} -->"
    indent = found["indent"]
    lines = found["body"].splitlines(keepends=True)
    return "".join(line.removeprefix(indent) for line in lines)
