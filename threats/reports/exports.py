"""A report as JSON, CSV or PDF (English or Russian, DejaVu fonts embedded for Cyrillic).

The PDF is meant to be sent as it is to a ministry or a donor: the reserve, the period and what it covers,
the rules the figures follow, every figure beside the previous period's, and the groups. Counts only:
no suspect, no exact place.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext

from threats.reports.tables import column_titles, report_rows

FORMATS = ("json", "csv", "pdf")
LANGUAGES = ("en", "ru")


def report_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


def _cell(value: str) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula: a team named "=HYPERLINK(..." must not."""
    if value and value[0] in "=+-@\t\r" and not value.lstrip("-").replace(",", "").replace(".", "").isdigit():
        return "'" + value
    return value


def report_csv(report: dict, *, language: str = "en") -> str:
    with translation.override(language):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                pgettext("report", "Reserve"),
                report["reserve"]["name"],
                pgettext("report", "Covers"),
                _cell(report["scope"]["label"]),
            ]
        )
        writer.writerow(["section", "figure", pgettext("report", "Figure"), *[_cell(t) for t in column_titles(report)]])
        for row in report_rows(report):
            writer.writerow([row.section, row.key, _cell(row.label.strip()), *[_cell(v) for v in row.values]])
        return out.getvalue()


def _fonts() -> tuple[str, str]:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # The same fonts as the evidence bundle: Debian's fonts-dejavu-core (scripts/bootstrap.sh), IRBIS_PDF_FONT_DIR.
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        directory = Path(settings.IRBIS_PDF_FONT_DIR)
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(directory / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(directory / "DejaVuSans-Bold.ttf")))
    return "DejaVuSans", "DejaVuSans-Bold"


def _trend_drawing(trend: list[dict], regular: str, width: float) -> object:
    """Snares found and snares per 100 km, month by month, as two small bar charts side by side."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(width, 150)
    labels = [g["key"][2:] for g in trend]
    series = [
        (pgettext("report", "Snares found per month"), [g["snares"] for g in trend], "#0b5d7a"),
        (pgettext("report", "Snares per 100 km on patrol"), [g["cpue_per_100km"] or 0 for g in trend], "#bd0026"),
    ]
    half = width / 2
    for i, (title, values, color) in enumerate(series):
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = i * half + 30, 25, half - 50, 100
        chart.data = [values]
        chart.bars[0].fillColor = colors.HexColor(color)
        chart.bars[0].strokeColor = None
        chart.valueAxis.valueMin = 0
        chart.valueAxis.labels.fontName = regular
        chart.valueAxis.labels.fontSize = 6
        chart.categoryAxis.categoryNames = labels
        chart.categoryAxis.labels.fontName = regular
        chart.categoryAxis.labels.fontSize = 5.5 if len(labels) > 12 else 6.5
        chart.categoryAxis.labels.angle = 90 if len(labels) > 12 else 0
        chart.categoryAxis.labels.boxAnchor = "e" if len(labels) > 12 else "n"
        drawing.add(chart)
        drawing.add(String(i * half + 30, 135, title, fontName=regular, fontSize=8))
    return drawing


def report_pdf(report: dict, *, language: str = "en", trend: list[dict] | None = None) -> bytes:
    """The report as a PDF; `trend` (monthly figures, build.monthly_trend) adds charts above the table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    groups = len(report["groups"])
    pagesize = landscape(A4) if groups > 2 else A4
    title = ParagraphStyle("title", fontName=bold, fontSize=16, leading=20, spaceAfter=6)
    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=12)
    small = ParagraphStyle("small", fontName=regular, fontSize=7.5, leading=10, textColor=colors.HexColor("#444444"))
    with translation.override(language):
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=pagesize,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=15 * mm,
            title=pgettext("report", "Patrol and enforcement report"),
            author="Irbis",
        )
        period = report["period"]
        story = [
            Paragraph(pgettext("report", "Patrol and enforcement report"), title),
            Paragraph(f"<b>{pgettext('report', 'Reserve')}:</b> {_escape(report['reserve']['name'])}", body),
            Paragraph(f"<b>{pgettext('report', 'Covers')}:</b> {_escape(report['scope']['label'])}", body),
            Paragraph(
                f"<b>{pgettext('report', 'Period')}:</b> {period['first']} – {period['last']} ({period['label']}); "
                f"{pgettext('report', 'compared with')} {report['previous_period']['first']} – "
                f"{report['previous_period']['last']}",
                body,
            ),
            Paragraph(f"<b>{pgettext('report', 'Generated')}:</b> {report['generated_at']}", body),
            Spacer(1, 4 * mm),
        ]
        headers = [pgettext("report", "Figure"), *column_titles(report)]
        data, style = [[Paragraph(f"<b>{_escape(h)}</b>", small) for h in headers]], []
        section = None
        for row in report_rows(report):
            if row.section != section:
                section = row.section
                data.append([Paragraph(f"<b>{_escape(section)}</b>", body)] + [""] * (len(headers) - 1))
                style.append(("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.HexColor("#e8eef3")))
                style.append(("SPAN", (0, len(data) - 1), (-1, len(data) - 1)))
            indent = "&nbsp;&nbsp;&nbsp;" if row.label.startswith("  ") else ""
            data.append([Paragraph(indent + _escape(row.label.strip()), body), *row.values])
        width = pagesize[0] - 30 * mm
        first = min(70 * mm, width * 0.4)
        rest = (width - first) / max(len(headers) - 1, 1)
        table = Table(data, colWidths=[first] + [rest] * (len(headers) - 1), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), regular),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    *style,
                ]
            )
        )
        if trend and len(trend) > 1:
            story += [_trend_drawing(trend, regular, pagesize[0] - 30 * mm), Spacer(1, 4 * mm)]
        story += [table, Spacer(1, 5 * mm), Paragraph(_escape(_rules_text()), small)]

        def footer(canvas, document):
            canvas.saveState()
            canvas.setFont(regular, 7)
            canvas.drawString(15 * mm, 8 * mm, f"Irbis · {report['reserve']['name']} · {period['label']}")
            canvas.drawRightString(
                pagesize[0] - 15 * mm, 8 * mm, pgettext("report", "Page %(n)s") % {"n": document.page}
            )
            canvas.restoreState()

        doc.build(story, onFirstPage=footer, onLaterPages=footer)
        return buffer.getvalue()


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rules_text() -> str:
    return pgettext(
        "report",
        "How the figures are counted: effort counts once per patrol, not per team member. A patrol counts in the "
        "period where it started; its hours, patrol-days and distance are shared between periods by the time it "
        "spent in each. Catch per unit effort is snares found per 100 km on patrol and per patrol-day; with no "
        'patrol effort it reads "no effort". Area covered counts the 1 km cells within 100 m of a track. Cases '
        "count as opened and closed on their dates; the conviction rate is convicted cases over cases with a "
        "verdict in the period. The report holds counts only: no personal data and no exact locations.",
    )
