"""Zuji (足迹): Product Category Rules as code, evaluated with units and a full audit trail.

    import zuji
    pcr = zuji.load("cement")
    result = pcr.evaluate("inventory.yaml")
    print(result.total, result.by_stage)

The public names (``__all__``), everything another system needs:

- ``load(id_or_path)`` / ``load_text(text)`` -> ``PCR``: a checked, compiled rule;
  ``PCR.evaluate(inventory, trace=False)`` -> ``Result``; ``PCR.schema()``: the inventory's JSON
  Schema; ``PCR.diagnostics``: its findings. ``list_pcrs()``, ``check_paths(paths)``.
- ``Result``: a pydantic model (``.model_dump_json()``), kg CO2e per declared unit.
- ``to_pact(result)``: the result as a PACT ProductFootprint (Tech Specs 3.0);
  ``check_pact(document)``: what a ProductFootprint breaks of PACT (an empty list when nothing).
- ``replay(document)`` / ``replay_file(path)``: recompute a traced result and list every
  number that differs.
- Errors: ``ZujiError`` and its subclasses ``RuleError``, ``InventoryError``, ``DatasetError``,
  ``EvaluationError``, ``PactError``, ``UsageError``. Each carries ``.code`` and
  ``.diagnostics``: ``Diagnostic`` (code, message, ``span``: a ``Span`` with file, line,
  column; ``where``: the inventory input at fault).
"""

from typing import TYPE_CHECKING, Any

from zuji.core import limits as limits  # zuji.limits.configure(...), as documented
from zuji.core.errors import (
    DatasetError,
    Diagnostic,
    EvaluationError,
    InventoryError,
    PactError,
    RuleError,
    Span,
    UsageError,
    ZujiError,
)
from zuji.core.version import __version__

if TYPE_CHECKING:
    from zuji.exchange.pact import check as check_pact
    from zuji.exchange.pact import to_pact
    from zuji.exchange.replay import Replay, replay, replay_file
    from zuji.runtime.pcr import PCR, check_paths, list_pcrs, load, load_text
    from zuji.runtime.result import Result

# The engine's names, imported when first asked for: `import zuji` (and the command line,
# whose `zuji --help` needs none of them) does not pay for the unit registry, the parser and the
# validators until a rule is loaded.
_LAZY = {
    "check_pact": ("zuji.exchange.pact", "check"),
    "to_pact": ("zuji.exchange.pact", "to_pact"),
    "Replay": ("zuji.exchange.replay", "Replay"),
    "replay": ("zuji.exchange.replay", "replay"),
    "replay_file": ("zuji.exchange.replay", "replay_file"),
    "PCR": ("zuji.runtime.pcr", "PCR"),
    "check_paths": ("zuji.runtime.pcr", "check_paths"),
    "list_pcrs": ("zuji.runtime.pcr", "list_pcrs"),
    "load": ("zuji.runtime.pcr", "load"),
    "load_text": ("zuji.runtime.pcr", "load_text"),
    "Result": ("zuji.runtime.result", "Result"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'zuji' has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _LAZY[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # asked once: later look-ups find it without this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "PCR",
    "DatasetError",
    "Diagnostic",
    "EvaluationError",
    "InventoryError",
    "PactError",
    "Replay",
    "Result",
    "RuleError",
    "Span",
    "UsageError",
    "ZujiError",
    "__version__",
    "check_pact",
    "check_paths",
    "list_pcrs",
    "load",
    "load_text",
    "replay",
    "replay_file",
    "to_pact",
]
