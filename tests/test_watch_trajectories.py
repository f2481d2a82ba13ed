"""Clause watches on Meta's real rewordings: a table of trajectories read from the corpus, each version
labelled by reading the texts, driven through loopback HTTP and the real `check`, one check per version.

The rule under test: a clause whose sentence was rewritten (however far from its old words) is `changed`
and followed in its new wording, so the next rewording alerts again; `removed` only where the sentence was
deleted and nothing took its place; `moved` where the same sentence went under another heading, among other
sentences or far from its old place (a heading renamed, added or dropped around it, or footnotes switching
between headings and bare numbers, is no move); a clause that never changes never alerts, through every
other edit of its page, and is never taken for a near-twin the page already had elsewhere. After the run, `watches WATCH --history --json` must tell the same story the checks told."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import render_html

from monitor.extract.document import document_from_markdown

pytestmark = pytest.mark.corpus


@dataclass(frozen=True)
class Trajectory:
    watch: str
    text: str
    alerts: dict[str, str] = field(default_factory=dict)  # version date -> alert kind (nothing elsewhere)
    follows: dict[str, str] = field(default_factory=dict)  # version date -> words the followed wording has


@dataclass(frozen=True)
class History:
    folder: str  # under versions/
    trajectories: list[Trajectory]
    since: str = ""  # first version date served (older ones skipped to keep the table quick)
    until: str = "9999"
    skip: tuple[str, ...] = ()  # captures that are not the document (a table of contents, a truncated page)


PRIVATE_PROCESSING = (
    "When you share your private messages with friends and family with AIs that use Private Processing "
    "technology, Meta cannot read or access the messages you have shared."
)

HISTORIES = {
    # 13 May 2026: the sentence rewritten ("When you interact with AI chats ...", similarity 72) and its
    # paragraph swapped with the next one; its neighbours inside the paragraph stay.
    "meta-ai-terms": History(
        "genai-eu-versions/Meta_AI/Terms_of_Service",
        [
            Trajectory(
                "private-processing",
                PRIVATE_PROCESSING,
                {"2026-05-13": "changed"},
                {"2026-05-13": "When you interact with AI chats that use Private Processing technology"},
            ),
            Trajectory(
                "private-processing-service", "Meta provides Private Processing as a service on your behalf."
            ),
            Trajectory(
                "partners-instruction",
                "By using AIs, you instruct us to share information for this purpose.",
            ),
        ],
    ),
    # Facebook's privacy policy with the generative-AI page: the training-data passage rewritten twice.
    "facebook-genai": History(
        "user-rights-versions/Facebook/Privacy_Policy",
        [
            Trajectory(
                "ai-interactions",
                "This is why we draw from publicly available and licensed sources, as well as information that "
                "people have shared on Meta Products, including interactions with AI at Meta features.",
                {"2026-06-01": "changed", "2026-07-09": "changed"},
                {
                    "2026-06-01": "interactions with features that are part of AI at Meta",
                    "2026-07-09": "the sources of training data listed above",
                },
            ),
            Trajectory(
                "public-information",
                "We use information that is publicly available online and licensed information.",
                # 9 July 2026: the sentence became the list "a combination of sources ... including:"
                {"2026-06-01": "changed", "2026-07-09": "changed"},
                {
                    "2026-06-01": "information from third parties that provide content",
                    "2026-07-09": "publicly available",
                },
            ),
            Trajectory(
                "training-personal-information",
                "When we collect public information from the Internet or license data from other providers to "
                "train our models, it may include personal information.",
                {"2026-06-01": "changed", "2026-07-09": "changed"},
                {
                    "2026-06-01": "information from third parties that provide content",
                    "2026-07-09": "When we collect training data to train our models",
                },
            ),
        ],
    ),
    # The printable privacy policy (Llama API's record of it): on 16 December 2025 the AI item of "Your
    # activity" was rewritten ("Interactions with AI at Meta and related metadata.").
    "facebook-printable": History(
        "genai-eu-versions/Llama_API/Privacy_Policy",
        [
            Trajectory(
                "ai-interactions-item",
                "Interactions with Meta's artificial intelligence technology and related metadata.",
                {"2025-12-16T23": "changed"},
                {"2025-12-16T23": "Interactions with AI at Meta and related metadata."},
            ),
            Trajectory(
                # 16 December 2025: its table became paragraphs under a "Performance of a contract" heading, and
                # a near-twin ("email ... to respond to you") stood under legitimate interests before and after:
                # the same sentence in the same place, never "changed" into its twin.
                "contact-email",
                "We also use contact information like your e-mail address to respond when you contact us.",
            ),
            Trajectory(
                "page-insights",
                "Views of and interactions with a Facebook Page and its content, to provide the Page admin "
                "with aggregated information about how people use their Page and its content.",
            ),
        ],
        since="2025-12-08",
        until="2026-01-06",
    ),
    # Instagram's privacy policy, 2022-2024: sentences rewritten, one gone with the new layout.
    "instagram-policy": History(
        "pga-versions/Instagram/Privacy_Policy",
        [
            Trajectory(
                "anonymize",
                "We might also anonymize it so that it no longer identifies you.",
                {"2023-06-28": "changed"},
                {"2023-06-28": "de-identify or aggregate information or anonymize it"},
            ),
            Trajectory(
                "special-protections",
                "This and other information (such as racial or ethnic origin, philosophical beliefs or trade "
                "union membership) have special protections under the laws of your country.",
                # 16 August 2024: the policy's new layout only links to the subpage that held it: removed.
                {"2022-12-16": "changed", "2024-08-16": "removed"},
                {"2022-12-16": "These types of information have special protections"},
            ),
            Trajectory(
                # 16 August 2024: its heading became empty, the sentence after it stayed: not a move.
                "no-sale",
                "We don't sell any of your information to anyone, and we never will.",
            ),
        ],
        since="2022-11",
        until="2024-09",
        # 16 and 17 April 2024 are broken captures (9 KB and 33 KB of a 106 KB policy), not Meta's edits.
        skip=("2024-04-16", "2024-04-17"),
    ),
    # Facebook's privacy policy through the second half of 2023 (sections renamed, footnote lists reordered).
    "facebook-policy": History(
        "pga-versions/Facebook/Privacy_Policy",
        [
            Trajectory(
                # The footnotes switch between headings and bare numbers four times: the same sentence between
                # the same two sentences, never a move.
                "device-signals",
                "Device signals include GPS, Bluetooth signals, nearby Wi-Fi access points, beacons and cell towers.",
            ),
            Trajectory(
                "controller",
                "The data controller responsible for your information is Meta Platforms Ireland Limited, "
                "which you can contact online, or by mail at:",
            ),
        ],
        since="2023-06-15",
        until="2024-01",
    ),
    "facebook-data-policy": History(
        "pga-versions/Facebook/Privacy_Policy",
        [
            Trajectory(
                "no-sale",
                "We don't sell any of your information to anyone, and we never will.",
                {"2022-09-07": "moved"},
            ),
        ],
        until="2022-09-08",
    ),
    "whatsapp-policy": History(
        "pga-versions/WhatsApp/Privacy_Policy",
        [
            Trajectory(
                "banner-ads",
                "We still do not allow third-party banner ads on our Services.",
                {"2025-07-03": "moved"},
            ),
            Trajectory(
                "undelivered",
                "If a message is still undelivered after 30 days, we delete it.",
            ),
        ],
    ),
    "instagram-terms": History(
        "pga-versions/Instagram/Terms_of_Service",
        [
            Trajectory(
                "netzdg-service-agent",
                "Service agent for administrative proceedings and civil court proceedings within the meaning of "
                "§ 5 (1) NetzDG: Freshfields Bruckhaus Deringer Rechtsanwälte Steuerberater PartG mbB (Berlin), "
                "Potsdamer Platz 1, 10785 Berlin.",
                {"2022-08-31": "changed", "2022-10-14": "removed"},
                {"2022-08-31": "ARQIS Rechtsanwälte Partnerschaftsgesellschaft mbB, Breite Straße 28"},
            ),
            Trajectory(
                "netzdg-requests",
                "Law enforcement officials may submit requests for information under the NetzDG through the Law "
                "Enforcement Online Request System.",
                {"2022-10-14": "removed"},
            ),
            Trajectory(
                "urhdag-recipient",
                "The authorised recipient in accordance with § 20 UrhDaG for service in court proceedings is: "
                "Freshfields Bruckhaus Deringer Rechtsanwälte Steuerberater PartG mbB (Düsseldorf), "
                "Feldmühleplatz 1, 40545 Düsseldorf.",
                {"2022-10-14": "removed"},
            ),
        ],
        since="2022-08-21",
        until="2022-11-03",
    ),
    "facebook-cookies": History(
        "pga-versions/Facebook/Trackers_Policy",
        [
            Trajectory(
                "name-change",
                "Facebook Ireland Limited has changed its name to Meta Platforms Ireland Limited.",
                {"2023-05-08": "removed"},
            ),
            Trajectory(
                "cookies-choices", "This policy explains how we use cookies and the choices you have."
            ),
        ],
        since="2022-11-11",
        until="2023-05-09",
    ),
}


def versions(corpus: Path, history: History) -> list[Path]:
    folder = corpus / "versions" / history.folder
    return [
        p
        for p in sorted(folder.glob("*.md"))
        if history.since <= p.stem[:19] < history.until and not p.stem.startswith(history.skip)
    ]


def watches_toml(page: str, trajectories: list[Trajectory]) -> str:
    tables = []
    for t in trajectories:
        text = json.dumps(t.text, ensure_ascii=False)
        tables.append(
            f'[[watches]]\nid = "{t.watch}"\npages = ["{page}"]\nkind = "clause"\ntext = {text}\nseverity = "high"\n'
        )
    return "\n" + "\n".join(tables)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2020, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("name", list(HISTORIES))
def test_each_clause_alerts_exactly_where_its_sentence_changed_and_keeps_following_it(
    corpus: Path, httpserver: HTTPServer, tmp_path: Path, name: str
) -> None:
    history = HISTORIES[name]
    config = write_project(
        tmp_path,
        {name: httpserver.url_for("/policy")},
        select=None,
        extra=watches_toml(name, history.trajectories),
    )
    text = config.read_text(encoding="utf-8").replace(
        f'url = "{httpserver.url_for("/policy")}"',
        f'url = "{httpserver.url_for("/policy")}"\nmin_words = 0\ncollapse_ratio = 1e-9',
    )
    config.write_text(text, encoding="utf-8")
    clock = Clock()
    seen: dict[str, dict[str, str]] = {t.watch: {} for t in history.trajectories}
    for path in versions(corpus, history):
        document = document_from_markdown(path.read_text(encoding="utf-8"))
        httpserver.clear()
        httpserver.expect_request("/policy").respond_with_data(
            render_html(document.to_text()), content_type="text/html; charset=utf-8"
        )
        clock.now = datetime.strptime(path.stem[:20], "%Y-%m-%dT%H-%M-%SZ").replace(tzinfo=UTC)
        code, output = run_cli(config, clock, "check")
        assert code == 0, output
        for line in output.splitlines():
            if line.strip().startswith("alert "):
                watch, kind = line.split("watch ", 1)[1].split(f" on {name}")[0].split(" ", 1)
                seen[watch][path.stem[:19]] = kind

    for t in history.trajectories:
        got = sorted(seen[t.watch].items())
        expected = sorted(t.alerts.items())
        assert len(got) == len(expected), (t.watch, got)
        for (date, kind), (want_date, want_kind) in zip(got, expected, strict=True):
            assert date.startswith(want_date) and kind == want_kind, (t.watch, got)

        # One story: the history replays the same alerts at the same versions, following the same wordings.
        code, output = run_cli(config, clock, "watches", t.watch, "--history", "--json")
        assert code == 0, output
        (story,) = json.loads(output)["history"]
        replayed = sorted(
            (w["since"].replace(":", "-")[:19], a["kind"].replace("_", " "))
            for w in story["wordings"]
            for a in w["alerts"]
        )
        assert replayed == got, (t.watch, replayed)
        for date, words in t.follows.items():
            entry = next(w for w in story["wordings"] if w["since"].replace(":", "-").startswith(date))
            assert entry["status"] == "found" and words in entry["wording"], (t.watch, entry)
        assert story["wordings"][-1]["status"] == ("missing" if "removed" in t.alerts.values() else "found")
