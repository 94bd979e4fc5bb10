"""Coverage-guided fuzzing of the rule reader (parse, build, resolve, check, compile) with atheris.

Run for a bounded time, not in `make test`:

    make fuzz-parser SECONDS=300        # or: python benchmarks/fuzz_parser.py --seconds 300

Atheris mutates bytes towards new branches of the engine's code, starting from the seed corpus
(tests/fuzz/seeds, tests/fuzz/found and the bundled library). Any exception other than the
engine's own ZujiError is a finding: the input is written to build/fuzz/crash-*.pcr and the run
stops. At the end libFuzzer prints the executions, their rate and the coverage reached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=int, default=300)
    options.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz")
    args = options.parse_args()

    import atheris

    with atheris.instrument_imports(include=["zuji", "lark"]):
        import zuji
        from zuji.errors import ZujiError

    args.out.mkdir(parents=True, exist_ok=True)
    corpus = Path(tempfile.mkdtemp(prefix="zuji-corpus-"))
    seeds = [*ROOT.glob("tests/fuzz/seeds/*.pcr"), *ROOT.glob("tests/fuzz/found/*.pcr"),
             *ROOT.glob("pcr/**/*.pcr")]
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i}.pcr").write_bytes(seed.read_bytes())

    def one_input(data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        try:
            pcr = zuji.load_text(text, "fuzz.pcr")
        except ZujiError as exc:
            if not all(d.span is not None for d in exc.diagnostics):
                raise AssertionError(f"diagnostic without a position: {exc}") from None
            return
        for diagnostic in pcr.errors:
            diagnostic.render()

    print(f"{len(seeds)} seeds; findings go to {args.out}/crash-*", file=sys.stderr)
    # libFuzzer prints the executions, their rate, the coverage (cov:) and the new inputs found
    # (-print_final_stats), and exits the process itself when the time is up.
    sys.argv = [sys.argv[0], str(corpus), f"-max_total_time={args.seconds}",
                f"-artifact_prefix={args.out}/", "-max_len=65536", "-rss_limit_mb=4096",
                "-print_final_stats=1"]
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("ZUJI_LIMITS", "")
    raise SystemExit(main())
