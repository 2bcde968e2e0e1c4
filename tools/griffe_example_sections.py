"""A griffe extension that reads a Google-style ``Example:`` section as ``Examples:``.

Napoleon and ruff's pydocstyle accept both headings; griffe knows only the plural and would
render the singular as an admonition of Markdown text, where doctest lines turn into nested
block quotes. Loaded by mkdocstrings (see ``mkdocs.yml``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SINGULAR = re.compile(r"^(?P<indent>[ \t]*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename every ``Example:`` section heading of a docstring to ``Examples:``."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of each object as griffe loads it."""
        if obj.docstring is not None:
            obj.docstring.value = _SINGULAR.sub(r"\g<indent>Examples:", obj.docstring.value)
