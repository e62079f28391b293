"""The screen's languages: source texts are English, French is the default. Translations are
plain JSON in resources/translations/ (source text -> translation), loaded by a QTranslator of our
own, so that nothing needs compiling and the texts can be reviewed as they are."""

from __future__ import annotations

import json

from till.resources import RESOURCES
from ui.qt import QCoreApplication, QLocale, QTranslator

TRANSLATIONS = RESOURCES / "translations"
CONTEXT = "till"
# Month and day names, and the first day of the week, of the calendars (in English too, the
# shop's week starts on Monday).
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


class DictTranslator(QTranslator):
    """Answers the screen's own texts (context `till`) by source text, and records those it has
    no translation for (the tests require none). What it has no translation for, Qt's own texts
    among them, it answers with the source text itself: an empty answer from Python reaches Qt
    as an empty text, not as "none", and would blank the widget."""

    def __init__(self, texts: dict[str, str]) -> None:
        super().__init__()
        self.texts = texts
        self.missing: set[str] = set()

    def translate(
        self,
        context: str,
        source_text: str,
        disambiguation: str | None = None,
        n: int = -1,
    ) -> str:
        if context != CONTEXT:
            return source_text
        found = self.texts.get(source_text)
        if found is None:
            self.missing.add(source_text)
            return source_text
        return found

    def isEmpty(self) -> bool:
        return False


def translator_for(language: str) -> DictTranslator | None:
    """None for English, the source language."""
    if language == "en":
        return None
    texts = json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8"))
    return DictTranslator(texts)


_installed: list[DictTranslator] = []


def install_language(language: str) -> None:
    """Put the application in `language` (for the widgets made from now on)."""
    QLocale.setDefault(QLocale(LOCALES[language]))
    application = QCoreApplication.instance()
    assert application is not None
    while _installed:
        application.removeTranslator(_installed.pop())
    translator = translator_for(language)
    if translator is not None:
        application.installTranslator(translator)
        _installed.append(translator)


def current_translator() -> DictTranslator | None:
    return _installed[0] if _installed else None


def tr(text: str) -> str:
    """A text of the screen outside a widget's own `tr` (functions, tables of labels)."""
    return QCoreApplication.translate(CONTEXT, text)
