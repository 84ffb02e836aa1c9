"""The layers hold. Statically: a table of layers says which of the package's modules each may
import and which it must never import, and every import in every file is checked against it.
At run time: the core is importable without Textual, and the CLI's --help loads neither Textual
nor pydantic."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pytest

import onyx_wizard

# --- at run time ---------------------------------------------------------------------------

CORE = [
    "onyx_wizard.checklist",
    "onyx_wizard.profile",
    "onyx_wizard.session",
    "onyx_wizard.secrets",
    "onyx_wizard.gate",
    "onyx_wizard.paths",
    "onyx_wizard.attestation",
    "onyx_wizard.probes",
    "onyx_wizard.scan",
    "onyx_wizard.check",
    "onyx_wizard.report",
    "onyx_wizard.demo",
]


def loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module: str) -> None:
    modules = loaded_after(f"import {module}")
    assert module in modules
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}


def test_core_functions_run_without_textual() -> None:
    code = (
        "from onyx_wizard.checklist import load_checklist\n"
        "from onyx_wizard.gate import evaluate\n"
        "from onyx_wizard.session import Session, now\n"
        "c = load_checklist()\n"
        "s = Session(schema_version=1, name='x', created_at=now(), updated_at=now(),"
        " checklist_version=c.version)\n"
        "assert not evaluate(s, c).ready\n"
    )
    assert "textual" not in loaded_after(code)


def test_help_loads_neither_textual_nor_pydantic() -> None:
    code = (
        "from onyx_wizard import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
    )
    modules = loaded_after(code)
    assert "textual" not in modules
    assert "pydantic" not in modules


# --- the import contract -------------------------------------------------------------------

PACKAGE = Path(onyx_wizard.__file__).parent
ROOT = "onyx_wizard"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# A list, not a dict: while `cli` turns into a package, cli.py and cli/__init__.py are both
# `onyx_wizard.cli`, and both are checked.
FILES = [(module_name(path), path) for path in sorted(PACKAGE.rglob("*.py"))]
MODULES = frozenset(name for name, _ in FILES)


@dataclass(frozen=True)
class Import:
    line: int
    module: str


def imports(
    source: str, module: str, is_package: bool = False, known: Collection[str] = MODULES
) -> list[Import]:
    """Every import in `source` (the text of `module`), in functions and TYPE_CHECKING blocks
    too, relative ones resolved; `from X import y` is X.y when that is a module, else X."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            source_module = ".".join(filter(None, [base, node.module]))
            for alias in node.names:
                name = f"{source_module}.{alias.name}"
                found.append(Import(node.lineno, name if name in known else source_module))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if called in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                found.append(Import(node.lineno, str(first.value)))
    return sorted(found, key=lambda found_import: found_import.line)


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@dataclass(frozen=True)
class Layer:
    """The modules at or under `name` (less those under `excluding`): `never` are prefixes they
    must not import, their own modules included; `may_import` lists the package's modules they
    may import besides their own and the package root (None: any of them)."""

    name: str
    may_import: tuple[str, ...] | None
    never: tuple[str, ...] = ()
    why: str = ""
    excluding: tuple[str, ...] = ()

    def covers(self, module: str) -> bool:
        return within(module, self.name) and not any(within(module, e) for e in self.excluding)

    def breach(self, target: str) -> str | None:
        """Why importing `target` breaks this layer's contract; None when it does not."""
        for prefix in self.never:
            if within(target, prefix):
                return f"{self.name} must never import {prefix}" + (
                    f" ({self.why})" if self.why else ""
                )
        if self.may_import is None or not within(target, ROOT) or target == ROOT:
            return None
        if within(target, self.name) or any(within(target, m) for m in self.may_import):
            return None
        allowed = ", ".join(m.removeprefix(ROOT + ".") for m in self.may_import) or "nothing"
        return f"{self.name} may import only {allowed} of {ROOT}"


def pkg(*names: str) -> tuple[str, ...]:
    return tuple(f"{ROOT}.{name}" for name in names)


UI = ("textual", *pkg("tui", "cli"))

# Each layer's `may_import` is what it imports today: widening one is a decision to make here,
# in review. `never` is the rule that holds whatever the list says.
LAYERS = (
    # Rules across the package.
    Layer(ROOT, excluding=pkg("tui", "cli", "__main__"), may_import=None,
          never=UI, why="the core runs headless and without Textual"),
    Layer(ROOT, excluding=pkg("tui.app"), may_import=None,
          never=pkg("tui.screens"), why="screens post messages; only the app pushes screens"),
    # The top: the command line, then the TUI.
    Layer(f"{ROOT}.cli", may_import=None),
    Layer(f"{ROOT}.tui", may_import=None,
          never=pkg("cli"), why="the CLI starts the TUI, not the other way"),
    # What a run, an attestation or a report is made of.
    Layer(f"{ROOT}.report", may_import=pkg("attestation", "gate", "outcome", "session"),
          never=UI, why="output is rendered headless"),
    Layer(f"{ROOT}.check",
          may_import=pkg("checklist", "errors", "gate", "probes", "profile", "scan", "secrets",
                         "session"),
          never=UI, why="CI runs it headless"),
    Layer(f"{ROOT}.attestation",
          may_import=pkg("checklist", "errors", "files", "gate", "paths", "profile", "scan",
                         "secrets", "session", "tomlmodel"),
          never=pkg("probes", "check", "report"), why="it signs a session, not a run"),
    Layer(f"{ROOT}.decisions", may_import=pkg("errors", "session", "tomlfile", "tomlmodel"),
          never=UI, why="a reviewed file of decisions is applied headless, in CI"),
    Layer(f"{ROOT}.drift", may_import=pkg("attestation", "checklist", "outcome"),
          never=(*UI, *pkg("probes", "session")),
          why="drift compares a verified predicate with results handed in"),
    Layer(f"{ROOT}.progress", may_import=pkg("checklist", "gate", "session")),
    Layer(f"{ROOT}.gate", may_import=pkg("checklist", "profile", "session")),
    # The probes and the scanner examine a deployment and files.
    Layer(f"{ROOT}.probes",
          may_import=pkg("checklist", "errors", "outcome", "profile", "scan", "secrets"),
          never=pkg("session", "attestation", "check", "report", "gate", "demo", "tui", "cli"),
          why="a probe examines a deployment: it knows no session, report or sample app"),
    Layer(f"{ROOT}.scan", may_import=pkg("errors", "tomlfile"),
          never=("pydantic", *pkg("probes", "session", "profile", "tomlmodel")),
          why="the scanner is a leaf, and loads without pydantic"),
    Layer(f"{ROOT}.demo", may_import=pkg("checklist", "profile", "secrets"),
          never=pkg("session", "probes", "check", "report", "attestation", "tui", "cli"),
          why="the sample app knows nothing of the wizard that tests it"),
    # The data the wizard keeps.
    Layer(f"{ROOT}.session",
          may_import=pkg("checklist", "errors", "files", "outcome", "paths", "profile", "scan",
                         "secrets", "tomlfile", "tomlmodel"),
          never=pkg("gate", "probes", "check", "report", "attestation"),
          why="they read sessions; a session never reads them"),
    Layer(f"{ROOT}.profile", may_import=pkg("checklist", "errors", "tomlmodel"),
          never=pkg("session"), why="a session holds a profile"),
    Layer(f"{ROOT}.checklist", may_import=(),
          never=("pydantic",), why="a resumed item is drawn from it before pydantic loads"),
    Layer(f"{ROOT}.cursor", may_import=pkg("paths"),
          never=("pydantic", *pkg("session")),
          why="it reads where a session was left before the session model loads"),
    Layer(f"{ROOT}.secrets", may_import=pkg("errors")),
    # The foundation.
    Layer(f"{ROOT}.tomlmodel", may_import=pkg("errors", "tomlfile")),
    Layer(f"{ROOT}.tomlfile", may_import=pkg("errors"),
          never=("pydantic",), why="the scanner reads TOML with it"),
    Layer(f"{ROOT}.outcome", may_import=()),
    Layer(f"{ROOT}.errors", may_import=()),
    Layer(f"{ROOT}.files", may_import=()),
    Layer(f"{ROOT}.paths", may_import=()),
)  # fmt: skip


def layer_id(layer: Layer) -> str:
    if layer.name != ROOT:
        return layer.name.removeprefix(ROOT + ".")
    return "package-never-" + "+".join(n.removeprefix(ROOT + ".") for n in layer.never)


def breaches(
    layer: Layer, source: str, module: str, is_package: bool = False, where: str = "<source>"
) -> list[str]:
    """Each import in `source` (the text of `module`) that `layer` forbids, as
    `file:line: imports X: why`."""
    found = []
    for each in imports(source, module, is_package):
        why = layer.breach(each.module)
        if why:
            found.append(f"{where}:{each.line}: imports {each.module}: {why}")
    return found


@pytest.mark.parametrize("layer", LAYERS, ids=layer_id)
def test_every_import_keeps_to_its_layer(layer: Layer) -> None:
    found = []
    for module, path in FILES:
        if layer.covers(module):
            where = str(path.relative_to(PACKAGE.parent))
            text = path.read_text(encoding="utf-8")
            found += breaches(layer, text, module, path.stem == "__init__", where)
    assert not found, "imports across the layers:\n" + "\n".join(found)


def test_every_module_has_a_layer() -> None:
    """A new module (or package) needs a row in LAYERS saying what it may import."""
    layers = [layer for layer in LAYERS if layer.name != ROOT]
    # The root package holds only __version__; the package-wide rules cover it.
    loose = sorted(name for name in MODULES - {ROOT} if not any(lr.covers(name) for lr in layers))
    assert not loose, f"modules no layer covers: {loose}"


def test_no_layer_may_import_what_it_must_never() -> None:
    for layer in LAYERS:
        clash = [a for a in layer.may_import or () if any(within(a, n) for n in layer.never)]
        assert not clash, f"{layer.name}: {clash} both allowed and forbidden"


def test_the_contract_catches_a_bad_import() -> None:
    """The checker can fail: each kind of breach, in each form of import, is named with its line."""
    probes = next(layer for layer in LAYERS if layer.name == f"{ROOT}.probes")
    source = (
        "from onyx_wizard.profile import Profile\n"  # allowed
        "from onyx_wizard.session import OpenSession\n"  # never
        "import textual.widgets\n"  # never, by the package-wide rule
        "def later():\n"
        "    from ..attestation import keys\n"  # never, relative, inside a function
        "    from onyx_wizard import progress\n"  # not on the list
        "    importlib.import_module('onyx_wizard.tui.app')\n"  # never, by name
    )
    found = breaches(probes, source, f"{ROOT}.probes.tls")
    assert found == [
        "<source>:2: imports onyx_wizard.session: onyx_wizard.probes must never import "
        f"onyx_wizard.session ({probes.why})",
        f"<source>:5: imports onyx_wizard.attestation.keys: onyx_wizard.probes must never import "
        f"onyx_wizard.attestation ({probes.why})",
        "<source>:6: imports onyx_wizard.progress: onyx_wizard.probes may import only checklist, "
        "errors, outcome, profile, scan, secrets of onyx_wizard",
        f"<source>:7: imports onyx_wizard.tui.app: onyx_wizard.probes must never import "
        f"onyx_wizard.tui ({probes.why})",
    ]
    core = LAYERS[0]
    assert breaches(core, source, f"{ROOT}.probes.tls") == [
        f"<source>:3: imports textual.widgets: onyx_wizard must never import textual ({core.why})",
        f"<source>:7: imports onyx_wizard.tui.app: onyx_wizard must never import onyx_wizard.tui "
        f"({core.why})",
    ]
    assert breaches(probes, "from onyx_wizard.scan import redact\n", f"{ROOT}.probes.x") == []


# --- the TUI: screens ask the app for other screens with messages, never by importing them -----

SCREENS = "onyx_wizard.tui.screens"
SCREEN_RULE = next(layer for layer in LAYERS if layer.never == (SCREENS,))


def test_the_import_finder_sees_every_form_of_import() -> None:
    source = (
        "from onyx_wizard.tui.screens.item import ItemScreen\n"
        "from onyx_wizard.tui.screens import run\n"
        "from . import review\n"
        "from .section import SectionScreen\n"
        "def later():\n"
        "    import onyx_wizard.tui.screens.help\n"
        "    from ..screens.sessions import SessionsScreen\n"
        "    importlib.import_module('onyx_wizard.tui.screens.profile')\n"
    )
    found = {i.module for i in imports(source, f"{SCREENS}.overview")}
    wanted = {"item", "run", "review", "section", "help", "sessions", "profile"}
    assert found == {f"{SCREENS}.{name}" for name in wanted}
    assert imports("from ..base import X", f"{SCREENS}.item") == [Import(1, "onyx_wizard.tui.base")]
    assert len(breaches(SCREEN_RULE, source, f"{SCREENS}.overview")) == len(wanted)
    # The app is the one module that imports screens, and the finder sees it do so.
    app = PACKAGE / "tui" / "app.py"
    in_app = {i.module for i in imports(app.read_text(), "onyx_wizard.tui.app")}
    assert {f"{SCREENS}.item", f"{SCREENS}.sessions"} <= in_app


def test_the_screen_rule_covers_every_screen_and_the_cli_but_not_the_app() -> None:
    screens = {"item", "overview", "profile", "review", "run", "section", "sessions", "help"}
    covered = {name for name in MODULES if SCREEN_RULE.covers(name)}
    assert {f"{SCREENS}.{name}" for name in screens} | {SCREENS, "onyx_wizard.cli"} <= covered
    assert "onyx_wizard.tui.app" not in covered
