"""The check of a rule text sent to the service, as the checker processes run it."""

from __future__ import annotations

from typing import Any

from zuji.core import library as lib
from zuji.core.errors import ZujiError
from zuji.interfaces.serve_models import CheckReport, DiagnosticOut
from zuji.runtime.pcr import load as load_pcr
from zuji.runtime.pcr import load_text as load_pcr_text


def warm() -> None:
    """Load the datasets and the grammar once, before the first text arrives."""
    load_pcr(lib.bundled_pcr_root() / "cement" / "cement.pcr")


def check_text(text: str, name: str) -> dict[str, Any]:
    """Check a rule text through the engine's own loading: its limits apply and its caches are
    bounded, so texts from the network cannot pile up in memory. Modules it uses come from the
    bundled library only: the text's file name is the caller's, not a place on this machine."""
    rule_id = None
    try:
        with lib.library_only():
            pcr = load_pcr_text(text, name)
        rule_id, diagnostics = pcr.rule.id, pcr.diagnostics
    except ZujiError as exc:
        diagnostics = exc.diagnostics
    errors = sum(1 for d in diagnostics if d.is_error)
    report = CheckReport(
        ok=errors == 0,
        id=rule_id,
        errors=errors,
        warnings=len(diagnostics) - errors,
        diagnostics=[DiagnosticOut.model_validate(d.as_dict()) for d in diagnostics],
    )
    return report.model_dump()
