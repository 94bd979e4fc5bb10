"""Zuji (足迹): Product Category Rules as code, evaluated with units and a full audit trail.

    import zuji
    pcr = zuji.load("cement")
    result = pcr.evaluate("inventory.yaml")
    print(result.total, result.by_stage)
"""

__version__ = "0.1.0"

from zuji.api import PCR, check_paths, list_pcrs, load, load_text  # noqa: E402
from zuji.errors import (  # noqa: E402
    DatasetError,
    Diagnostic,
    EvaluationError,
    InventoryError,
    RuleError,
    UsageError,
    ZujiError,
)
from zuji.result import Result  # noqa: E402

__all__ = [
    "PCR",
    "DatasetError",
    "Diagnostic",
    "EvaluationError",
    "InventoryError",
    "Result",
    "RuleError",
    "UsageError",
    "ZujiError",
    "__version__",
    "check_paths",
    "list_pcrs",
    "load",
    "load_text",
]
