"""`zuji mc`: Monte Carlo uncertainty of one inventory's footprint, as a table, JSON, a terminal
histogram and, on request, an SVG (written here) or a PNG (with matplotlib, if installed).
"""

# Annotations not postponed: typer reads them at every start (see cli.py).

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zuji.core import startup
from zuji.core.errors import Diagnostic, UsageError
from zuji.core.files import atomic_path, write_atomic
from zuji.core.i18n import N_, _
from zuji.core.text import pad
from zuji.interfaces.cli_words import ZujiCommand

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from zuji.runtime.montecarlo import MonteCarlo

_FORMATS = ("table", "json")
BINS = 24


def mc_command(
    pcr: Annotated[str, typer.Argument(help=N_("PCR id or path"))],
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help=N_("Inventory YAML/JSON"))],
    n: Annotated[int, typer.Option("-n", help=N_("Number of samples"))] = 10_000,
    seed: Annotated[
        int | None, typer.Option("--seed", help=N_("Seed: the same seed, the same figures"))
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help=N_("Write a histogram: out.svg (or out.png)"))
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help=N_("table or json"))] = "table",
    workers: Annotated[
        int | None, typer.Option("--workers", help=N_("Sample in N local processes"))
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help=N_("Sample on a Dask cluster: tcp://host:8786 or local")),
    ] = None,
) -> None:
    """Monte Carlo: the footprint's distribution from its inputs' and factors' uncertainty."""
    if fmt not in _FORMATS:
        raise UsageError(Diagnostic("E004", f"unknown format {fmt}; use " + ", ".join(_FORMATS)))
    if plot is not None and plot.suffix.lower() not in (".svg", ".png"):
        raise UsageError(
            Diagnostic("E682", f"--plot {plot}: write the histogram as a .svg or a .png file")
        )
    if plot is not None and plot.suffix.lower() == ".png":
        _matplotlib(plot)  # before sampling: a missing library is known at once
    from zuji.runtime.executors import executor_for
    from zuji.runtime.pcr import load

    loaded = load(pcr)
    startup.keep_freed_memory()  # the partitions' arrays reuse each other's pages
    from zuji.interfaces.progress import progress

    with executor_for(workers, dask) as executor, progress(_("{count} draws").format(count=n)):
        found = loaded.monte_carlo(inventory, n, seed, executor)
    if plot is not None:
        _write_plot(found, plot, f"{loaded.id} {loaded.version}")
    typer.echo(
        json.dumps(as_json(found), ensure_ascii=False, indent=2) if fmt == "json" else table(found)
    )


def register(app: typer.Typer) -> None:
    app.command(
        "mc",
        cls=ZujiCommand,
        help=N_(
            "Monte Carlo: the footprint's distribution from its inputs' and factors' uncertainty."
        ),
    )(mc_command)


def as_json(found: "MonteCarlo") -> dict[str, Any]:
    return {
        "unit": "kg CO2e per declared unit",
        "n": found.n,
        "kept": len(found.totals),
        "refused": found.refused,
        "seed": str(found.seed),
        "deterministic": found.deterministic,
        "mean": found.mean,
        "median": found.median,
        "sd": found.sd,
        "p2_5": found.percentile(2.5),
        "p97_5": found.percentile(97.5),
        "method": found.method,
        "r_squared": _number(found.r_squared),
        "parameters": [
            {
                "name": f.parameter.name,
                "kind": f.parameter.kind,
                "reference": f.parameter.reference or None,
                "distribution": f.parameter.distribution.describe(f.parameter.unit),
                "basis": f.parameter.distribution.basis,
                "src": _number(f.src),
                "variance_share": _number(f.contribution),
            }
            for f in found.parameters
        ],
    }


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def table(found: "MonteCarlo") -> str:
    mean, sd = found.mean, found.sd
    error = sd / math.sqrt(max(len(found.totals), 1))
    relative = 100 * sd / mean if mean else math.nan
    rows = (
        (_("deterministic"), f"{found.deterministic:12.4f}", ""),
        (_("mean"), f"{mean:12.4f}", _("(standard error {error})").format(error=f"{error:.4f}")),
        (_("median"), f"{found.median:12.4f}", ""),
        (_("sd"), f"{sd:12.4f}", _("({share} % of the mean)").format(share=f"{relative:.2f}")),
        ("2.5 %", f"{found.percentile(2.5):12.4f}", ""),
        ("97.5 %", f"{found.percentile(97.5):12.4f}", ""),
    )
    out = [
        _("Monte Carlo, {n} samples (seed {seed}); kg CO2e per declared unit").format(
            n=f"{found.n:,}", seed=found.seed
        ),
        # Padded by the width a terminal gives each character: a Chinese one takes two columns.
        *(f"  {pad(label, 14)}  {value}   {note}".rstrip() for label, value, note in rows),
    ]
    if found.refused:
        out.append(
            "  "
            + _(
                "left out: {count} samples the engine refuses as inventories "
                "(a negative line, a failed error assertion ...)"
            ).format(count=f"{found.refused:,}")
        )
    if math.isfinite(found.r_squared):
        out += [
            "",
            _("Share of the variance (SRC², add up to R² = {r2}):").format(
                r2=f"{found.r_squared:.4f}"
            ),
        ]
    else:
        out += [
            "",
            _("Uncertain values read (they do not move this footprint beyond rounding):"),
        ]
    width = max(len(f.parameter.name) for f in found.parameters)
    for f in found.parameters:
        share = f"{100 * f.contribution:6.2f} %" if math.isfinite(f.contribution) else "      -"
        out.append(
            f"  {f.parameter.name.ljust(width)}  {share}  "
            f"{f.parameter.distribution.describe(f.parameter.unit)}"
        )
    out += ["", *histogram(found.totals)]
    return "\n".join(out)


def _bins(totals: "npt.NDArray[np.float64]") -> tuple[Any, Any]:
    import numpy as np

    low, high = float(np.min(totals)), float(np.max(totals))
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.histogram(totals, bins=BINS, range=(low, high))


def histogram(totals: "npt.NDArray[np.float64]", width: int = 50) -> list[str]:
    """The samples' histogram as rows of the terminal, one per bin."""
    counts, edges = _bins(totals)
    most = int(counts.max()) or 1
    rows = []
    for count, low, high in zip(counts, edges[:-1], edges[1:], strict=True):
        bar = "█" * round(width * int(count) / most)
        rows.append(f"  {low:12.4f} .. {high:12.4f} | {bar} {int(count):,}")
    return rows


def _write_plot(found: "MonteCarlo", path: Path, title: str) -> None:
    if path.suffix.lower() == ".svg":
        write_atomic(path, svg(found, title))
        return
    plt = _matplotlib(path)
    figure, axes = plt.subplots(figsize=(8, 4.5))
    axes.hist(found.totals, bins=BINS * 2)
    for q in (2.5, 97.5):
        axes.axvline(found.percentile(q), linestyle="--")
    axes.axvline(found.mean)
    axes.set_xlabel("kg CO2e per declared unit")
    axes.set_title(title)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=120)
    plt.close(figure)


def _matplotlib(path: Path) -> Any:
    """matplotlib's pyplot, optional: only a PNG needs it."""
    try:
        import matplotlib  # type: ignore[import-not-found]  # optional: PNG output only

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found]  # optional
    except ImportError:
        raise UsageError(
            Diagnostic(
                "E682",
                f"--plot {path}: a PNG needs matplotlib, which is not installed",
                hint="pip install matplotlib, or write the histogram as .svg",
            )
        ) from None
    return plt


def svg(found: "MonteCarlo", title: str) -> str:
    """A histogram of the samples as SVG, with the mean and the 95 % interval marked."""
    counts, edges = _bins(found.totals)
    w, h, left, bottom, top = 720, 400, 60, 50, 40
    plot_w, plot_h = w - left - 20, h - bottom - top
    most = int(counts.max()) or 1
    low, high = float(edges[0]), float(edges[-1])

    def x(value: float) -> float:
        return left + plot_w * (value - low) / (high - low)

    bar_w = plot_w / len(counts)
    bars = "".join(
        f'<rect x="{left + i * bar_w:.2f}" y="{top + plot_h * (1 - c / most):.2f}" '
        f'width="{bar_w - 1:.2f}" height="{plot_h * c / most:.2f}" fill="#4a7fb5"/>'
        for i, c in enumerate(int(c) for c in counts)
    )
    marks = "".join(
        f'<line x1="{x(v):.2f}" y1="{top}" x2="{x(v):.2f}" y2="{top + plot_h}" '
        f'stroke="{colour}" stroke-dasharray="{dash}"/>'
        f'<text x="{x(v):.2f}" y="{top - 6}" text-anchor="middle" font-size="11">{label}</text>'
        for v, colour, dash, label in (
            (found.percentile(2.5), "#b54a4a", "4 3", "2.5 %"),
            (found.mean, "#222", "none", "mean"),
            (found.percentile(97.5), "#b54a4a", "4 3", "97.5 %"),
        )
    )
    ticks = "".join(
        f'<text x="{x(v):.2f}" y="{top + plot_h + 18}" text-anchor="middle" font-size="11">'
        f"{v:.4g}</text>"
        for v in (low + (high - low) * i / 4 for i in range(5))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif">'
        f"<title>{_escape(title)}: Monte Carlo, {found.n} samples</title>"
        f'<rect width="{w}" height="{h}" fill="white"/>{bars}{marks}{ticks}'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#222"/>'
        f'<text x="{left + plot_w / 2}" y="{h - 10}" text-anchor="middle" font-size="12">'
        "kg CO2e per declared unit</text>"
        f'<text x="{left}" y="18" font-size="13">{_escape(title)}: mean {found.mean:.4g}, '
        f"sd {found.sd:.3g}, n = {found.n:,}</text></svg>\n"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
