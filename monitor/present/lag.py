"""Translation lag: one language version of a document changed substantively and another did not (or could
not be seen to). Also the language words the digest uses ("German version of facebook-privacy")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.config.loading import PageConfig
from monitor.store.core import Store

LANGUAGES = {
    "de": "German", "en": "English", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "pt": "Portuguese", "pl": "Polish", "sv": "Swedish", "da": "Danish", "fi": "Finnish", "cs": "Czech",
}  # fmt: skip


@dataclass(slots=True)
class Lag:
    document: str
    updated: list[str]  # "English (facebook-privacy-en)"
    behind: list[tuple[str, str | None, str | None]]  # label, time of its last change, why it is not known


def language_name(page: PageConfig) -> str | None:
    """'German' for locale 'de_DE' or Accept-Language 'de-DE,de;q=0.9'; the code itself when not in the
    table; None when the page names no language."""
    code = (page.locale or page.accept_language or "").split(",")[0].split("-")[0].split("_")[0].lower()
    return LANGUAGES.get(code, code) or None


def version_of(page: PageConfig) -> str | None:
    """'German version of facebook-privacy'; 'one version of facebook-privacy' when no language is known."""
    if not page.document:
        return None
    language = language_name(page)
    return f"{language} version of {page.document}" if language else f"one version of {page.document}"


def language_label(page: PageConfig) -> str:
    language = language_name(page)
    return f"{language} ({page.id})" if language else page.id


def translation_lag(
    store: Store, pages: Sequence[PageConfig], changed: dict[str, str], trouble: dict[str, str]
) -> list[Lag]:
    """Documents where one language version changed substantively in the period and another did not
    (or could not be seen to: a failing page is named with its reason)."""
    by_document: dict[str, list[PageConfig]] = defaultdict(list)
    for page in pages:
        if page.document:
            by_document[page.document].append(page)
    lags = []
    for document, members in by_document.items():
        updated = [page for page in members if page.id in changed]
        behind = [page for page in members if page.id not in changed]
        if updated and behind:
            lags.append(
                Lag(
                    document,
                    [language_label(page) for page in updated],
                    [
                        (language_label(page), _last_change(store, page.id), trouble.get(page.id))
                        for page in behind
                    ],
                )
            )
    return lags


def _last_change(store: Store, page_id: str) -> str | None:
    current = store.versions.current(page_id)
    return current.since if current else None
