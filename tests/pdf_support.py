"""PDF reports made for tests and benches with fpdf2: a running header and a numbered footer on every page,
sections named in the outline, paragraphs of wrapped lines."""

from __future__ import annotations

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


def report_pdf(sections: int = 3, paragraphs: int = 3, *, outline: bool = True, closing: str = "") -> bytes:
    """A report of `sections` pages, each a level-1 section with `paragraphs` paragraphs and a level-2
    "Retention" subsection; `closing` ends the last one (to make two versions differ)."""
    pdf = _Report()
    pdf.set_auto_page_break(True, margin=20)
    for number in range(1, sections + 1):
        pdf.add_page()
        for level, title, size in ((0, f"{number}. Section {number}", 16), (1, f"{number}.1 Retention", 13)):
            pdf.set_font("helvetica", "B", size)
            if outline:
                pdf.start_section(title, level=level)
            pdf.cell(0, 10, title)
            pdf.ln(14)
            pdf.set_font("helvetica", size=11)
            for _ in range(paragraphs if level == 0 else 1):
                pdf.multi_cell(0, 6, PARAGRAPH.strip())
                pdf.ln(4)
    if closing:
        pdf.multi_cell(0, 6, closing)
    return bytes(pdf.output())
