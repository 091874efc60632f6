"""The library's layout: imports flow one way, no circles (type hints included), small modules.

Layers, lowest first; a module may import its own layer and the ones below, never above:

    errors, units  <-  network  <-  plots, inspect  <-  training  <-  runs  <-  bench, experiments  <-  cli

``plots`` draws arrays and shape tables only, so it sits beside ``inspect`` and imports neither.
Pages and ``app.py`` sit above the library; the library never imports them or Streamlit. Over the
app: ``app.py``, then the page scripts, then each page's folder of ``pages/parts/``, then
``pages/parts/common/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "alexnet"
LAYERS = {
    "errors": 0,
    "units": 0,
    "network": 1,
    "plots": 2,
    "inspect": 2,
    "training": 3,
    "runs": 4,
    "bench": 5,
    "experiments": 5,  # the paper's claims as runs: plans them, queues them, reads them back
    "cli": 6,
    "__main__": 7,
    "__init__": 7,  # the package's face re-exports from below
}
MAX_LINES = 350


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ``alexnet``/``pages``/``streamlit`` module a file names in an import, at any depth
    (inside functions and ``if TYPE_CHECKING:`` too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n for n in names if n.split(".")[0] in ("alexnet", "pages", "streamlit")}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else "__init__"]


LIBRARY_FILES = sorted(LIBRARY.rglob("*.py"))


def _known(module: str) -> str | None:
    """``module`` if it is a file or package of the library, else its parent (a name imported from it)."""
    for candidate in (module, module.rsplit(".", 1)[0]):
        path = ROOT / Path(*candidate.split("."))
        if path.with_suffix(".py").is_file() or (path / "__init__.py").is_file():
            return candidate
    return None


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_flow_down_and_never_reach_the_app(path):
    here = _module_name(path)
    for name in _imports(path):
        assert name.split(".")[0] == "alexnet", f"{here} imports {name}: the library knows nothing of the app"
        target = _known(name)
        if target is None or target == "alexnet" or (path.name == "__init__.py" and target.startswith(here)):
            continue
        assert _layer(target) <= _layer(here), f"{here} (layer {_layer(here)}) imports {target} ({_layer(target)})"
        same_layer_other_package = _layer(target) == _layer(here) and target.split(".")[1] != here.split(".")[1]
        assert not same_layer_other_package, f"{here} imports {target}: plots and inspect stay independent"


APP_FILES = [*sorted((ROOT / "pages").rglob("*.py")), ROOT / "app.py"]


def test_no_import_circles_even_for_type_hints():
    """Over the library, the pages and app.py: a lazy import inside a function counts too (it only
    moves the circle's failure to the moment it runs)."""
    graph = {}
    for path in [*LIBRARY_FILES, *APP_FILES]:
        here = _module_name(path)
        targets = {_known(name) for name in _imports(path)} - {None, "alexnet", here}
        if path.name == "__init__.py":  # a package's face re-exports its own modules: not a circle
            targets = {t for t in targets if not t.startswith(here + ".")}
        graph[here] = targets
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])


PAGE_FOLDERS = sorted(p.name for p in (ROOT / "pages" / "parts").iterdir() if (p / "__init__.py").is_file())


def _page_folder(module: str) -> str | None:
    """The folder of ``pages/parts/`` that ``module`` lives in (``common``, ``training``...), else None."""
    parts = module.split(".")
    return parts[2] if parts[:2] == ["pages", "parts"] and len(parts) > 2 else None


@pytest.mark.parametrize("path", APP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_import_common_and_their_own_parts_only(path):
    """The app's layers: app.py above the page scripts, each page script above its own folder of
    ``pages/parts/`` and ``common/``, ``common/`` above the library alone. A part one page uses
    lives in that page's folder; what two pages use moves to ``common/``."""
    here = _module_name(path)
    if here == "app":
        return  # the app's face: it names the pages and warms the server, and may reach any part
    own = _page_folder(here) or (here.split(".")[1] if here.count(".") == 1 else None)
    for name in _imports(path):
        target = _known(name)
        if target is None or not target.startswith("pages"):
            continue
        assert target.count(".") > 1, f"{here} imports the page script {target}: pages never import each other"
        folder = _page_folder(target)
        if folder == "common":
            continue
        assert folder == own, f"{here} imports {target}: another page's part (move what two pages use to common/)"


def test_every_page_has_its_parts_folder():
    from pages.parts.common.navigation import PAGES

    pages = {Path(page.script).stem for page in PAGES}
    assert set(PAGE_FOLDERS) - {"common"} <= pages, f"a folder of pages/parts/ names no page: {PAGE_FOLDERS}"


@pytest.mark.parametrize(
    "path",
    [*LIBRARY_FILES, *APP_FILES],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_modules_stay_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concern"


def test_only_page_scripts_sit_in_pages():
    """Streamlit may list every ``pages/*.py`` as a page (a bookmark on a fresh server): the parts
    pages share live in ``pages/parts/``, each page script is one of the app's pages, and each
    hands over to app.py when it runs alone (``through_app``, tests/test_browser_bookmarks.py)."""
    from pages.parts.common.navigation import PAGES

    scripts = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
    assert scripts == sorted(page.script for page in PAGES)
    for script in scripts:
        text = (ROOT / script).read_text()
        assert "\nthrough_app(__file__)" in text or "start_page(\n    __file__," in text, f"{script}: through_app first"
