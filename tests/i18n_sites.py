"""Every place the engine makes a diagnostic, found by reading its source.

A site is a call that makes a finding: `Diagnostic("E210", f"unknown name '{name}'", ...)`,
`sink.error("E301", ...)`, an inventory reader's `reader.error(where, message)` (E501 unless a
code is given), `ZujiError(message, "E700")`, or a call of a helper whose own body makes the
diagnostic from its parameters (`_file_problem(message)`, `UnitSyntaxError(message)`). For each
site the code and the message and hint as texts are read off the source: an f-string's literal
parts are kept and each expression becomes a sample value (the same expression, the same value),
so the text is what the engine would make with those values. `test_i18n_coverage` renders each
in Chinese and asserts that a template of the catalogue fits it.
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

CODE = re.compile(r"^[EW]\d{3}$")
SLOT = re.compile(r"⟦\d+⟧")
# An inventory reader's finding is prefixed with the file and the part of the document at fault.
_READER_PREFIX = "⟦file⟧: ⟦where⟧: "


@dataclass(frozen=True)
class Site:
    """One place a finding is made: its file and line, its code(s), and the message and hint
    as the engine would make them (None when the source does not say)."""

    file: str
    line: int
    codes: tuple[str, ...]
    messages: tuple[str, ...] | None
    hints: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class _Helper:
    """A function that makes a diagnostic of a fixed code from its parameters."""

    codes: tuple[str, ...]
    message: int  # the position of the message among the call's arguments
    hint: int | None
    prefix: str = ""


class _Texts:
    """The texts an expression can take, with a sample value for each part the source cannot
    know; `scope` is the function (and module) whose assignments a name may be looked up in."""

    def __init__(
        self, scopes: list[ast.AST], functions: dict[str, ast.FunctionDef] | None = None
    ) -> None:
        self.scopes = scopes
        self.functions = functions or {}
        self.seen: dict[str, str] = {}

    def slot(self, key: str) -> str:
        return self.seen.setdefault(key, f"⟦{len(self.seen) + 1}⟧")

    def of(self, node: ast.AST | None, depth: int = 0) -> list[str] | None:
        if node is None or depth > 12:
            return None
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = [
                [v.value] if isinstance(v, ast.Constant) else [self.slot(ast.unparse(v.value))]
                for v in node.values
            ]
            return ["".join(p) for p in itertools.product(*parts)]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.of(node.left, depth + 1) or [self.slot(ast.unparse(node.left))]
            right = self.of(node.right, depth + 1) or [self.slot(ast.unparse(node.right))]
            return [a + b for a in left for b in right]
        if isinstance(node, ast.IfExp | ast.BoolOp):
            branches = [node.body, node.orelse] if isinstance(node, ast.IfExp) else node.values
            found: list[str] = []
            for branch in branches:
                found += self.of(branch, depth + 1) or [self.slot(ast.unparse(branch))]
            return found
        if isinstance(node, ast.Name):
            return self._assigned(node.id, depth)
        if isinstance(node, ast.Call) and _name(node) in self.functions:
            return self._returned(self.functions[_name(node)], depth)
        return None

    def _returned(self, func: ast.FunctionDef, depth: int) -> list[str] | None:
        """The texts a function of the engine returns (a hint made by `gas_hint(...)`), each
        of its own parameters a sample value."""
        inner = _Texts([func], self.functions)
        inner.seen = self.seen
        found: list[str] = []
        for node in ast.walk(func):
            if isinstance(node, ast.Return) and node.value is not None:
                got = inner.of(node.value, depth + 1)
                if got is None:
                    return None
                found += got
        return found or None

    def _assigned(self, name: str, depth: int) -> list[str] | None:
        found: list[str] = []
        for scope in self.scopes:
            for sub in ast.walk(scope):
                for target, value in _assignments(sub):
                    if target == name:
                        got = self.of(value, depth + 1)
                        if got is None:
                            return None
                        found += got
            if found:
                return found
        return None


def _assignments(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """(name, value) of an assignment, tuples unpacked (`span, message = None, "..."`)."""
    pairs: list[tuple[str, ast.AST]] = []
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                pairs.append((target.id, node.value))
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs += [
                    (t.id, v)
                    for t, v in zip(target.elts, node.value.elts, strict=False)
                    if isinstance(t, ast.Name)
                ]
    return pairs


def _codes(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _codes(node.body), _codes(node.orelse)
        return body + orelse if body and orelse else []
    return []


def _text_like(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr | ast.BinOp | ast.IfExp) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _receiver(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return ""


def _located(
    call: ast.Call,
    path: Path,
    helpers: dict[str, _Helper],
    signatures: dict[str, tuple[str, ...]],
) -> tuple[list[str], ast.AST | None, list[ast.AST], str] | None:
    """(codes, message, hints, prefix) of a call that makes a finding, or None."""
    args, kw = call.args, {k.arg: k.value for k in call.keywords}
    hints = [kw["hint"]] if "hint" in kw else []
    name = _name(call)
    reader = _receiver(call) in ("reader", "self", "reporter")
    in_reader = path.name.startswith(("inventory", "supplier"))
    if name == "error" and reader and in_reader and len(args) >= 2:
        codes = _codes(args[3]) if len(args) > 3 else _codes(kw.get("code"))
        return codes or ["E501"], args[1], hints or args[2:3], _READER_PREFIX
    dot = "." if isinstance(call.func, ast.Attribute) else ""
    params = signatures.get(f"{path}:{dot}{name}") or signatures.get(name, ())
    if "message" in params and any(_codes(a) for a in args):
        at = params.index("message")
        codes = next(_codes(a) for a in args if _codes(a))
        hint_at = params.index("hint") if "hint" in params else len(args)
        message = args[at] if at < len(args) else kw.get("message")
        return codes, message, hints or args[hint_at : hint_at + 1], ""
    for i, arg in enumerate(args):
        codes = _codes(arg)
        if codes:
            message = args[i + 1] if i + 1 < len(args) else kw.get("message")
            if (message is None or not _text_like(message)) and i >= 1 and _text_like(args[0]):
                message = args[0]  # ZujiError(message, "E700"), _problem(message, ..., code)
            # A later text, or a call of a function that makes one (`gas_hint(unit, gas)`).
            later = [a for a in args[i + 2 :] if _text_like(a) or isinstance(a, ast.Call)]
            return codes, message, hints or later, ""
    helper = helpers.get(name)
    if helper is not None and len(args) > helper.message:
        message = args[helper.message]
        if not isinstance(message, ast.Name) and not _text_like(message):
            return None  # ZujiError(Diagnostic(...)): the inner call is the site
        codes = _codes(kw.get("code")) or list(helper.codes)
        if helper.hint is not None and len(args) > helper.hint and not hints:
            hints = [args[helper.hint]]
        return codes, message, hints, helper.prefix
    return None


def _helpers(trees: list[tuple[Path, ast.Module]]) -> dict[str, _Helper]:
    """Module functions, and classes by their __init__, that make a diagnostic of a literal
    code from a parameter: a call of one is a site, its argument the message."""
    found: dict[str, _Helper] = {}
    for _path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                inits = [f for f in node.body if isinstance(f, ast.FunctionDef)]
                for func in inits:
                    helper = _helper_of(func) if func.name == "__init__" else None
                    if helper is not None:
                        found[node.name] = helper
        for func in tree.body:
            if isinstance(func, ast.FunctionDef):
                helper = _helper_of(func)
                if helper is not None:
                    found[func.name] = helper
    return found


def _signatures(trees: list[tuple[Path, ast.Module]]) -> dict[str, tuple[str, ...]]:
    """The parameter names of every module function and method whose name is defined once, so
    that a call's message and hint are found by name (`_problem(message, text, label, path,
    code, hint)`)."""
    found: dict[str, tuple[str, ...]] = {}
    local: dict[str, tuple[str, ...]] = {}
    twice: set[str] = set()
    for path, tree in trees:
        methods = {
            id(f)
            for c in ast.walk(tree)
            if isinstance(c, ast.ClassDef)
            for f in c.body
            if isinstance(f, ast.FunctionDef)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = tuple(a.arg for a in node.args.args if a.arg not in ("self", "cls"))
                if node.name in found and found[node.name] != names:
                    twice.add(node.name)
                found[node.name] = names
                # A module's own function or method comes first (`file.at(...)` and `at(...)`).
                dot = "." if id(node) in methods else ""
                local[f"{path}:{dot}{node.name}"] = names
    return {**{n: v for n, v in found.items() if n not in twice}, **local}


def _text_functions(trees: list[tuple[Path, ast.Module]]) -> dict[str, ast.FunctionDef]:
    """Module functions annotated to return a str, by name (names defined twice left out): a
    message or hint may be made by one (`hint=gas_hint(unit, gas)`)."""
    found: dict[str, ast.FunctionDef] = {}
    twice: set[str] = set()
    for _path, tree in trees:
        for func in tree.body:
            returns = func.returns if isinstance(func, ast.FunctionDef) else None
            if isinstance(func, ast.FunctionDef) and ast.unparse(returns or ast.Pass()) == "str":
                if func.name in found:
                    twice.add(func.name)
                found[func.name] = func
    return {name: func for name, func in found.items() if name not in twice}


def _helper_of(func: ast.FunctionDef) -> _Helper | None:
    params = [a.arg for a in func.args.args if a.arg not in ("self", "cls")]
    defaults = dict(zip(reversed(params), reversed(func.args.defaults), strict=False))
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        args = node.args
        for i, arg in enumerate(args):
            codes = _codes(arg) or (
                _codes(defaults.get(arg.id)) if isinstance(arg, ast.Name) else []
            )
            if not codes or i + 1 >= len(args):
                continue
            message = args[i + 1]
            if isinstance(message, ast.Name) and message.id in params:
                hint = next((k.value for k in node.keywords if k.arg == "hint"), None)
                hint_at = (
                    params.index(hint.id)
                    if isinstance(hint, ast.Name) and hint.id in params
                    else None
                )
                return _Helper(tuple(codes), params.index(message.id), hint_at)
    return None


def sites(engine: Path) -> list[Site]:
    """Every site of the engine's source under `engine` (the zuji package folder)."""
    trees = [
        (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
        for path in sorted(engine.rglob("*.py"))
    ]
    helpers = _helpers(trees)
    functions = _text_functions(trees)
    signatures = _signatures(trees)
    found: list[Site] = []
    for path, tree in trees:
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                site = _site(node, path, tree, parents, helpers, functions, signatures)
                if site is not None:
                    found.append(site)
    return found


def _site(
    call: ast.Call,
    path: Path,
    tree: ast.Module,
    parents: dict[ast.AST, ast.AST],
    helpers: dict[str, _Helper],
    functions: dict[str, ast.FunctionDef],
    signatures: dict[str, tuple[str, ...]],
) -> Site | None:
    located = _located(call, path, helpers, signatures)
    if located is None:
        return None
    codes, message, hints, prefix = located
    scope: ast.AST = call
    while scope in parents and not isinstance(scope, ast.FunctionDef):
        scope = parents[scope]
    if isinstance(scope, ast.FunctionDef) and _helper_of(scope) is not None:
        params = {a.arg for a in scope.args.args}
        if isinstance(message, ast.Name) and message.id in params:
            return None  # inside a helper: each call of the helper is a site of its own
    texts = _Texts([scope, tree] if isinstance(scope, ast.FunctionDef) else [tree], functions)
    messages = texts.of(message)
    if messages is None and _name(call) in helpers and isinstance(message, ast.Name):
        return None  # a helper given a list of findings, not a text
    hint_texts = [text for hint in hints for text in texts.of(hint) or []]
    return Site(
        path.as_posix(),
        call.lineno,
        tuple(codes),
        tuple(prefix + m for m in messages) if messages else None,
        tuple(hint_texts),
    )


# A sentence has two English words in a row; a hint that has none is a piece of rule text
# (`t "..." >= 0`), which stays as the rule language writes it.
_SENTENCE = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,})+\b")


def is_sentence(text: str) -> bool:
    return bool(_SENTENCE.search(SLOT.sub(" ", text)))


def has_words(text: str) -> bool:
    """Whether a message says anything in words beside its sample values."""
    return bool(re.search(r"[A-Za-z]{2,}", SLOT.sub(" ", text)))
