"""The command line's own words in the reader's language.

Three kinds of text reach a reader from the command line, each put into the catalogue's language
the way typer, and the copy of click it carries (``typer._click``), leave room for:

- Zuji's help texts of commands, arguments and options are written in English where the commands
  are defined (marked ``N_`` for the catalogue) and translated as the command tree is built for a
  run (`ZujiGroup`, `ZujiCommand`). typer builds that tree afresh on every call, so one process
  answers in either language.
- typer's own words (the "Arguments", "Options" and "Commands" headings, "[default: …]",
  "[required]", "No such command") are marked with the standard gettext module, which looks them
  up in the process's text domain as they are printed. For a run in Chinese the domain is bound
  to Zuji's compiled catalogue (`speaking`); both are put back when the run ends.
- click's words are plain English in typer's copy: "Usage:" comes from the help formatter, so a
  formatter of our own (`ZujiFormatter`) writes it; "Show this message and exit." is the help
  option's text, translated where the option is made; and a usage mistake (an option missing,
  unknown or without its value, a value of the wrong kind) is caught as click's exception and
  printed as Zuji's diagnostic E006, made from the exception's parts (`usage_mistake`).
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from typer._click import exceptions as click_errors
from typer._click.formatting import HelpFormatter, wrap_text
from typer.core import TyperCommand, TyperGroup
from typer.models import Context

from zuji.core import i18n
from zuji.core.errors import Diagnostic
from zuji.core.i18n import N_, _
from zuji.core.text import columns

HELP_OPTION = N_("Show this message and exit.")


class ZujiFormatter(HelpFormatter):
    """click's help formatter with "Usage:" in the reader's language, and Chinese help texts
    wrapped by terminal columns: click wraps at spaces only, and Chinese has none."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        colon = "：" if _WIDE.search(heading) else ":"
        self.write(f"{'':>{self.current_indent}}{heading}{colon}\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        if not _WIDE.search(text):  # click's own wrapping, at spaces
            self.write(wrap_text(text, self.width, indent, indent, preserve_paragraphs=True))
            self.write("\n")
            return
        width = self.width - self.current_indent
        paragraphs = [
            "\n".join(indent + line for line in wrapped(" ".join(p.split()), width))
            for p in text.split("\n\n")
        ]
        self.write("\n\n".join(paragraphs) + "\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        if not any(_WIDE.search(second) for _first, second in rows):
            super().write_dl(rows, col_max, col_spacing)
            return
        first_col = min(max((columns(first) for first, _ in rows), default=0), col_max)
        first_col += col_spacing
        margin = " " * (first_col + self.current_indent)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if columns(first) <= first_col - col_spacing:
                self.write(" " * (first_col - columns(first)))
            else:
                self.write("\n" + margin)
            lines = wrapped(second, max(self.width - first_col - 2, 10))
            self.write("\n".join([lines[0], *(margin + line for line in lines[1:])]) + "\n")


_WIDE = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def wrapped(text: str, width: int) -> list[str]:
    """A text broken into lines of at most `width` terminal columns: between two Chinese
    characters anywhere, and at spaces between other words. A Chinese punctuation mark never
    starts a line: the character before it goes down with it."""
    lines: list[list[str]] = [[]]
    for token in _TOKENS.findall(text):
        token = " " if token.isspace() else token
        line = lines[-1]
        if sum(map(columns, line)) + columns(token) <= width or not "".join(line).strip():
            line.append(token)
        elif token == " ":
            lines.append([])
        elif _CLOSING.match(token) and len(line) > 1:
            lines.append([line.pop(), token])
        else:
            lines.append([token])
    return ["".join(line).strip() for line in lines if "".join(line).strip()] or [""]


# What stays on one line: a bracketed note ([默认：table]), a Chinese character, another word.
_TOKENS = re.compile(
    r"\[[^\]\s]*\]|[\u3000-\u9fff\uff00-\uffef]|[^\s\u3000-\u9fff\uff00-\uffef]+|\s+"
)
_CLOSING = re.compile(r"[，。、；：！？）》」』】,.;:!?)]")


class ZujiContext(Context):
    formatter_class = ZujiFormatter


def _translate_help(command: Any) -> None:
    """The help texts of a command and its parameters, in the language of this run."""
    for name in ("help", "short_help", "epilog"):
        text = getattr(command, name, None)
        if text:
            setattr(command, name, _(text))
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            param.help = _(text)


class _Speaking:
    """What a command and a group share: help texts translated as the tree is built for a run,
    and the help option's own text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _translate_help(self)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]  # the click class beside
        if option is not None:
            option.help = _(HELP_OPTION)
        return option


class ZujiCommand(_Speaking, TyperCommand):
    """A command whose help, usage line and help option speak the reader's language."""

    context_class = ZujiContext


class ZujiGroup(_Speaking, TyperGroup):
    """A group of commands (zuji, zuji clients, zuji keys) that speaks the reader's language."""

    context_class = ZujiContext


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """typer's own words in `lang` for the block: the process's gettext text domain bound to
    Zuji's catalogue, and LANGUAGE naming it, both put back afterwards. English needs neither."""
    folder = i18n.gettext_folder(lang) if lang != "en" else None
    if folder is None:
        yield
        return
    domain, bound = gettext.textdomain(), gettext.bindtextdomain(i18n.DOMAIN)
    language = os.environ.get("LANGUAGE")
    gettext.bindtextdomain(i18n.DOMAIN, str(folder))
    gettext.textdomain(i18n.DOMAIN)
    os.environ["LANGUAGE"] = i18n.gettext_locale(lang)
    try:
        yield
    finally:
        gettext.textdomain(domain)
        gettext.bindtextdomain(i18n.DOMAIN, bound)
        if language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = language


def usage_mistake(exc: Exception) -> Diagnostic:
    """A mistake click found on the command line, as diagnostic E006 (exit code 2): made from
    the exception's parts where it has them (the option missing, the one unknown), else from its
    message, which the catalogue's templates of E006 put into the reader's language."""
    ctx = getattr(exc, "ctx", None)
    hint = f"see '{ctx.command_path} --help'" if ctx is not None else ""
    param = getattr(exc, "param", None)
    message = str(getattr(exc, "message", "") or exc)
    if isinstance(exc, click_errors.MissingParameter) and param is not None:
        message = f"missing {param.param_type_name} {param.get_error_hint()}"
    elif isinstance(exc, click_errors.NoSuchOption):
        message = f"no such option: {exc.option_name}"
        if exc.possibilities:
            hint = "the options near it: " + ", ".join(sorted(exc.possibilities))
    elif isinstance(exc, click_errors.BadParameter) and param is not None:
        message = f"invalid value for {param.get_error_hint()}: {message}"
    return Diagnostic("E006", message.rstrip("."), hint=hint)


def status_word(status: str) -> str:
    """A PCR's status (draft, review, approved, withdrawn) in the reader's language."""
    return i18n.pgettext("status", status)


def is_help_for_no_arguments(exc: Exception) -> bool:
    """Whether click stopped because a group was called without a command (it shows its help)."""
    return isinstance(exc, click_errors.NoArgsIsHelpError)
