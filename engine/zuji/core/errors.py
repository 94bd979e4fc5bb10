"""Diagnostics and the one error hierarchy of Zuji.

Every finding has a code, a severity, a message and, where it has one, a source span; it prints
the same way everywhere: ``file:line:col: error[E203]: message`` followed by the source line and a
caret. Checkers return findings as data; the API raises them wrapped in a :class:`ZujiError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from zuji.core.i18n import language, localise, pgettext
from zuji.core.text import printable


@dataclass(frozen=True, slots=True)
class Span:
    """Where a construct stands in its file (1-based lines and columns, end exclusive)."""

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Severity(str, Enum):  # noqa: UP042 - a StrEnum would print its members differently
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a rule file, an inventory or a dataset."""

    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    hint: str = ""
    source_line: str = field(default="", compare=False)
    # The part of a document at fault (inputs/kiln_electricity), for an inventory's findings.
    where: str = field(default="", compare=False)
    # The cell of a spreadsheet inventory at fault ('燃料!C4'), written after the file's name in
    # the message: kept apart too, so that each language joins it to the message in its own way.
    place: str = field(default="", compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self) -> str:
        """The diagnostic as a compiler prints it, with the source line and a caret; hidden
        characters of the message or the source (controls, bidi overrides) are shown as U+FFFD,
        one column each, so the caret still points where it should."""
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.severity.value}[{self.code}]: {self.text}"
        if self.hint:
            # Chinese joins a label to its text with a full-width colon, as its messages do.
            colon = "：" if language() == "zh" else ": "
            text += f"\n  {pgettext('label', 'hint')}{colon}{self.hint_text}"
        caret = _caret(self.span, self.source_line)
        return printable(f"{text}\n{caret}" if caret else text)

    @property
    def text(self) -> str:
        """The message in the language in use (the English as made when no translation fits)."""
        if self.place and self.span is not None:
            return _placed(self.code, self.message, self.span.file, self.place)
        return localise(self.code, self.message)

    @property
    def hint_text(self) -> str:
        return localise(self.code, self.hint, "hint")

    def as_dict(self) -> dict[str, object]:
        span = self.span
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.text,
            "hint": self.hint_text or None,
            "file": span.file if span else None,
            "line": span.line if span else None,
            "column": span.column if span else None,
            "where": self.where or None,
        }


def _placed(code: str, message: str, file: str, place: str) -> str:
    """A finding about a cell of a spreadsheet, made as 'file: place: message' ('cement.xlsx:
    燃料!C4: kiln_fuels[0].amount: ...'), in the language in use: the message without the place
    is translated by its code's templates, then the place is put back after the file's name and
    joined to what follows as the language joins a place to its message (the Chinese templates
    write '{file}：{where}：', so: 'cement.xlsx：燃料!C4：kiln_fuels[0].amount：...')."""
    if language() == "en":
        return message
    text = localise(code, message.replace(f"{file}: {place}: ", f"{file}: ", 1))
    for head in (f"{file}：", f"{file}: "):
        at = text.find(head)
        if at >= 0:
            at += len(head)
            return f"{text[:at]}{place}：{text[at:]}"
    return f"{place}：{text}"


def _caret(span: Span | None, source_line: str) -> str:
    if span is None or not source_line:
        return ""
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    gutter = f"{span.line:>5} | "
    pad = " " * (len(gutter) - 2) + "| " + _indent_like(source_line, span.column - 1)
    return f"{gutter}{source_line}\n{pad}{'^' * width}"


def _indent_like(line: str, count: int) -> str:
    # Keep tabs so the caret lines up under tab-indented source.
    return "".join("\t" if ch == "\t" else " " for ch in line[:count])


def attach_source(diagnostics: list[Diagnostic], sources: Mapping[str, str]) -> list[Diagnostic]:
    """Fill in each diagnostic's source line from the texts it points into."""
    out = []
    for diag in diagnostics:
        span = diag.span
        text = sources.get(span.file) if span else None
        if span is None or text is None or diag.source_line:
            out.append(diag)
            continue
        lines = text.splitlines()
        line = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
        out.append(_replace_source(diag, line))
    return out


def _replace_source(diag: Diagnostic, line: str) -> Diagnostic:
    return Diagnostic(
        diag.code, diag.message, diag.span, diag.severity, diag.hint, line, diag.where
    )


class DiagnosticSink:
    """Where a pass puts its findings, in the order found: every stage that reports errors and
    warnings (building, resolving, checking, compiling, reading an inventory, evaluating) collects
    them here, so a finding is made the same way everywhere."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(
        self, code: str, message: str, span: Span | None = None, hint: str = "", where: str = ""
    ) -> None:
        self.items.append(Diagnostic(code, message, span, Severity.ERROR, hint, where=where))

    def warn(
        self, code: str, message: str, span: Span | None = None, hint: str = "", where: str = ""
    ) -> None:
        self.items.append(Diagnostic(code, message, span, Severity.WARNING, hint, where=where))

    def add(self, *diagnostics: Diagnostic) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        items = self.items
        return [d for d in items if d.is_error] if items else []  # most passes find nothing


class ZujiError(Exception):
    """Base of every error Zuji raises for a user's mistake; carries its diagnostics."""

    exit_code = 1

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, code: str = "E000"):
        if isinstance(diagnostics, str):
            diagnostics = Diagnostic(code, diagnostics)
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.render() for d in diagnostics))

    @property
    def code(self) -> str:
        """The code of the first diagnostic (E501, E650 ...)."""
        return self.diagnostics[0].code if self.diagnostics else "E000"

    @property
    def span(self) -> Span | None:
        """Where the first diagnostic points (file, line, column), if it points anywhere."""
        return self.diagnostics[0].span if self.diagnostics else None


class RuleError(ZujiError):
    """A rule file does not parse or does not pass its checks."""


class InventoryError(ZujiError):
    """An inventory does not fit its PCR."""


class DatasetError(ZujiError):
    """A factor dataset or GWP set is missing, malformed or fails its schema."""


class EvaluationError(ZujiError):
    """Evaluation produced a number that cannot be a footprint (NaN, infinity, division by zero)."""


class UsageError(ZujiError):
    """The command line or the API was called wrongly (unknown PCR, missing file)."""

    exit_code = 2


class PactError(ZujiError):
    """A PACT document (made by Zuji or received from a supplier) breaks the specification."""


class AccessError(ZujiError):
    """A caller is not allowed: no credentials, wrong ones, an expired token or a missing scope.

    `reason` is one of "missing", "invalid", "expired" or "scope"; the HTTP service answers 401
    for the first three and 403 for the last."""

    def __init__(self, diagnostic: Diagnostic, reason: str) -> None:
        super().__init__(diagnostic)
        self.reason = reason


class CatalogueError(ZujiError):
    """The catalogue cannot do what was asked: no such database, record or client, a step out of
    the workflow's order, or a role that may not take it (E940-E969).

    `status` is the HTTP status the service answers with (404, 409, 403, 400 ...)."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, status: int = 400):
        super().__init__(diagnostics)
        self.status = status


class ResultError(ZujiError):
    """A result file is malformed, cannot be replayed, or does not prove what it records: its
    signature, a hash or a recomputed field does not match (E720-E739)."""


class DocumentError(ZujiError, ValueError):
    """A file that cannot be read or is not a well-formed YAML or JSON document (E010-E014).

    Also a ValueError, the malformed-value error it is, so callers that read values may catch
    either; each reader re-raises it as the error of what the document was meant to be (an
    inventory, a dataset, a rule file), keeping its one diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic)

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]


@contextmanager
def read_as(error: type[ZujiError]) -> Iterator[None]:
    """Within the block, a DocumentError is raised again as `error` with its one diagnostic: what
    the document was meant to be (a rule file, a dataset) decides the error callers catch."""
    try:
        yield
    except DocumentError as exc:
        raise error(exc.diagnostic) from None


class UnitSyntaxError(ZujiError, ValueError):
    """A unit name that neither Zuji's table nor pint knows (E301).

    Always folded into the diagnostic of the input, line or factor whose unit it is, so its text
    (``str``) is the plain sentence, without a code or position of its own."""

    def __init__(self, message: str) -> None:
        super().__init__(Diagnostic("E301", message))
        self.message = message

    def __str__(self) -> str:
        return self.message


# Raised by compiled closures while they run. The evaluator catches each and reports it as an
# EvaluationError naming the line or value being computed, which the closure does not know.


class NotGiven(EvaluationError):
    """An optional input (or a list item's optional field) was used without a `given(...)` guard
    and the inventory left it out."""

    def __init__(
        self, name: str, span: Span | None, via: tuple[str, ...] = (), item: str = ""
    ) -> None:
        # `item`: the list item that leaves out its optional field `name` ("deliveries[1]").
        super().__init__(
            Diagnostic("E620", f"'{item}.{name}' is needed, and the inventory leaves it out", span)
            if item
            else Diagnostic(
                "E620", f"input '{name}' is needed, and the inventory leaves it out", span
            )
        )
        self.name, self.via, self.item = name, via, item


class MissingMember(EvaluationError):
    """A factor family has no value in force for the member an inventory's choice picks."""

    def __init__(self, family: str, member: str) -> None:
        super().__init__(Diagnostic("E610", f"factor {family}[{member}] has no value in force"))
        self.family, self.member = family, member


class DivisionByZero(EvaluationError):
    """A divisor is zero in this inventory."""

    def __init__(self, divisor: str, span: Span | None) -> None:
        super().__init__(Diagnostic("E621", f"'{divisor}' is 0 in this inventory", span))
        self.divisor = divisor


def file_label(path: Path | str) -> str:
    """A path as diagnostics show it: relative to the working folder when it lies below it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
