"""Size and complexity of the engine's code, against the limits the project keeps.

Three limits, each a point past which a reader can no longer hold the code in their head:

- a module of more than 500 lines is split by what its parts are about;
- a function (or method) of more than 60 lines, counted from its def line to its last line,
  is split into named steps;
- a block of cyclomatic complexity above 20 (radon's grade C at most, the same bound as ruff's
  C90 rule) is split where its decisions fall apart.

It prints what is over a limit and the totals; with --check it exits 1 when anything is.

    python benchmarks/code_metrics.py [--check] [ROOT ...]      (default ROOT: engine/zuji)
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from radon.complexity import cc_visit  # type: ignore[import-untyped]  # radon ships no types

MODULE_LINES = 500
FUNCTION_LINES = 60
COMPLEXITY = 20

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPOSITORY / "engine" / "zuji"


@dataclass(frozen=True)
class Finding:
    """One measure of one piece of code: a module's lines, a function's lines or a complexity."""

    path: str
    line: int
    name: str
    value: int


@dataclass
class Metrics:
    modules: list[Finding]
    functions: list[Finding]
    complexity: list[Finding]


def python_files(roots: list[Path]) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        else:
            yield from sorted(root.rglob("*.py"))


def shown(path: Path) -> str:
    """The path relative to the repository where it lies inside it, so output is stable."""
    resolved = path.resolve()
    if resolved.is_relative_to(REPOSITORY):
        return resolved.relative_to(REPOSITORY).as_posix()
    return path.as_posix()


def function_lengths(tree: ast.Module, path: str) -> Iterator[Finding]:
    """Every function and method, nested ones included, with its length from def to end.

    The def line, not a decorator's, starts the count: decorators are configuration, not body.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = node.end_lineno or node.lineno
            yield Finding(path, node.lineno, node.name, end - node.lineno + 1)


def complexities(source: str, path: str) -> Iterator[Finding]:
    """radon's cyclomatic complexity of every block (functions, methods and classes)."""
    for block in cc_visit(source):
        name = block.fullname if hasattr(block, "fullname") else block.name
        yield Finding(path, block.lineno, name, block.complexity)


def measure(roots: list[Path]) -> Metrics:
    metrics = Metrics([], [], [])
    for file in python_files(roots):
        source = file.read_text(encoding="utf-8")
        path = shown(file)
        metrics.modules.append(Finding(path, 1, file.stem, len(source.splitlines())))
        metrics.functions.extend(function_lengths(ast.parse(source, str(file)), path))
        metrics.complexity.extend(complexities(source, path))
    return metrics


def over(findings: list[Finding], limit: int) -> list[Finding]:
    """The findings above the limit, largest first."""
    return sorted(
        (f for f in findings if f.value > limit), key=lambda f: (-f.value, f.path, f.line)
    )


def worst(findings: list[Finding]) -> str:
    if not findings:
        return "-"
    top = max(findings, key=lambda f: f.value)
    return f"{top.value} ({top.path}:{top.line} {top.name})"


def report(metrics: Metrics) -> int:
    """Print what is over each limit and the totals; the number of findings over a limit."""
    sections = [
        (f"modules over {MODULE_LINES} lines", metrics.modules, MODULE_LINES, "lines"),
        (f"functions over {FUNCTION_LINES} lines", metrics.functions, FUNCTION_LINES, "lines"),
        (f"blocks of complexity over {COMPLEXITY}", metrics.complexity, COMPLEXITY, "complexity"),
    ]
    count = 0
    for title, findings, limit, measure_name in sections:
        found = over(findings, limit)
        count += len(found)
        print(f"{title}: {len(found)}")
        for f in found:
            where = f.path if measure_name == "lines" and f.line == 1 else f"{f.path}:{f.line}"
            print(f"  {f.value:5d} {measure_name}  {where}  {f.name}")
    print(
        f"totals: {len(metrics.modules)} modules, {sum(m.value for m in metrics.modules)} lines, "
        f"{len(metrics.functions)} functions, {len(metrics.complexity)} blocks"
    )
    print(f"longest module: {worst(metrics.modules)}")
    print(f"longest function: {worst(metrics.functions)}")
    print(f"most complex block: {worst(metrics.complexity)}")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("roots", nargs="*", type=Path, default=[DEFAULT_ROOT])
    parser.add_argument("--check", action="store_true", help="exit 1 when a limit is exceeded")
    args = parser.parse_args(argv)
    count = report(measure(args.roots))
    if args.check and count:
        print(f"{count} over the limits", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
