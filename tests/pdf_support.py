"""PDF reports made for tests and benches with fpdf2: a running header and a numbered footer on every page,
sections named in the outline or in the structure tree (tags), paragraphs of wrapped lines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fpdf import FPDF

HEADER = "Example Corp Transparency Report 2026"
PARAGRAPH = (
    "We keep your data for as long as we need it to provide the service, and we erase it when you close "
    "your account unless the law obliges us to keep it longer. "
) * 3


class _Report(FPDF):
    def header(self) -> None:
        self.set_font("helvetica", size=9)
        self.cell(0, 8, HEADER, align="C")
        self.ln(12)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("helvetica", size=9)
        self.cell(0, 10, f"Page {self.page_no()}", align="C")


@contextmanager
def _tagged(pdf: FPDF, role: str) -> Iterator[None]:
    """What is written inside is marked content of a structure element of type `role` (H1, H2...). fpdf2 writes
    the structure tree, but tags its own marked sequences as figures: its calls underneath are used directly
    (the content must stay on one page)."""
    mcid = pdf.struct_builder.next_mcid_for_page(pdf.page)
    pdf._add_marked_content(struct_type=f"/{role}", mcid=mcid)  # noqa: SLF001 - fpdf2 has no public call for it
    pdf._out(f"/{role} <</MCID {mcid}>> BDC")  # noqa: SLF001
    yield
    pdf._out("EMC")  # noqa: SLF001


def report_pdf(
    sections: int = 3,
    paragraphs: int = 3,
    *,
    outline: bool = True,
    tags: bool = False,
    title: str = "Section {number}",
    heading_width: float = 0,
    closing: str = "",
) -> bytes:
    """A report of `sections` pages, each a level-1 section with `paragraphs` paragraphs and a level-2
    "Retention" subsection; `closing` ends the last one (to make two versions differ). The headings are named in
    the outline (`outline`) and tagged H1 and H2 in the structure tree (`tags`). A level-1 heading reads
    "N. " + `title`; `heading_width` (mm) narrower than it wraps it over lines."""
    pdf = _Report()
    pdf.set_auto_page_break(True, margin=20)
    for number in range(1, sections + 1):
        pdf.add_page()
        for level, name, size in (
            (0, f"{number}. {title.format(number=number)}", 16),
            (1, f"{number}.1 Retention", 13),
        ):
            pdf.set_font("helvetica", "B", size)
            if outline:
                pdf.start_section(name, level=level)
            with _tagged(pdf, f"H{level + 1}") if tags else _untagged():
                if heading_width:
                    pdf.multi_cell(heading_width, 8, name)
                else:
                    pdf.cell(0, 10, name)
            pdf.ln(14)
            pdf.set_font("helvetica", size=11)
            for _ in range(paragraphs if level == 0 else 1):
                pdf.multi_cell(0, 6, PARAGRAPH.strip())
                pdf.ln(4)
    if closing:
        pdf.multi_cell(0, 6, closing)
    return bytes(pdf.output())


@contextmanager
def _untagged() -> Iterator[None]:
    yield
