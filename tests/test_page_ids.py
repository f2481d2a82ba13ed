"""`add` names a page after its document and site, never a bare brand, never an id already used."""

from __future__ import annotations

from monitor.config.edit import page_id_for


def test_a_title_that_is_a_bare_brand_gets_the_document_words_of_the_url() -> None:
    assert page_id_for("https://www.facebook.com/legal/eu-ai-terms", set(), "Meta AI") == "meta-ai-terms"
    assert (
        page_id_for("https://www.facebook.com/privacy/policy/", set(), "Facebook")
        == "facebook-privacy-policy"
    )


def test_a_title_naming_a_document_is_the_id_and_a_used_id_is_never_reused() -> None:
    assert page_id_for("https://x.org/p", set(), "WhatsApp Privacy Policy") == "whatsapp-privacy-policy"
    taken = {"meta-ai-terms", "meta-ai-terms-2"}
    assert page_id_for("https://www.facebook.com/legal/eu-ai-terms", taken, "Meta AI") == "meta-ai-terms-3"
