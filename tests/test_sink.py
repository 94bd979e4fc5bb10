"""zuji.core.errors.DiagnosticSink: where every pass puts its findings, in the order found; and
read_as, which gives a document's error the class of what the document was meant to be."""

from __future__ import annotations

from pathlib import Path

import pytest

from zuji.core.documents import read_utf8
from zuji.core.errors import (
    DatasetError,
    Diagnostic,
    DiagnosticSink,
    DocumentError,
    RuleError,
    Severity,
    Span,
    read_as,
)
from zuji.lang.build import load_text

HERE = Span("steel.pcr", 12, 18, 12, 26)


def test_a_new_sink_is_empty() -> None:
    sink = DiagnosticSink()
    assert sink.items == []
    assert sink.errors == []


def test_error_and_warn_make_diagnostics_of_their_severity() -> None:
    sink = DiagnosticSink()
    sink.error("E203", "unknown factor 'co2_stel'", HERE, "did you mean 'co2_steel'?")
    sink.warn("W101", "no effective date", where="inputs/kiln")
    error, warning = sink.items
    assert error == Diagnostic(
        "E203", "unknown factor 'co2_stel'", HERE, Severity.ERROR, "did you mean 'co2_steel'?"
    )
    assert error.is_error
    assert warning.severity is Severity.WARNING and not warning.is_error
    assert (warning.span, warning.hint, warning.where) == (None, "", "inputs/kiln")


def test_findings_keep_the_order_they_were_found_in() -> None:
    sink = DiagnosticSink()
    sink.warn("W1", "first")
    sink.error("E1", "second")
    sink.add(Diagnostic("E2", "third"), Diagnostic("W2", "fourth", severity=Severity.WARNING))
    sink.error("E3", "fifth")
    assert [d.message for d in sink.items] == ["first", "second", "third", "fourth", "fifth"]


def test_errors_are_the_errors_only_in_order() -> None:
    sink = DiagnosticSink()
    sink.error("E1", "a")
    sink.warn("W1", "b")
    sink.error("E2", "c")
    assert [d.code for d in sink.errors] == ["E1", "E2"]
    assert len(sink.items) == 3


def test_add_takes_finished_diagnostics_as_they_are() -> None:
    made = Diagnostic("E301", "unknown unit 'tonn'", HERE, source_line="  input x : tonn")
    sink = DiagnosticSink()
    sink.add(made)
    sink.add()
    assert sink.items == [made]
    assert sink.items[0].source_line == "  input x : tonn"


def test_a_finding_prints_like_a_compiler_message() -> None:
    sink = DiagnosticSink()
    sink.error("E203", "unknown factor 'co2_stel'", HERE)
    assert sink.items[0].render() == "steel.pcr:12:18: error[E203]: unknown factor 'co2_stel'"


def test_a_sink_holds_nothing_but_its_findings() -> None:
    sink = DiagnosticSink()
    with pytest.raises(AttributeError):
        setattr(sink, "other", [])  # noqa: B010 - the attribute is not declared


def test_the_builder_reports_through_its_sink_in_order() -> None:
    text = 'module t {\n  status drafty\n  effective 2024-13-01\n  name en "a"\n  name en "b"\n}\n'
    _, findings = load_text(text, "t.pcr")
    assert [(d.code, d.span.line if d.span else 0) for d in findings] == [
        ("E103", 2),
        ("E110", 3),
        ("E102", 5),
    ]
    assert all(d.is_error for d in findings)
    assert findings[0].source_line == "  status drafty"


# ------------------------------------------------------------------------------ read_as


def test_read_as_raises_a_document_error_as_the_error_asked_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcr"
    bad.write_bytes(b"module t {\n\xff\n}\n")
    with pytest.raises(RuleError) as raised, read_as(RuleError):
        read_utf8(bad, not_utf8="E003")
    assert not isinstance(raised.value, DocumentError)
    assert raised.value.code == "E003"
    assert raised.value.span is not None and raised.value.span.line == 2


def test_read_as_keeps_the_one_diagnostic() -> None:
    found = Diagnostic("E011", "not valid YAML: oops", HERE)
    with pytest.raises(DatasetError) as raised, read_as(DatasetError):
        raise DocumentError(found)
    assert raised.value.diagnostics == [found]
    assert raised.value.__suppress_context__


def test_read_as_lets_other_errors_through() -> None:
    with pytest.raises(KeyError), read_as(DatasetError):
        raise KeyError("x")
    with read_as(RuleError):
        value = 1
    assert value == 1
