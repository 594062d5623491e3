"""The house's structure: no import cycle between modules, the layers of pyproject.toml's
import-linter contracts kept, and no module too large to read (the rooms stay small)."""

from __future__ import annotations

import re
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

PACKAGES = ("ledger", "api", "cli", "jobs", "pdf_templates")
ROOT = Path(__file__).resolve().parent.parent
LARGEST = 500  # lines; migrations are history and stay whole


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), every import counted,
    including those inside functions."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph(*PACKAGES)
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("a.x", "a.y"), ("a.y", "a.z"), ("a.z", "a.x"), ("a.z", "a.w")):
        graph.add_import(importer=importer, imported=imported)
    assert _cycles(graph) == [["a.x", "a.y", "a.z"]]


def test_import_contracts_are_kept() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_no_module_is_too_large_to_read() -> None:
    large = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LARGEST
    }
    assert large == {}


def _all_ledger_modules() -> None:
    import importlib
    import pkgutil

    import ledger

    for module in pkgutil.walk_packages(ledger.__path__, "ledger."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)


def test_every_domain_error_is_a_ledger_error_drawn_in_the_tree() -> None:
    import ledger.errors
    from ledger.errors import LedgerError

    _all_ledger_modules()
    drawn = ledger.errors.__doc__ or ""
    found: list[type[LedgerError]] = []
    waiting: list[type[LedgerError]] = [LedgerError]
    while waiting:
        error = waiting.pop()
        found.append(error)
        waiting.extend(error.__subclasses__())
    in_ledger = [e for e in found if e.__module__.startswith("ledger.")]
    assert len(in_ledger) > 40
    assert [e.__name__ for e in in_ledger if not re.search(rf"\b{e.__name__}\b", drawn)] == []
    # and every exception class written in ledger/ is one of them
    names = {e.__name__ for e in in_ledger}
    declared = {
        match.group(1)
        for path in (ROOT / "ledger").rglob("*.py")
        for match in re.finditer(
            r"^class (\w+)\(([^)]*(Error|Exception|Refused|Rejected)[^)]*)\):", path.read_text(), re.M
        )
    }
    assert declared - names == set()


def test_every_document_the_code_cites_is_in_the_repository() -> None:
    cited: dict[str, str] = {}
    for package in (*PACKAGES, "tests", "docs"):
        for path in (ROOT / package).rglob("*"):
            if path.suffix in (".py", ".md", ".yaml", ".html") and path.is_file():
                for name in re.findall(r"\b(docs/[\w-]+\.md)\b", path.read_text(encoding="utf-8")):
                    cited.setdefault(name, str(path.relative_to(ROOT)))
    cited.update({name: "README.md" for name in re.findall(r"\b(docs/[\w-]+\.md)\b", (ROOT / "README.md").read_text())})
    assert len(cited) >= 10
    assert {name: where for name, where in cited.items() if not (ROOT / name).exists()} == {}
    # and no citation of a document outside the repository
    outside = re.compile(r"(?<![\w/-])(rules|accounting|formats|people|provinces|books)\.md\b")
    stray = [
        str(path.relative_to(ROOT))
        for package in (*PACKAGES, "tests")
        for path in (ROOT / package).rglob("*.py")
        if outside.search(path.read_text(encoding="utf-8"))
    ]
    assert stray == []
