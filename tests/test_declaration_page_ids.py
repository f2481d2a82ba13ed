"""A page added from a declaration is named after its service and terms, and never takes an id already in use:
the same "-2, -3 until unused" rule as a page added by URL."""

from __future__ import annotations

from monitor.config.edit import declaration_page_id, page_id_for


def test_a_declaration_page_is_named_after_its_service_and_terms() -> None:
    assert declaration_page_id("Meta AI", "Terms of Service", set()) == "meta-ai-terms-of-service"


def test_a_taken_id_gets_the_first_unused_number_as_a_page_added_by_url_does() -> None:
    taken = {"meta-ai-terms-of-service", "meta-ai-terms-of-service-2", "privacy-genai", "privacy-genai-2"}

    assert declaration_page_id("Meta AI", "Terms of Service", taken) == "meta-ai-terms-of-service-3"
    assert page_id_for("http://127.0.0.1:8000/privacy/genai/", taken) == "privacy-genai-3"
