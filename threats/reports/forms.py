"""What a report asks for, from the page's query string: the period, what it covers, the grouping."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import pgettext_lazy

from threats.reports.build import SCOPES, Scope
from threats.reports.exports import LANGUAGES
from threats.reports.figures import GROUPINGS
from threats.reports.periods import KINDS, Period, month_period, period_parse

EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)  # no record is older (threats.records.models)
PERIOD_LABELS = {
    "month": pgettext_lazy("report", "Month"),
    "quarter": pgettext_lazy("report", "Quarter"),
    "year": pgettext_lazy("report", "Year"),
    "custom": pgettext_lazy("report", "Custom"),
}
SCOPE_LABELS = {
    "reserve": pgettext_lazy("report", "Whole reserve"),
    "zone": pgettext_lazy("report", "Zone"),
    "post": pgettext_lazy("report", "Post"),
    "team": pgettext_lazy("report", "Team"),
    "valley": pgettext_lazy("report", "Valley"),
}
GROUP_LABELS = {
    "": pgettext_lazy("report", "No grouping"),
    "team": pgettext_lazy("report", "Team"),
    "post": pgettext_lazy("report", "Post"),
    "zone": pgettext_lazy("report", "Zone"),
    "valley": pgettext_lazy("report", "Valley"),
    "month": pgettext_lazy("report", "Month"),
}


class ReportForm(forms.Form):
    period = forms.ChoiceField(
        label=pgettext_lazy("report", "Period"), choices=[(k, PERIOD_LABELS[k]) for k in KINDS], initial="month"
    )
    value = forms.CharField(
        label=pgettext_lazy("report", "Which"),
        required=False,
        help_text=pgettext_lazy("report", "2026-03, 2026-Q1 or 2026"),
    )
    first = forms.DateField(label=pgettext_lazy("report", "From"), required=False)
    last = forms.DateField(label=pgettext_lazy("report", "To"), required=False)
    part = forms.CharField(
        label=pgettext_lazy("report", "Covers"),
        required=False,
        max_length=220,
        help_text=pgettext_lazy("report", "reserve, team:ID, post:ID, zone:ID or valley:NAME"),
    )
    by = forms.ChoiceField(
        label=pgettext_lazy("report", "Group by"),
        choices=[(k, GROUP_LABELS[k]) for k in ("", *GROUPINGS)],
        required=False,
    )
    lang = forms.ChoiceField(choices=[(k, k) for k in LANGUAGES], required=False)

    def __init__(self, data, *, today: date, **kwargs):
        self.today = today
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("period") or "month"
        value = (cleaned.get("value") or "").strip()
        try:
            if kind == "custom":
                if not cleaned.get("first") or not cleaned.get("last"):
                    raise ValueError
                cleaned["report_period"] = Period("custom", cleaned["first"], cleaned["last"])
            elif value:
                cleaned["report_period"] = period_parse(kind, value)
            else:
                default = month_period(self.today)
                cleaned["report_period"] = {
                    "month": default,
                    "quarter": period_parse("quarter", f"{self.today.year}-{(self.today.month - 1) // 3 + 1}"),
                    "year": period_parse("year", str(self.today.year)),
                }[kind]
        except (ValueError, KeyError):
            raise forms.ValidationError(
                pgettext_lazy(
                    "report",
                    "Give the period as 2026-03 (month), 2026-Q1 (quarter) or 2026 (year), or a first and last day.",
                )
            ) from None
        chosen = cleaned["report_period"]
        if chosen.first < EARLIEST or chosen.last > LATEST:
            raise forms.ValidationError(pgettext_lazy("report", "Reports cover days from 1990 to 2100."))
        if cleaned["report_period"].days > 3660:
            raise forms.ValidationError(pgettext_lazy("report", "A report covers at most ten years."))
        kind, _sep, which = (cleaned.get("part") or "reserve").partition(":")
        if kind not in SCOPES or (kind != "reserve" and not which):
            raise forms.ValidationError(
                pgettext_lazy("report", "Choose what the report covers: the reserve, a zone, post, team or valley.")
            )
        cleaned["report_scope"] = Scope(kind, which)
        cleaned["report_by"] = cleaned.get("by") or None
        return cleaned
