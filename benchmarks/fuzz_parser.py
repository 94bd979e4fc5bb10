"""Coverage-guided fuzzing of the engine's readers with atheris: rule files (parse, build, resolve,
check, compile) or inventories (YAML/JSON reading, checking against the cement PCR, evaluation).

Run for a bounded time, not in `make test`:

    make fuzz-parser SECONDS=300                      # rules
    make fuzz-parser SECONDS=300 TARGET=inventory     # inventories
    python benchmarks/fuzz_parser.py --seconds 300 --target inventory

Atheris mutates bytes towards new branches of the engine's code, starting from a seed corpus
(rules: tests/fuzz/seeds, tests/fuzz/found and the bundled library; inventories: the worked cases
of the cement PCR). Any exception other than the engine's own ZujiError is a finding: libFuzzer
writes the input to build/fuzz/crash-<sha> and the run stops. At the end libFuzzer prints the
executions, their rate and the coverage reached.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=int, default=300)
    options.add_argument("--target", choices=["rule", "inventory"], default="rule")
    options.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz")
    args = options.parse_args()

    import atheris

    with atheris.instrument_imports(include=["zuji", "lark", "yaml", "jsonschema"]):
        import zuji
        from zuji.core.errors import ZujiError

    args.out.mkdir(parents=True, exist_ok=True)
    corpus = Path(tempfile.mkdtemp(prefix="zuji-corpus-"))
    if args.target == "rule":
        seeds = [
            *ROOT.glob("tests/fuzz/seeds/*.pcr"),
            *ROOT.glob("tests/fuzz/found/*.pcr"),
            *ROOT.glob("pcr/**/*.pcr"),
        ]
    else:
        seeds = [*ROOT.glob("pcr/cement/cases/*.yaml"), *ROOT.glob("pcr/cement/cases/*.json")]
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i}{seed.suffix}").write_bytes(seed.read_bytes())

    def one_rule(data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        try:
            pcr = zuji.load_text(text, "fuzz.pcr")
        except ZujiError as exc:
            if not all(d.span is not None for d in exc.diagnostics):
                raise AssertionError(f"diagnostic without a position: {exc}") from None
            return
        for diagnostic in pcr.errors:
            diagnostic.render()

    cement = zuji.load("cement")
    folder = Path(tempfile.mkdtemp(prefix="zuji-inventory-"))

    def one_inventory(data: bytes) -> None:
        # Through a file, as an enterprise sends one: YAML, or JSON when it looks like JSON.
        suffix = ".json" if data.lstrip()[:1] in (b"{", b"[") else ".yaml"
        path = folder / f"inventory{suffix}"
        path.write_bytes(data)
        try:
            result = cement.evaluate(path)
        except ZujiError as exc:
            if not exc.diagnostics:
                raise AssertionError(f"an error without diagnostics: {exc!r}") from None
            return
        if not (math.isfinite(result.total) and result.total >= 0):
            raise AssertionError(f"a footprint of {result.total}")

    print(f"{args.target}: {len(seeds)} seeds; findings go to {args.out}/crash-*", file=sys.stderr)
    # libFuzzer prints the executions, their rate, the coverage (cov:) and the new inputs found
    # (-print_final_stats), and exits the process itself when the time is up.
    sys.argv = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={args.seconds}",
        f"-artifact_prefix={args.out}/",
        "-max_len=65536",
        "-rss_limit_mb=4096",
        "-print_final_stats=1",
    ]
    atheris.Setup(sys.argv, one_rule if args.target == "rule" else one_inventory)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
