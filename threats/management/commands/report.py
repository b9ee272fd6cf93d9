"""A report for a period as JSON, CSV or PDF.

    python manage.py report --reserve SLUG --start YYYY-MM-DD --end YYYY-MM-DD
        [--by team|post|zone|valley|month] [--scope team|post|zone|valley --scope-id ID_OR_NAME]
        [--format json|csv|pdf] [--language en|ru] --out FILE

Both dates are included (the reserve's calendar days). The JSON holds "totals" (the period), "previous"
(the period of the same length before, or the previous month, quarter or year) and one entry per group in
"groups", each with patrols, patrol_days, distance_km, hours, snare_finds, snares, cpue_per_100km,
cpue_per_patrol_day (null when there was no effort: "no_effort" is true), incidents, actions,
cases_opened, cases_closed and the breakdowns (docs/reports.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from patrol.reserves.models import Reserve
from threats.reports.build import SCOPES, ReportInputError, Scope, monthly_trend, report_build, trend_months
from threats.reports.exports import FORMATS, LANGUAGES, report_csv, report_json, report_pdf
from threats.reports.figures import GROUPINGS
from threats.reports.forms import EARLIEST, LATEST
from threats.reports.periods import period_for


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name} must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Write a report (patrol effort, snares, CPUE, incidents, enforcement, wildlife) for a period."

    def add_arguments(self, parser):
        parser.add_argument("--reserve", required=True, help="reserve slug")
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last day (included), YYYY-MM-DD")
        parser.add_argument("--by", choices=GROUPINGS, help="also give the figures per group")
        parser.add_argument("--scope", choices=SCOPES, default="reserve", help="report on part of the reserve")
        parser.add_argument("--scope-id", default="", help="the team, post or zone id, or the valley's name")
        parser.add_argument("--format", choices=FORMATS, default="json")
        parser.add_argument("--language", choices=LANGUAGES, default="en", help="of the CSV and PDF")
        parser.add_argument("--out", required=True, help="output file ('-' for standard output, not for pdf)")

    def handle(self, *args, **options):
        reserve = Reserve.objects.filter(slug=options["reserve"]).first()
        if reserve is None:
            raise CommandError(f"No reserve with slug {options['reserve']!r}.")
        first, last = _date(options["start"], "start"), _date(options["end"], "end")
        if last < first:
            raise CommandError("--end is before --start.")
        if first < EARLIEST or last > LATEST:
            raise CommandError("Reports cover days from 1990 to 2100.")
        try:
            report = report_build(reserve=reserve, period=period_for(first, last),
                                  scope=Scope(options["scope"], options["scope_id"]), by=options["by"])  # fmt: skip
        except ReportInputError as exc:
            raise CommandError(str(exc)) from None
        fmt, language = options["format"], options["language"]
        if fmt == "pdf":
            if options["out"] == "-":
                raise CommandError("A PDF needs a file: --out FILE.pdf.")
            period, scope = period_for(first, last), Scope(options["scope"], options["scope_id"])
            trend = monthly_trend(reserve=reserve, period=period, scope=scope, months=trend_months(period))
            Path(options["out"]).write_bytes(report_pdf(report, language=language, trend=trend))
        else:
            text = report_json(report) if fmt == "json" else report_csv(report, language=language)
            if options["out"] == "-":
                self.stdout.write(text)
                return
            Path(options["out"]).write_text(text, encoding="utf-8")
        totals = report["totals"]
        self.stderr.write(
            f"{reserve.slug} {report['period']['label']}: {totals['patrols']} patrols, {totals['distance_km']} km, "
            f"{totals['snares']} snares -> {options['out']}"
        )
