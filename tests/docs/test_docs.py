"""The documentation runs: every Python block of README.md and docs/*.md, and the examples.

The Python blocks of one Markdown file run in order in one shared namespace, so a block may use
what an earlier block of the same file defined. A block runs when its fence says ``python``; it
is left out when the fence adds ``skip`` (```` ```python skip ````), or adds ``requires=MODULE``
and that module cannot be imported. When the next block's fence adds ``output``
(```` ```text output ````), what the Python block prints must equal that block. Line numbers in
tracebacks are those of the Markdown file.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import subprocess
import sys
import traceback
import types
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import deleted_repo
from deleted_repo import errors

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

PENDING = frozenset({DOCS / "performance.md"})
"""Pages written separately: a link to one is checked only once the page exists."""

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")


@attrs.frozen
class Block:
    """One fenced code block of a Markdown file.

    Attributes:
        path: the Markdown file.
        line: the line of its first code line, from 1.
        language: the first word of the fence's info string ("" when there is none).
        options: the other words of the info string.
        code: the code, dedented by the fence's indentation.
    """

    path: Path
    line: int
    language: str
    options: tuple[str, ...]
    code: str

    @property
    def where(self) -> str:
        """The block's place, for messages: file and line."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def skipped_because(self) -> str | None:
        """Why the block is left out, or None when it runs."""
        if "skip" in self.options:
            return "marked skip"
        for option in self.options:
            name, _, module = option.partition("=")
            if name == "requires" and not _importable(module):
                return f"needs {module}"
        return None


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def blocks(path: Path) -> Iterator[Block]:
    """Yield the fenced code blocks of the Markdown file `path`, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        words = opening["info"].split()
        body: list[str] = []
        i += 1
        start = i + 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
            i += 1
        i += 1
        language = words[0].lower() if words else ""
        yield Block(path, start, language, tuple(words[1:]), "\n".join(body) + "\n")


def markdown_files() -> list[Path]:
    """README.md and every Markdown file under docs/, in a stable order."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def runnable(path: Path) -> list[tuple[Block, Block | None]]:
    """The Python blocks of `path` that run, each with the output block that follows it, if any."""
    found = list(blocks(path))
    pairs = []
    for i, block in enumerate(found):
        if block.language == "python" and block.skipped_because() is None:
            after = found[i + 1] if i + 1 < len(found) else None
            output = after if after is not None and "output" in after.options else None
            pairs.append((block, output))
    return pairs


def run(block: Block, namespace: dict[str, object]) -> tuple[str, str]:
    """Run `block` in `namespace`; return what it printed, and the traceback if it raised."""
    # Pad with blank lines so tracebacks give the Markdown file's own line numbers.
    code = compile("\n" * (block.line - 1) + block.code, str(block.path), "exec")
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
    except Exception:
        return printed.getvalue(), traceback.format_exc()
    return printed.getvalue(), ""


@pytest.mark.parametrize("path", markdown_files(), ids=_id)
def test_python_blocks_run(path: Path) -> None:
    """Every Python block of the file runs, in order, in one namespace, and prints what it says."""
    name = "docs_" + re.sub(r"\W", "_", _id(path))
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        for block, output in runnable(path):
            printed, failure = run(block, module.__dict__)
            if failure:
                pytest.fail(f"the block at {block.where} failed:\n{failure}", pytrace=False)
            if output is not None and printed != output.code:
                pytest.fail(
                    f"the block at {block.where} printed:\n{printed}\n"
                    f"but the block at {output.where} says:\n{output.code}",
                    pytrace=False,
                )
    finally:
        del sys.modules[name]


def test_blocks_are_found() -> None:
    """The collector sees the tutorial's blocks, so an empty run cannot pass unnoticed."""
    tutorial = DOCS / "tutorial.md"
    assert sum(b.language == "python" for b in blocks(tutorial)) >= 10


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub makes for the headings of `path`."""
    found = set()
    code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            code = not code
        elif not code and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


@pytest.mark.parametrize("path", markdown_files(), ids=_id)
def test_relative_links_resolve(path: Path) -> None:
    """Every relative link names a file that exists, and a heading of it when it has an anchor."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    broken = []
    for match in LINK.finditer(text):
        target = match["target"]
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if linked in PENDING and not linked.exists():
            continue
        missing_anchor = anchor and linked.suffix == ".md" and anchor not in _anchors(linked)
        if not linked.exists() or missing_anchor:
            broken.append(target)
    assert not broken, f"{_id(path)} links to what does not exist: {broken}"


def test_api_reference_names_every_public_name() -> None:
    """docs/api.md mentions every name of `deleted_repo.__all__` and of the public modules."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    public = (
        "deleted_repo.ports",
        "deleted_repo.stores.memory",
        "deleted_repo.stores.sql",
        "deleted_repo.testing.strategies",
        "deleted_repo.testing.contract",
    )
    modules = [deleted_repo, *(importlib.import_module(m) for m in public if _importable(m))]
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    named = {word for span in re.findall(r"`([^`]+)`", prose) for word in re.findall(r"\w+", span)}
    missing = sorted(
        f"{m.__name__}.{n}"
        for m in modules
        for n in getattr(m, "__all__", ())
        if n != "__version__" and n not in named
    )
    assert not missing, f"docs/api.md does not mention: {missing}"


def test_error_reference_names_every_error() -> None:
    """docs/errors.md describes every exception class of `deleted_repo.errors`."""
    text = (DOCS / "errors.md").read_text(encoding="utf-8")
    classes = [
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.DeletedRepoError)
    ]
    missing = [name for name in classes if f"`{name}`" not in text]
    assert not missing, f"docs/errors.md does not describe: {missing}"


def test_first_restore_example_runs() -> None:
    """examples/first_restore.py deletes a bib, then reports the restore job and its records."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "first_restore.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"restore job \S+ restored \d+ records", done.stdout), done.stdout
