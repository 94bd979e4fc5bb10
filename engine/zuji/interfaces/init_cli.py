"""`zuji init`: a committee repository that checks and tests clean from its first minute."""

# Annotations not postponed: typer reads them at every start (see cli.py).

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from zuji.core import i18n
from zuji.core.errors import Diagnostic, UsageError
from zuji.core.files import write_atomic
from zuji.core.i18n import N_, _
from zuji.core.text import printable
from zuji.interfaces import init_templates as t
from zuji.interfaces.cli_words import ZujiCommand


def files_for(name: str, lang: str) -> dict[Path, str]:
    """Every file of a new repository, by path inside it."""
    sample = t.SAMPLE_PCR.replace("{today}", date.today().isoformat())
    readme = t.README_ZH if lang == "zh" else t.README_EN
    return {
        Path("zuji.toml"): t.CONFIG.format(name=name.replace('"', "'")),
        Path("README.md"): readme.format(name=name),
        Path(".gitignore"): t.GITIGNORE,
        Path("ci") / "check.sh": t.CI_SCRIPT,
        Path("pcr") / "quicklime" / "quicklime.pcr": sample,
        Path("pcr") / "quicklime" / "cases" / "sample_kiln.yaml": t.SAMPLE_CASE,
        Path("standards") / "factors" / "README.md": t.DATASET_README,
    }


def init_repository(folder: Path, lang: str = "en") -> list[Path]:
    """Write a new committee repository into `folder` (created if missing; it must not hold a
    library already). Nothing is written if any file is in the way."""
    if lang not in ("en", "zh"):
        raise UsageError(Diagnostic("E004", f"--lang {lang}: use en or zh"))
    files = files_for(folder.resolve().name, lang)
    clashes = [p for p in [*files, Path("pcr")] if (folder / p).exists()]
    if clashes:
        raise UsageError(
            Diagnostic(
                "E002",
                f"{folder / clashes[0]} already exists; `zuji init` writes only into a folder "
                "without a library (choose another folder, or move it away)",
            )
        )
    written = []
    for relative, text in files.items():
        written.append(write_atomic(folder / relative, text))
    (folder / "ci" / "check.sh").chmod(0o755)
    return written


def register(app: typer.Typer) -> None:
    @app.command(
        "init",
        cls=ZujiCommand,
        help=N_(
            "Create a committee repository: zuji.toml, a sample PCR with a worked case, a README, "
            "a .gitignore and a CI script running zuji check and zuji test."
        ),
    )
    def init(
        folder: Annotated[Path, typer.Argument(help=N_("Where to create it"))] = Path("."),
        lang: Annotated[
            str | None,
            typer.Option("--lang", help=N_("en or zh (the README); else Zuji's language")),
        ] = None,
    ) -> None:
        """Create a committee repository: zuji.toml, a sample PCR with a worked case, a
        README, a .gitignore and a CI script running zuji check and zuji test."""
        # `zuji --lang zh init` and `zuji init --lang zh` alike: the command line takes --lang
        # for the whole run, so the README follows the run's language unless given here.
        written = init_repository(folder, lang or i18n.language())
        for path in written:
            typer.echo(printable(_("wrote {path}").format(path=path)))
        typer.echo(
            printable(_("next: cd {folder} && zuji check && zuji test").format(folder=folder))
        )
