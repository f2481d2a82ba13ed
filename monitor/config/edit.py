"""Adding a page to the config file: a slug for its id, and an append that keeps the file valid and its comments."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from monitor import fsutil
from monitor.config.loading import PageConfig, parse_config
from monitor.errors import ConfigError

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """'WhatsApp Privacy Policy' -> 'whatsapp-privacy-policy' (ASCII letters and digits, at most 60)."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:60].strip("-")


def _is_local(host: str) -> bool:
    """A loopback or bare IP address, or localhost: a name that says nothing about the page."""
    import ipaddress

    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# Words that name a document, not a site: a title holding none is a bare brand ("Meta AI", "Facebook").
_DOCUMENT_WORDS = frozenset(
    [
        "terms",
        "conditions",
        "privacy",
        "policy",
        "policies",
        "notice",
        "cookies",
        "cookie",
        "agreement",
        "guidelines",
        "standards",
        "rules",
        "statement",
        "addendum",
        "tos",
        "faq",
        "objection",
        "form",
        "data",
        "processor",
        "processing",
        "subprocessor",
        "datenschutz",
        "richtlinie",
        "bedingungen",
        "hinweis",
        "erklarung",
        "widerspruch",
        "formular",
        "impressum",
    ]
)


def _names_document(words: list[str]) -> bool:
    """Whether any word is or holds a document word ('datenschutzrichtlinie' holds 'datenschutz')."""
    return any(
        word == document or (len(document) >= 8 and document in word)
        for word in words
        for document in _DOCUMENT_WORDS
    )


def page_id_for(url: str, taken: set[str], title: str | None = None) -> str:
    """An id for a new page, unique among `taken`, naming its document and site: from its title when it names a
    document ('WhatsApp Privacy Policy' -> 'whatsapp-privacy-policy'); a title that is a bare brand gets the
    document's words from the URL ('Meta AI' at /legal/eu-ai-terms -> 'meta-ai-terms'); without a title, the
    URL ('https://www.facebook.com/privacy/genai/' -> 'facebook-com-privacy-genai'; the host of a loopback or
    IP address is left out: 'privacy-genai')."""
    parts = urlsplit(url)
    host = re.sub(r"^(www|m|mbasic)\.", "", parts.hostname or "")
    where = parts.path if _is_local(host) else f"{host}/{parts.path}"
    named = slug(title or "")
    if named and not _names_document(named.split("-")):
        path_words = slug(parts.path).split("-")
        document = [word for word in path_words if word in _DOCUMENT_WORDS and word not in named.split("-")]
        named = "-".join(
            [
                named,
                *dict.fromkeys(document or [w for w in path_words if w and w not in named.split("-")][-2:]),
            ]
        ).strip("-")
    return _unique(named or slug(where) or "page", taken)


def declaration_page_id(service: str, terms: str, taken: set[str]) -> str:
    """'Meta AI' + 'Terms of Service' -> 'meta-ai-terms-of-service', unique among `taken`."""
    return _unique(slug(f"{service} {terms}") or "page", taken)


def _unique(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`... the first that is not in `taken`."""
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def declaration_table(page_id: str, path: str, service: str, terms: str, renderer: str | None = None) -> str:
    """The `[[pages]]` table of a page whose rules come from a declaration: nothing of the rules is copied."""
    ref = {"path": path, "service": service, "terms": terms}
    lines = ["", "[[pages]]", f"id = {_toml_value(page_id)}", f"declaration = {_toml_value(ref)}"]
    if renderer:
        lines.append(f"renderer = {_toml_value(renderer)}")
    return "\n".join(lines) + "\n"


def append_tables(config_path: Path, tables: list[str]) -> None:
    """Append TOML tables to the config file, atomically, after checking the whole new file validates."""
    import tomllib

    config_path = config_path.resolve()  # a link to the config stays a link: the file it names gets the table
    text = config_path.read_text(encoding="utf-8-sig")
    new_text = text + ("" if text.endswith("\n") or not text else "\n") + "".join(tables)
    try:
        data = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:  # e.g. `pages = [...]` written inline: a [[pages]] table cannot follow it
        raise ConfigError(
            f"{config_path}: a [[pages]] table cannot be added to this file as it is written (its pages are an"
            " inline array?); write each page as a [[pages]] table, or add this one by hand"
        ) from None
    parse_config(data, source=str(config_path), base_dir=config_path.parent)
    mode = config_path.stat().st_mode & 0o777 if config_path.exists() else 0o644
    fsutil.atomic_write(config_path, new_text.encode("utf-8"), mode=mode)


def page_table(page: PageConfig) -> str:
    """The `[[pages]]` TOML table for a page: id, url, renderer, and the keys that differ from the defaults."""
    lines = ["", "[[pages]]"]
    defaults = PageConfig(id=page.id, url=page.url)
    always = {"id", "url", "renderer"}  # the renderer that worked is written even when it is the default
    for name in PageConfig.model_fields:
        value = getattr(page, name)
        if name not in always and value == getattr(defaults, name):
            continue
        lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


def append_page(config_path: Path, page: PageConfig) -> str:
    """Append `page` to the config file, atomically, after checking the whole new file validates."""
    table = page_table(page)
    append_tables(config_path, [table])
    return table
