"""Candidate pairs for block pairing (monitor.diff.candidates): the same pairs, in the same order, as sorting
every pair would give, without collecting them all; and with the shingle index, the edits found."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz

from monitor.diff import candidates
from monitor.diff.align import BlockPairing
from monitor.diff.candidates import best_pairs
from monitor.models import Document

WORDS = [
    "we",
    "collect",
    "share",
    "use",
    "information",
    "content",
    "partners",
    "products",
    "account",
    "settings",
    "data",
    "you",
    "your",
]


def every_pair_sorted(olds: list[str], news: list[str], cutoff: float) -> list[tuple[int, int]]:
    """The pairs a greedy consumer takes from the full sort (how pairing worked before)."""
    found = []
    for i, old in enumerate(olds):
        for j, new in enumerate(news):
            score = fuzz.ratio(old, new)
            if score >= cutoff:
                found.append((score, i, j))
    # Ties: nearest relative positions, the lower old index, the shorter new text (then the lower new index).
    found.sort(
        key=lambda item: (
            -item[0],
            abs(item[1] / len(olds) - item[2] / len(news)),
            item[1],
            len(news[item[2]]),
            item[2],
        )
    )
    taken, free_old, free_new = [], set(range(len(olds))), set(range(len(news)))
    for _, i, j in found:
        if i in free_old and j in free_new:
            free_old.discard(i)
            free_new.discard(j)
            taken.append((i, j))
    return taken


def consume(olds: list[str], news: list[str], cutoff: float) -> list[tuple[int, int]]:
    taken, free_old, free_new = [], set(range(len(olds))), set(range(len(news)))
    for _, i, j in best_pairs(olds, news, cutoff, free_old.__contains__, free_new.__contains__):
        if i in free_old and j in free_new:
            free_old.discard(i)
            free_new.discard(j)
            taken.append((i, j))
    return taken


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


@pytest.mark.parametrize("seed", range(12))
def test_the_same_pairs_as_the_full_sort(seed: int) -> None:
    rng = random.Random(seed)
    olds = [sentence(rng, rng.randint(1, 12)) for _ in range(rng.randint(1, 40))]
    # Duplicates make ties across the batch cut; shuffled edits make old blocks compete for new ones.
    olds += rng.sample(olds, min(len(olds), 6))
    news = [text.replace(rng.choice(WORDS), rng.choice(WORDS)) for text in olds] + [
        sentence(rng, rng.randint(1, 12)) for _ in range(rng.randint(0, 10))
    ]
    rng.shuffle(news)
    for cutoff in (50.0, 85.0):
        assert consume(olds, news, cutoff) == every_pair_sorted(olds, news, cutoff)


def test_many_candidates_for_one_block_are_fetched_as_others_take_them() -> None:
    # Ten identical old blocks, ten identical new ones: each old block's first batch is taken by the others.
    olds = ["we share your information with partners"] * 10
    news = ["we share your information with our partners"] * 10
    taken = consume(olds, news, 50.0)
    assert sorted(i for i, _ in taken) == list(range(10))
    assert sorted(j for _, j in taken) == list(range(10))


def similar(count: int, seed: int = 1) -> tuple[Document, Document]:
    rng = random.Random(seed)
    old, new = ["# Policy"], ["# Policy"]
    for number in range(count):
        words = [rng.choice(WORDS) for _ in range(20)]
        old.append(" ".join(words) + f" item {number}.")
        words[rng.randrange(len(words))] = "changed"
        new.append(" ".join(words) + f" item {number}.")
    old += ["Highlights", "Contact us"]
    new += ["Highlights today", "Contact us now"]
    return Document.from_text("\n\n".join(old) + "\n"), Document.from_text("\n\n".join(new) + "\n")


def test_with_the_index_every_edited_block_finds_its_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(candidates, "EXACT_LIMIT", 0)  # the shingle index, whatever the size
    old, new = similar(300)
    pairs = BlockPairing(old.blocks, new.blocks)
    assert sorted((kind, olds, news) for kind, olds, news in pairs.result) == [
        ("modified", [k], [k]) for k in range(1, len(old.blocks))
    ]


def test_index_and_exact_agree_on_edits_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = similar(120, seed=5)
    exact = BlockPairing(old.blocks, new.blocks).result
    monkeypatch.setattr(candidates, "EXACT_LIMIT", 0)
    assert BlockPairing(old.blocks, new.blocks).result == exact
