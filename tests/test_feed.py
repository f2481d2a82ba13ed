"""The Atom feed of changes: one entry per change, stable ids, newest first, page text escaped."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from service_support import document_text, make_config, record_check, utc

from monitor.notify.feed import write_feed
from monitor.store.core import Store

ATOM = "{http://www.w3.org/2005/Atom}"
A = document_text("# Privacy", "We may share your information with partners.")
B = document_text("# Privacy", "We will share your information with partners <b>and</b> others.")
C = B.replace("others.", "others;")  # punctuation only: cosmetic
PAGES = [{"id": "fb", "url": "https://facebook.example/privacy", "title": "Facebook <Privacy>"}]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def entries(path: Path) -> list[dict[str, str]]:
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{ATOM}feed"
    return [
        {
            "id": entry.findtext(f"{ATOM}id"),
            "title": entry.findtext(f"{ATOM}title"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "content": entry.findtext(f"{ATOM}content"),
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


def test_one_entry_per_change_newest_first(store: Store, tmp_path: Path) -> None:
    config = make_config(PAGES)
    for day, text in [(1, A), (2, A), (3, B), (4, C), (5, A)]:
        record_check(store, "fb", utc(f"2026-03-0{day} 06:00"), text=text)
    out = tmp_path / "feed.atom"
    assert write_feed(store, config, out) == 3
    found = entries(out)
    assert [(e["title"], e["updated"]) for e in found] == [
        ("Facebook <Privacy> changed: 1 substantive change", "2026-03-05T06:00:00+00:00"),
        ("Facebook <Privacy>: 1 cosmetic edit only", "2026-03-04T06:00:00+00:00"),
        ("Facebook <Privacy> changed: 1 substantive change", "2026-03-03T06:00:00+00:00"),
    ]
    assert {e["link"] for e in found} == {"https://facebook.example/privacy"}
    assert all(e["id"].startswith("urn:uuid:") for e in found)
    # page text is escaped inside the HTML content, which the XML escapes once more
    assert "&lt;b&gt;and&lt;/b&gt;" in found[2]["content"]
    assert "<del>may</del><ins>will</ins>" in found[2]["content"]
    assert "<p><strong>1 substantive change</strong></p>" in found[2]["content"]  # the summary comes first


def test_entry_ids_are_stable_when_the_feed_is_rewritten(store: Store, tmp_path: Path) -> None:
    config = make_config(PAGES)
    record_check(store, "fb", utc("2026-03-01 06:00"), text=A)
    record_check(store, "fb", utc("2026-03-02 06:00"), text=B)
    write_feed(store, config, tmp_path / "first.atom")
    record_check(store, "fb", utc("2026-03-03 06:00"), text=A)  # the old text comes back: a new change
    write_feed(store, config, tmp_path / "second.atom")
    first, second = entries(tmp_path / "first.atom"), entries(tmp_path / "second.atom")
    assert second[1]["id"] == first[0]["id"]
    assert second[0]["id"] != first[0]["id"]


def test_the_feed_keeps_the_newest_changes(store: Store, tmp_path: Path) -> None:
    config = make_config(PAGES)
    for day in range(1, 8):
        record_check(store, "fb", utc(f"2026-03-0{day} 06:00"), text=A if day % 2 else B)
    assert write_feed(store, config, tmp_path / "feed.atom", limit=2) == 2
    assert [e["updated"][:10] for e in entries(tmp_path / "feed.atom")] == ["2026-03-07", "2026-03-06"]


def test_an_empty_feed_is_still_a_valid_feed(store: Store, tmp_path: Path) -> None:
    assert write_feed(store, make_config(PAGES), tmp_path / "feed.atom") == 0
    assert entries(tmp_path / "feed.atom") == []


def test_the_newest_changes_are_found_behind_many_of_other_pages(store: Store, tmp_path: Path) -> None:
    # The feed reads the store's newest changes a few at a time: changes of pages the config no longer
    # has, newer than all of the watched page's, send it further back, not to a shorter feed.
    config = make_config(PAGES)
    for day in range(1, 5):
        record_check(store, "fb", utc(f"2026-03-0{day} 06:00"), text=A if day % 2 else B)
    for hour in range(20):
        record_check(store, "gone", utc(f"2026-03-05 {hour:02d}:00"), text=A if hour % 2 else B)
    assert write_feed(store, config, tmp_path / "feed.atom", limit=2) == 2
    assert [e["updated"][:10] for e in entries(tmp_path / "feed.atom")] == ["2026-03-04", "2026-03-03"]
