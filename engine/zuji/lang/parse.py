"""Stage 1: rule text to syntax tree, with syntax errors in words a committee member understands."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from zuji.core import cachedir, library, limits
from zuji.core.errors import Diagnostic, RuleError, Span
from zuji.lang.characters import refuse_hidden_characters

# What each token is called in a message: the committee writes rules, not grammars.
_TOKEN_WORDS = {
    "NAME": "a name",
    "UNIT_NAME": "a unit",
    "NUMBER": "a number",
    "SIGNED_INT": "a whole number",
    "STRING": 'a text in double quotes ("...")',
    "VERSION": "a version such as 1.0.0",
    "DATE": "a date such as 2025-01-01",
    "LANG": "a language tag (en or zh)",
    "COMPARE": "a comparison (>=, <=, >, <, ==, !=)",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "QUALITY": "primary or secondary",
    "LEVEL": "error or warning",
    "LINE_KIND": "credit or removal",
    "ORIGIN": "fossil, biogenic or luc",
    "FAMILY": ".*",
    "SIGN": "-",
}


class _Lines:
    """Post-lexer: a statement may run over several lines inside ( ) and [ ]; blank and comment
    lines between statements count as one line end."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        previous_newline = True
        for token in stream:
            if token.type == "_NL":
                if depth > 0 or previous_newline:
                    continue
                previous_newline = True
                yield token
                continue
            if token.type in ("LPAR", "LSQB"):
                depth += 1
            elif token.type in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
            previous_newline = False
            yield token


@cache
def parser(start: str = "start") -> Lark:
    """The LALR parser of the language, built once per process."""
    grammar = library.grammar_path().read_text(encoding="utf-8")
    kept = _cache_file(grammar, start)
    return Lark(
        grammar,
        cache=kept,
        cache_grammar=bool(kept),  # the grammar too, which tools such as hypothesis' read
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        postlex=_Lines() if start == "start" else None,
        start=start,
    )


def _cache_file(grammar: str, start: str) -> str | bool:
    """Where lark keeps the parser tables it built from this grammar (a tenth of the time to load
    than to build): a file named by the grammar's hash, in Zuji's own cache folder."""
    where = cachedir.folder("grammar")
    if where is None:
        return False
    key = hashlib.sha256(f"{grammar}\0{start}\0{lark.__version__}".encode()).hexdigest()
    return str(where / f"pcr-{start}-{key[:32]}.lark")


def normalise(text: str) -> str:
    """Text as the lexer reads it: no byte-order mark, and Windows line ends as plain ones."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def encoded(text: str, file: str) -> bytes:
    """The text as UTF-8. A text from a file was decoded from UTF-8 already; one sent over the
    network may hold a lone surrogate (JSON "\\ud800"), which is no character at all."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text[: exc.start].count("\n") + 1
        raise RuleError(
            Diagnostic(
                "E003",
                f"{file}: the rule text is not Unicode text "
                f"(character {exc.start} is a lone surrogate)",
                Span(file, line, 1),
                hint="send the rule as UTF-8 text",
            )
        ) from None


def parse(text: str, file: str = "<text>") -> Tree[Token]:
    """Parse rule text, raising a RuleError with one positioned diagnostic on a syntax error."""
    text = normalise(text)
    refuse_hidden_characters(text, file)
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        raise RuleError(syntax_diagnostic(exc, text, file)) from None
    _within_nesting(tree, file, text)
    return tree


def _within_nesting(tree: Tree[Token], file: str, text: str) -> None:
    """Refuse a tree deeper than the nesting limit, before anything walks it recursively.

    The LALR parser builds the tree without recursion; measuring it here, with a stack, is what
    keeps a rule such as `1 + 1 + ... + 1` ten thousand times from overflowing the builder.
    """
    most = limits.current().nesting
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > most:
            line = getattr(node.meta, "line", 1) if not node.meta.empty else 1
            column = getattr(node.meta, "column", 1) if not node.meta.empty else 1
            source = text.split("\n")[line - 1] if line <= text.count("\n") + 1 else ""
            raise RuleError(
                Diagnostic(
                    "E082",
                    f"the rule nests more than {most} levels deep here",
                    Span(file, line, column),
                    hint="split the expression with let values, or raise the nesting limit "
                    "(ZUJI_LIMITS=nesting=...)",
                    source_line=source,
                )
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def syntax_diagnostic(exc: UnexpectedInput, text: str, file: str) -> Diagnostic:
    line, column = max(exc.line, 1), max(exc.column, 1)
    if isinstance(exc, UnexpectedEOF):
        line, column = _end_position(text)
    source = text.split("\n")[line - 1] if line <= text.count("\n") + 1 else ""
    span = Span(file, line, column, line, column + _width(exc))
    message, hint = _explain(exc, source, column)
    hint = _number_hint(source, column) or hint
    return Diagnostic("E001", message, span, hint=hint, source_line=source)


_NUMBER_BEFORE = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)\s*$")


def _number_hint(source: str, column: int) -> str:
    """What to write for a number in a shape the language does not read, as people write them in
    reports and spreadsheets: 1,500 (a thousands separator or a decimal comma), 97 % (a unit
    outside its brackets), 1.2e (an exponent without digits)."""
    before, after = source[: column - 1], source[column - 1 :]
    number = _NUMBER_BEFORE.search(before)
    if number is None:
        return ""
    value = number.group(1)
    if (digits := re.match(r",(\d+)", after)) is not None and before.endswith(value):
        rest = digits.group(1)
        return (
            f"write {value}{rest} (numbers have no thousands separator) or {value}.{rest} "
            "(the decimal mark is a point)"
        )
    if after.startswith(("%", "‰")):
        return f"a unit is written in brackets after the number: {value} [{after[0]}]"
    if re.match(r"[eE](?![+-]?\d)", after) and before.endswith(value):
        return f"an exponent needs its digits: {value}e3 is {value} × 1000; or leave the e out"
    return ""


def _end_position(text: str) -> tuple[int, int]:
    lines = text.rstrip("\n").split("\n")
    return len(lines), len(lines[-1]) + 1


def _width(exc: UnexpectedInput) -> int:
    token = getattr(exc, "token", None)
    if isinstance(token, Token) and token.type not in ("_NL", "$END"):
        return max(len(str(token)), 1)
    return 1


def _explain(exc: UnexpectedInput, source: str, column: int) -> tuple[str, str]:
    if isinstance(exc, UnexpectedCharacters):
        char = source[column - 1 : column] or "?"
        return f"unexpected character {char!r}", _character_hint(char)
    expected = sorted(_describe(t) for t in _expected(exc))
    if isinstance(exc, UnexpectedEOF):
        return "the file ends too early: expected " + _either(expected), "is a '}' missing?"
    token = getattr(exc, "token", None)
    found = _found(token)
    hint = "is a '}' or a line break missing?" if "}" in " ".join(expected) else ""
    return f"unexpected {found}: expected {_either(expected)}", hint


def _expected(exc: UnexpectedInput) -> set[str]:
    # 'accepts' comes from the parser state; 'expected' from the lexer, which also lists the
    # line end that the post-lexer accepts everywhere.
    names = set(
        getattr(exc, "accepts", None)
        or getattr(exc, "expected", None)
        or getattr(exc, "allowed", None)
        or ()
    )
    return {n for n in names if n not in ("COMMENT", "WS")}


def _found(token: object) -> str:
    if not isinstance(token, Token):
        return "text"
    if token.type == "_NL":
        return "end of line"
    if token.type == "$END":
        return "end of file"
    return f"'{token}'"


def _describe(terminal: str) -> str:
    if terminal in _TOKEN_WORDS:
        return _TOKEN_WORDS[terminal]
    pattern = parser().get_terminal(terminal).pattern if _known(terminal) else None
    if pattern is not None and pattern.type == "str":
        return f"'{pattern.value}'"
    return terminal.lower()


def _known(terminal: str) -> bool:
    try:
        parser().get_terminal(terminal)
    except KeyError:
        return False
    return True


def _either(words: list[str]) -> str:
    words = list(dict.fromkeys(words))
    if len(words) > 8:
        return ", ".join(words[:8]) + " or another statement"
    if len(words) <= 1:
        return "".join(words) or "something else"
    return ", ".join(words[:-1]) + " or " + words[-1]


# What a Chinese input method or a word processor types in place of the ASCII the language reads.
_FULL_WIDTH = {
    "：": ":",
    "，": ",",
    "（": "(",
    "）": ")",
    "“": '"',
    "”": '"',
    "　": " ",
    "＝": "=",
    "；": ";",
    "【": "[",
    "】": "]",
    "｛": "{",
    "｝": "}",
    "＜": "<",
    "＞": ">",
    "－": "-",
    "＋": "+",
    "／": "/",
    "％": "%",
    "。": ".",
    "．": ".",
    "＊": "*",
    "≥": ">=",
    "≤": "<=",
    "＾": "^",
}
_TYPOGRAPHIC = {"×": "*", "÷": "/", "·": "*", "−": "-", "‘": '"', "’": '"', "\u00a0": " "}


def _character_hint(char: str) -> str:
    if char in _FULL_WIDTH:
        return f"this is a full-width character; write {_FULL_WIDTH[char]!r} instead"
    if char in _TYPOGRAPHIC:
        return f"write {_TYPOGRAPHIC[char]!r} instead of the typographic {char!r}"
    if ord(char) > 127:
        return "names and units are written in ASCII; Chinese text belongs in quotes after zh"
    if char == "'":
        return 'texts are written in double quotes: "..."'
    return ""


def parse_unit_text(text: str) -> Tree[Token]:
    """Parse a unit written in a dataset or inventory, e.g. 'kg CO2/kWh'."""
    return parser("unit_expr").parse(text.strip())
