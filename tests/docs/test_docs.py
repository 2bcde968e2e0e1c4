"""The documentation runs: every Python block of README.md and docs/*.md, and the examples.

The Python blocks of one Markdown file run in order in one shared namespace, so a block may use
what an earlier block of the same file defined. Every block whose fence says ``python`` runs;
its fence may add one option:

- ``requires=MODULE``: the block is left out when that module cannot be imported;
- ``requires-postgres``: the block runs against the PostgreSQL server of the `tests.postgres`
  plugin. Each ``postgresql://`` (or ``postgresql+driver://``) URL in its code is replaced by
  the server's, and each ``schema="..."`` by a fresh schema of this run (`new_schema`), which
  the plugin drops at the end. Where the plugin skips PostgreSQL, the page's other blocks run
  and the test is skipped, saying which blocks did not; where it fails, the test fails.

When the next block's fence adds ``output`` (```` ```text output ````), what the Python block
prints must equal that block. Line numbers in tracebacks are those of the Markdown file.

The site itself is built once with MkDocs, warnings as errors, to check that the API reference
renders every public name.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
import tomllib
import traceback
import types
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa
from tests.postgres import RUN, new_schema

from deleted_repo import errors

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

POSTGRES = "requires-postgres"

PUBLIC_MODULES = (
    "deleted_repo",
    "deleted_repo.ports",
    "deleted_repo.stores.memory",
    "deleted_repo.stores.sql",
    "deleted_repo.testing.strategies",
    "deleted_repo.testing.contract",
    "deleted_repo.testing.histories",
    "deleted_repo.testing.agreement",
    "deleted_repo.serialization",
    "deleted_repo.events",
    "deleted_repo.audit",
    "deleted_repo.deleting",
    "deleted_repo.search",
    "deleted_repo.planner",
    "deleted_repo.checks",
    "deleted_repo.restoring",
    "deleted_repo.retention",
    "deleted_repo.reads",
    "deleted_repo.ids",
)
"""The modules whose `__all__` is the public API, each documented by a directive in api.md."""

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")
DIRECTIVE = re.compile(r"^::: (?P<name>[\w.]+)\s*$", re.MULTILINE)
URL_LITERAL = re.compile(r"""(?P<quote>["'])postgresql(?:\+\w+)?://[^"']*(?P=quote)""")
SCHEMA_ARGUMENT = re.compile(r"""schema=(?P<quote>["'])\w+(?P=quote)""")


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

    @property
    def needs_postgres(self) -> bool:
        """Whether the block runs against PostgreSQL."""
        return POSTGRES in self.options

    def left_out_because(self) -> str | None:
        """Why the block is left out here for a missing module, or None when it runs."""
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
    return [README, *sorted(DOCS.rglob("*.md"))]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def python_blocks(path: Path) -> list[tuple[Block, Block | None]]:
    """The Python blocks of `path`, each with the output block that follows it, if any."""
    found = list(blocks(path))
    pairs = []
    for i, block in enumerate(found):
        if block.language == "python":
            after = found[i + 1] if i + 1 < len(found) else None
            output = after if after is not None and "output" in after.options else None
            pairs.append((block, output))
    return pairs


def on_postgres(code: str, url: sa.URL) -> str:
    """`code` with its PostgreSQL URLs made `url` and its schemas fresh ones of this run."""
    code = URL_LITERAL.sub(lambda _: repr(url.render_as_string(hide_password=False)), code)
    return SCHEMA_ARGUMENT.sub(lambda _: f"schema={new_schema()!r}", code)


def postgres_or_why_not(request: pytest.FixtureRequest) -> sa.URL | str:
    """The plugin's PostgreSQL URL, or the reason it skips PostgreSQL; fails where it fails."""
    try:
        url: sa.URL = request.getfixturevalue("postgres_url")
    except pytest.skip.Exception as skipped:
        return str(skipped)
    return url


def run(block: Block, code: str, namespace: dict[str, object]) -> tuple[str, str]:
    """Run `code` of `block` in `namespace`; return what it printed, and the traceback if any."""
    # Pad with blank lines so tracebacks give the Markdown file's own line numbers.
    compiled = compile("\n" * (block.line - 1) + code, str(block.path), "exec")
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compiled, namespace)
    except Exception:
        return printed.getvalue(), traceback.format_exc()
    return printed.getvalue(), ""


@pytest.mark.parametrize("path", markdown_files(), ids=_id)
def test_python_blocks_run(path: Path, request: pytest.FixtureRequest) -> None:
    """Every Python block of the file runs, in order, in one namespace, and prints what it says."""
    pairs = python_blocks(path)
    postgres = postgres_or_why_not(request) if any(b.needs_postgres for b, _ in pairs) else None
    name = "docs_" + re.sub(r"\W", "_", _id(path))
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    left_out: list[str] = []
    try:
        for block, output in pairs:
            reason = block.left_out_because()
            if block.needs_postgres and isinstance(postgres, str):
                reason = reason or postgres
            if reason is not None:
                left_out.append(f"{block.where} ({reason})")
                continue
            code = block.code
            if block.needs_postgres and isinstance(postgres, sa.URL):
                code = on_postgres(code, postgres)
            printed, failure = run(block, code, module.__dict__)
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
    if left_out:
        pytest.skip(f"every other block ran; these did not: {', '.join(left_out)}")


def test_blocks_are_found() -> None:
    """The collector sees the tutorial's blocks, so an empty run cannot pass unnoticed."""
    tutorial = DOCS / "tutorial.md"
    assert sum(b.language == "python" for b in blocks(tutorial)) >= 10


def test_postgres_blocks_are_rewritten() -> None:
    """A PostgreSQL block's URL is replaced, and its schema by a fresh one of this run."""
    ours = "postgresql+psycopg://tester:secret@127.0.0.1:5432/test"
    code = on_postgres(
        'e = create_engine("postgresql+psycopg://ils@db.example.org/ils")\n'
        'SqlStore(e, schema="deleted_repo")\n',
        sa.make_url(ours),
    )
    assert "db.example.org" not in code
    assert f"create_engine({ours!r})" in code
    [schema] = re.findall(r"schema='(\w+)'", code)
    assert schema.startswith(f"{RUN}_")


@pytest.mark.parametrize("path", markdown_files(), ids=_id)
def test_fence_options_are_known(path: Path) -> None:
    """No block is silently left out: Python fences take only the options the runner honours."""
    unknown = [
        f"{block.where}: {option}"
        for block in blocks(path)
        if block.language == "python"
        for option in block.options
        if option != POSTGRES and not option.startswith("requires=")
    ]
    assert not unknown, f"unknown fence options: {unknown}"


@pytest.mark.parametrize("path", markdown_files(), ids=_id)
def test_test_functions_on_a_page_are_called(path: Path) -> None:
    """A `def test_...` shown on a page is also called by a later block of that page."""
    code = [block.code for block, _ in python_blocks(path)]
    defined = [
        (i, name)
        for i, text in enumerate(code)
        for name in re.findall(r"^def (test_\w+)", text, re.M)
    ]
    uncalled = [
        name
        for i, name in defined
        if not any(re.search(rf"^(?!def ).*\b{name}\(", text, re.M) for text in code[i:])
    ]
    assert not uncalled, f"{_id(path)} defines but never calls: {uncalled}"


def _anchors(path: Path) -> set[str]:
    """The anchors made for the headings of `path` (GitHub's and MkDocs' agree on ours)."""
    found = set()
    code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            code = not code
        elif not code and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def documentation_url() -> str:
    """The `Documentation` URL of pyproject.toml, where the site is published."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        url: str = tomllib.load(f)["project"]["urls"]["Documentation"]
    return url


def page_of(url: str) -> tuple[Path, str] | None:
    """The docs page and anchor an absolute link into the published site stands for, else None.

    The site is built with MkDocs' directory URLs: ``docs/howto.md`` is published at
    ``<Documentation>howto/`` and ``docs/index.md`` at ``<Documentation>`` itself.
    """
    base = documentation_url()
    if not url.startswith(base):
        return None
    page, _, anchor = url.removeprefix(base).partition("#")
    return DOCS / f"{page.strip('/') or 'index'}.md", anchor


@pytest.mark.parametrize("path", markdown_files(), ids=_id)
def test_links_resolve(path: Path) -> None:
    """Every relative link, and every absolute link into the site, names a page and heading."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    broken = []
    for match in LINK.finditer(text):
        target = match["target"]
        if re.match(r"[a-z]+:", target):
            mapped = page_of(target)
            if mapped is None:
                continue
            linked, anchor = mapped
        else:
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
        missing_anchor = anchor and linked.suffix == ".md" and anchor not in _anchors(linked)
        if not linked.exists() or missing_anchor:
            broken.append(target)
    assert not broken, f"{_id(path)} links to what does not exist: {broken}"


def test_readme_links_into_the_site_absolutely() -> None:
    """The README, shown on the package index, links into the docs by absolute URLs only."""
    text = re.sub(r"```.*?```", "", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    targets = [m["target"] for m in LINK.finditer(text)]
    relative = [t for t in targets if not re.match(r"[a-z]+:", t)]
    into_site = [t for t in targets if page_of(t) is not None]
    assert not relative, f"README.md has relative links: {relative}"
    assert len(into_site) >= 5, into_site


def test_site_url_is_the_documentation_url() -> None:
    """mkdocs.yml publishes the site where pyproject.toml's `Documentation` URL says it is."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    site_url = re.search(r"^site_url:\s*(\S+)\s*$", config, re.MULTILINE)
    assert site_url is not None
    assert site_url[1] == documentation_url()


def test_readme_test_command_is_the_one_ci_runs() -> None:
    """The README's command that runs the tests is the command `.ci/run` runs."""
    commands = [
        line.strip()
        for block in blocks(README)
        if block.language == "sh"
        for line in block.code.splitlines()
    ]
    pytest_commands = [c for c in commands if "-m pytest" in c]
    assert len(pytest_commands) == 1, pytest_commands
    command = shlex.split(pytest_commands[0].split("&&")[-1])
    ci = [
        shlex.split(line)
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if "-m pytest" in line
    ]
    assert len(ci) == 1, ci
    assert [word for word in ci[0] if "=" not in word] == command


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documentation site, built once with warnings as errors."""
    pytest.importorskip("mkdocs", reason="the `docs` extra builds the site")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_api_reference_has_a_directive_per_public_module() -> None:
    """docs/api.md generates the reference of every public module from its docstrings."""
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    directed = set(DIRECTIVE.findall(text))
    missing = [m for m in PUBLIC_MODULES if m not in directed]
    assert not missing, f"docs/api.md has no `::: module` directive for: {missing}"


def test_api_reference_renders_every_public_name(site: Path) -> None:
    """The built API page has an entry for every name of every public module's `__all__`.

    A name of `deleted_repo` may be rendered there or in the public module that defines it.
    """
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    rendered = set(re.findall(r'id="(deleted_repo[\w.]*)"', html))
    modules = [importlib.import_module(m) for m in PUBLIC_MODULES]
    missing = []
    for module in modules:
        for name in getattr(module, "__all__", ()):
            if name == "__version__":
                continue
            value = getattr(module, name)
            places = {f"{module.__name__}.{name}"} | {
                f"{other}.{name}"
                for other in (r.rpartition(".")[0] for r in rendered)
                if other.startswith("deleted_repo")
                and getattr(sys.modules.get(other), name, None) is value
            }
            if not places & rendered:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"the API reference does not render: {missing}"


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


def test_error_tree_is_the_library_s() -> None:
    """The tree drawn at the top of docs/errors.md is the class tree of `deleted_repo.errors`."""
    root = errors.DeletedRepoError
    lines: list[str] = []

    def draw(cls: type[Exception], first: str = "", rest: str = "") -> None:
        others = [b.__name__ for b in cls.__bases__ if not issubclass(b, root)]
        shown = f" ({', '.join(others)})" if others and cls is not root else ""
        lines.append(f"{first}{cls.__name__}{shown}")
        below = [c for c in cls.__subclasses__() if c.__module__ == errors.__name__]
        for child in below[:-1]:
            draw(child, rest + "├── ", rest + "│   ")
        for child in below[-1:]:
            draw(child, rest + "└── ", rest + "    ")

    draw(root)
    drawn = next(b for b in blocks(DOCS / "errors.md") if b.language == "text")
    assert drawn.code == "\n".join(lines) + "\n"


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
