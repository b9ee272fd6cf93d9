"""The evidence bundle's PDF summary for the prosecutor (reportlab, DejaVu fonts embedded for Cyrillic).

Takes the bundle's manifest (plain dicts, already in the chosen language's words where they are words)
and returns PDF bytes. The text is drawn with an embedded TrueType font, so it can be searched and copied.
"""

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT, FONT_BOLD = "IrbisDejaVuSans", "IrbisDejaVuSans-Bold"


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    directory = Path(settings.IRBIS_PDF_FONT_DIR)
    pdfmetrics.registerFont(TTFont(FONT, str(directory / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(directory / "DejaVuSans-Bold.ttf")))


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle(
            "title", fontName=FONT_BOLD, bulletFontName=FONT, fontSize=15, leading=19, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", fontName=FONT_BOLD, bulletFontName=FONT, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "body": ParagraphStyle("body", fontName=FONT, bulletFontName=FONT, fontSize=9.5, leading=12.5),
        "small": ParagraphStyle("small", fontName=FONT, bulletFontName=FONT, fontSize=7.5, leading=9.5),
    }


def _table(rows: list[list[Any]], styles: dict[str, ParagraphStyle], widths: list[float]) -> Table:
    cells = [[Paragraph(escape(str(value)), styles["small"]) for value in row] for row in rows]
    table = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
    ]))  # fmt: skip
    return table


def summary_pdf(manifest: dict[str, Any], *, manifest_sha256: str = "") -> bytes:
    """The summary of a case's evidence, in the active language."""
    _register_fonts()
    styles = _styles()
    case = manifest["case"]
    title = pgettext("evidence bundle", "Evidence summary: case %(number)s") % {"number": case["number"]}
    prepared = pgettext("evidence bundle", "Prepared %(when)s by %(who)s.") % {
        "when": manifest["generated_at"], "who": manifest["generated_by"]}  # fmt: skip
    story: list[Any] = [
        Paragraph(escape(title), styles["title"]),
        Paragraph(escape(pgettext("evidence bundle", "Reserve: %(reserve)s") % {"reserve": manifest["reserve"]}),
                  styles["body"]),
        Paragraph(escape(prepared), styles["body"]),
        Spacer(1, 4 * mm),
    ]  # fmt: skip
    facts = [
        [pgettext("evidence bundle", "Agency"), case["agency"]],
        [pgettext("evidence bundle", "Status"), case["status_display"]],
        [pgettext("evidence bundle", "Charges"), case["charges"] or "—"],
        [pgettext("evidence bundle", "Opened on"), case["opened_on"]],
        [pgettext("evidence bundle", "Closed on"), case["closed_on"] or "—"],
        [pgettext("evidence bundle", "Verdict"), case["verdict_display"] or "—"],
        [pgettext("evidence bundle", "Penalty"), case["penalty_display"] or "—"],
    ]
    story.append(_table(facts, styles, [40, 130]))
    date, kind = pgettext("evidence bundle", "Date"), pgettext("evidence bundle", "Kind")
    description, place = pgettext("evidence bundle", "Description"), pgettext("evidence bundle", "Place")
    if manifest["incidents"]:
        story.append(Paragraph(escape(pgettext("evidence bundle", "Incidents")), styles["h2"]))
        rows = [[date, kind, description]]
        rows += [[i["occurred_at"], i["kind_display"], i["description"]] for i in manifest["incidents"]]
        story.append(_table(rows, styles, [35, 45, 90]))
    if manifest["actions"]:
        story.append(Paragraph(escape(pgettext("evidence bundle", "Enforcement actions")), styles["h2"]))
        rows = [[date, kind, place, pgettext("evidence bundle", "Protocol")]]
        rows += [[a["taken_at"], a["kind_display"], a["place_name"], a["protocol_number"]] for a in manifest["actions"]]
        story.append(_table(rows, styles, [35, 50, 55, 30]))
    if manifest["events"]:
        story.append(Paragraph(escape(pgettext("evidence bundle", "Case timeline")), styles["h2"]))
        rows = [[date, pgettext("evidence bundle", "Event"), description]]
        rows += [[e["occurred_on"], e["kind_display"], e["description"]] for e in manifest["events"]]
        story.append(_table(rows, styles, [30, 45, 95]))
    story.append(Paragraph(escape(pgettext("evidence bundle", "Evidence items")), styles["h2"]))
    if not manifest["items"]:
        story.append(Paragraph(escape(pgettext("evidence bundle", "No evidence items.")), styles["body"]))
    for item in manifest["items"]:
        heading = pgettext("evidence bundle", "Item %(id)s: %(kind)s, quantity %(quantity)s") % {
            "id": item["id"], "kind": item["kind_display"], "quantity": item["quantity"]}  # fmt: skip
        story.append(Paragraph(escape(heading), styles["body"]))
        lines = [
            [pgettext("evidence bundle", "Collected"),
             f"{item['collected_at']}, {item['collected_by']}, {item['place']}"],
            [description, item["description"] or "—"],
            [pgettext("evidence bundle", "File"), item["file"] or pgettext("evidence bundle", "No file")],
            ["SHA-256", item["sha256"] or "—"],
            [pgettext("evidence bundle", "Check"), item["check_display"]],
        ]  # fmt: skip
        story.append(_table(lines, styles, [30, 140]))
        rows = [[pgettext("evidence bundle", "Time"), pgettext("evidence bundle", "Custody"),
                 pgettext("evidence bundle", "From"), pgettext("evidence bundle", "To"), place]]  # fmt: skip
        rows += [[c["occurred_at"], c["kind_display"], c["from"], c["to"], c["place_name"]] for c in item["custody"]]
        story.append(_table(rows, styles, [32, 35, 38, 38, 27]))
        story.append(Spacer(1, 3 * mm))
    note = pgettext("evidence bundle", "The SHA-256 of each original is listed in manifest.json, manifest.csv and "
                    "SHA256SUMS; `sha256sum -c SHA256SUMS` checks the files.")  # fmt: skip
    story.append(Paragraph(escape(note), styles["small"]))
    if manifest_sha256:
        line = pgettext("evidence bundle", "SHA-256 of manifest.json: %(sha)s") % {"sha": manifest_sha256}
        story.append(Paragraph(escape(line), styles["small"]))
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, title=title, author="Irbis", leftMargin=18 * mm,
                                 rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
                                 initialFontName=FONT)  # fmt: skip
    # Every page starts in DejaVu: no Helvetica (which has no Cyrillic and is not embedded) in the file.
    document.build(story)
    return out.getvalue()
