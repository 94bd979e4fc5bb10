"""Labels of a choice's options: the names a clerk or a reader sees beside the identifier.

`choice lime_kind : high_calcium "高钙石灰", dolomitic "白云石灰" en "Dolomitic lime"` gives each
option a Chinese and an English label; the identifier stays what formulas, inventories and
results use. An untagged label is Chinese when it holds a Han character, else English, so that the
short form a committee writes (`high_calcium "高钙石灰"`) needs no tag. Texts after the last option
stay the choice's description when no other option carries a label: that is how every rule wrote
a choice before options had labels, and those rules keep their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from zuji.core.errors import Span
from zuji.lang import model as m

# A written option: its identifier, its span and its texts as (language tag or None, text)
WrittenOption = tuple[str, Span | None, tuple[tuple[str | None, str], ...]]
Report = Callable[[str, str, Span | None, str], None]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def language_of(text: str, tag: str | None) -> str:
    """The language of a label: its tag, else zh when the text holds a Han character."""
    if tag:
        return tag
    return "zh" if _HAN.search(text) else "en"


def split_description(
    options: Sequence[WrittenOption],
) -> tuple[Sequence[WrittenOption], m.Text | None]:
    """The options, and the choice's description when the texts after the last option are one
    (no other option labelled, and the first of them untagged and not Chinese)."""
    *before, (name, span, texts) = options
    if not texts or any(other_texts for _, _, other_texts in before):
        return options, None
    (first_tag, first), *rest = texts
    if first_tag is not None or _HAN.search(first):
        return options, None
    description = {"en": first}
    for tag, text in rest:
        description[language_of(text, tag)] = text
    return [*before, (name, span, ())], m.Text(**description)


def option_labels(
    choice: str, options: Sequence[WrittenOption], report: Report
) -> tuple[tuple[str, m.Text], ...]:
    """Each labelled option with its bilingual label. Two labels in one language on one option
    (E114), or one label given to two options (E115), are errors: a clerk who writes the label
    in an inventory must name exactly one option."""
    labels: list[tuple[str, m.Text]] = []
    owner: dict[tuple[str, str], str] = {}
    for name, span, texts in options:
        by_language: dict[str, str] = {}
        for tag, text in texts:
            language = language_of(text, tag)
            if language in by_language:
                report(
                    "E114",
                    f"option '{name}' of choice '{choice}' has two {language} labels, "
                    f"'{by_language[language]}' and '{text}'",
                    span,
                    f'keep one {language} label; tag the other language: {name} "…" en "…"',
                )
                continue
            first = owner.setdefault((language, text), name)
            if first != name:
                report(
                    "E115",
                    f"options '{first}' and '{name}' of choice '{choice}' have the same "
                    f"{language} label '{text}'",
                    span,
                    "give each option a label of its own, so that a label names one option",
                )
            by_language[language] = text
        if by_language:
            labels.append((name, m.Text(**by_language)))
    return tuple(labels)
