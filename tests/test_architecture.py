"""The layout's rules, checked on the source: who may know the index folder's files, what the read path
may import, no import cycles, small files, no test fakes in the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qa"
# The index folder's file names: only qa/store/ may spell them.
FOLDER_NAMES = ('"store.sqlite"', '"manifest.json"', '"vectors-', '"index.lock"', '"uploads"')


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(name: str) -> set[str]:
    """The qa modules ``name`` imports anywhere in its body (function-level imports included; those
    under ``if TYPE_CHECKING`` left out, as they never run)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if _in_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qa":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return {m for m in found if m in MODULES and m != name}


def test_only_the_store_knows_the_index_folder_files() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}: {word}"
        for name, path in MODULES.items() if not name.startswith("qa.store")
        for word in FOLDER_NAMES if word in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_read_path_never_imports_the_indexer() -> None:
    readers = [n for n in MODULES if n.startswith(("qa.retrieve", "qa.answer", "qa.grounding"))]
    assert readers
    assert {n: sorted(imports_of(n) & {"qa.indexing"}) for n in readers if "qa.indexing" in imports_of(n)} == {}


def test_no_import_cycles() -> None:
    graph = {name: imports_of(name) for name in MODULES}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == []


def test_the_cycle_check_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The graph reader sees a function-level import: a made-up pair importing each other is a cycle."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from qa.b import g\n", encoding="utf-8")
    b.write_text("from qa.a import f\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "qa.a", a)
    monkeypatch.setitem(MODULES, "qa.b", b)
    assert imports_of("qa.a") == {"qa.b"} and imports_of("qa.b") == {"qa.a"}


def test_no_file_past_400_lines() -> None:
    long = {str(p.relative_to(PACKAGE.parent)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def test_test_fakes_live_under_tests() -> None:
    fakes = [f"{p.relative_to(PACKAGE.parent)}: {node.name}" for p in MODULES.values()
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.ClassDef) and node.name.startswith(("Fake", "Hash", "Stub", "Mock"))]
    assert fakes == []


def test_packaged_prompts_are_package_data() -> None:
    prompts = PACKAGE / "prompts"
    assert sorted(p.name for p in prompts.glob("answer.*.txt")) == [
        "answer.context.txt", "answer.examples.txt", "answer.passage.txt", "answer.system.txt"]
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"qa.prompts" = ["*.txt"]' in pyproject
    assert (PACKAGE / "py.typed").exists()
