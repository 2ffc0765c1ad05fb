"""The shape docs/architecture.md promises: small files, small folders, one direction of imports."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "web", "designer", "admin", "cli", "demo")
MAX_LINES = 400
MAX_MODULES = 15


def python_files() -> list[Path]:
    return [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            if "migrations" not in path.parts]


def test_no_engine_file_is_over_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "engine").rglob("*.py")
            if "migrations" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_no_folder_holds_more_than_15_modules() -> None:
    crowded = {str(folder.relative_to(ROOT)): n for folder in {p.parent for p in python_files()}
               if (n := len(list(folder.glob("*.py")))) > MAX_MODULES}
    assert crowded == {}


def test_no_import_hides_a_cycle() -> None:
    """Imports sit at the top of a module, outside `if TYPE_CHECKING:`; import-linter then sees every edge."""
    hidden = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}: if TYPE_CHECKING")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom) and _ours(inner):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}: import inside {node.name}()")
    assert hidden == []


def _ours(node: ast.Import | ast.ImportFrom) -> bool:
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return any(name.split(".")[0] in PACKAGES for name in names)
