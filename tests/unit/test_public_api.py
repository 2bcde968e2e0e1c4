"""The package's public face: `__all__` is sorted, complete and documented (STYLE 1, 12)."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

import deleted_repo

PUBLIC = sorted(deleted_repo.__all__)


def test_all_is_sorted() -> None:
    """`__all__` lists the public names in sorted order, each once."""
    assert deleted_repo.__all__ == sorted(set(deleted_repo.__all__))


def test_every_name_in_all_exists() -> None:
    """Every name `__all__` lists is an attribute of the package."""
    assert [n for n in deleted_repo.__all__ if not hasattr(deleted_repo, n)] == []


def test_every_public_attribute_is_in_all() -> None:
    """Every public non-module attribute of the package is listed in `__all__`."""
    public = {
        name
        for name, value in vars(deleted_repo).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(deleted_repo.__all__) == set()


def test_the_version_is_a_string() -> None:
    """`__version__` is exported and is a non-empty string."""
    assert isinstance(deleted_repo.__version__, str)
    assert deleted_repo.__version__


def _documented(name: str) -> str | None:
    value = getattr(deleted_repo, name)
    if inspect.isclass(value) or inspect.isfunction(value) or inspect.ismethod(value):
        return value.__doc__  # its own, not one inherited as `inspect.getdoc` would give
    # Constants and aliases carry their docstring in the module source, after the assignment.
    for module_name in {getattr(value, "__module__", None), *_MODULES}:
        if module_name is None:
            continue
        source = inspect.getsource(importlib.import_module(module_name))
        for line_start in (f"{name}: ", f"{name} = "):
            at = source.find("\n" + line_start)
            if at < 0:
                continue
            rest = source[at + 1 :]
            statement_end = _statement_end(rest)
            after = rest[statement_end:].lstrip("\n")
            if after.startswith('"""'):
                return after[3 : after.index('"""', 3)]
    return None


_MODULES = {
    "deleted_repo.errors",
    "deleted_repo.events",
    "deleted_repo.jobs",
    "deleted_repo.model",
    "deleted_repo.planner",
    "deleted_repo.search",
    "deleted_repo.serialization",
    "deleted_repo.service",
}


def _statement_end(source: str) -> int:
    """The offset just after the first complete statement of `source` (balanced brackets)."""
    depth = 0
    for at, char in enumerate(source):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "\n" and depth == 0:
            return at + 1
    return len(source)


@pytest.mark.parametrize("name", [n for n in PUBLIC if n != "__version__"])
def test_every_public_name_has_a_docstring(name: str) -> None:
    """Each public class, function, constant and alias is documented."""
    doc = _documented(name)
    assert doc is not None
    assert doc.strip()
