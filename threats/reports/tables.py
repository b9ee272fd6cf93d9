"""A report as rows people read: one row per figure, this period beside the previous one and each group.

The web page, the CSV and the PDF all print these rows, so a figure reads the same everywhere and in the
language asked for (call inside `translation.override`). Zero effort prints "no effort", never a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, pgettext

from threats.enforcement.models import Case, EnforcementAction
from threats.records.models import Detection, Incident, SnareFind, Species


@dataclass
class Row:
    section: str
    key: str  # a stable machine name, e.g. "snares_by_material.wire"
    label: str
    values: list[str]  # this period, previous period, then each group
    raw: list[Any]  # the same as numbers (None where there is none), for charts


def _number(value: Any) -> str:
    """1,234.5 in English; 1 234,5 in Russian (a no-break space between thousands, a decimal comma)."""
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        return str(value)
    if (get_language() or "en").startswith("ru"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def _money(value: dict[str, str]) -> str:
    return "; ".join(f"{amount} {currency}" for currency, amount in value.items()) or "0"


def _species_name(scientific: str) -> str:
    species = Species.objects.filter(scientific_name=scientific).first()
    return species.common_name if species else scientific


def _columns(report: dict) -> list[dict]:
    return [report["totals"], report["previous"], *report["groups"]]


def _scalar(section: str, key: str, label: str, columns: list[dict], kind: str = "number") -> Row:
    raw = [c.get(key) for c in columns]
    values = []
    for value in raw:
        if value is None and kind == "cpue":
            values.append(pgettext("report", "no effort"))
        elif value is None:
            values.append("—")
        elif kind == "percent":
            values.append(f"{value * 100:.0f} %")
        elif kind == "money":
            values.append(_money(value))
        else:
            values.append(_number(value))
    return Row(section, key, label, values, raw)


def _breakdown(section: str, key: str, columns: list[dict], labels: dict[str, str], label_for=None) -> list[Row]:
    names = sorted({name for c in columns for name in (c.get(key) or {})})
    rows = []
    for name in names:
        raw = [(c.get(key) or {}).get(name, 0) for c in columns]
        raw = [v["records"] if isinstance(v, dict) else v for v in raw]
        label = labels.get(name) or (label_for(name) if label_for else name)
        rows.append(Row(section, f"{key}.{name}", f"  {label}", [_number(v) for v in raw], raw))
    return rows


def report_rows(report: dict) -> list[Row]:
    columns = _columns(report)
    effort, snares = pgettext("report", "Patrol effort"), pgettext("report", "Snares")
    animals, incidents = pgettext("report", "Animals in snares"), pgettext("report", "Incidents")
    enforcement = pgettext("report", "Enforcement")
    wildlife = pgettext("report", "Wildlife and camera traps")
    rows = [
        _scalar(effort, "patrols", pgettext("report", "Patrols"), columns),
        _scalar(effort, "patrol_days", pgettext("report", "Patrol-days"), columns),
        _scalar(effort, "distance_km", pgettext("report", "Distance on patrol (km)"), columns),
        _scalar(effort, "hours", pgettext("report", "Hours on patrol"), columns),
        _scalar(
            effort, "area_km2", pgettext("report", "Area covered (km², 1 km cells within 100 m of a track)"), columns
        ),
        _scalar(snares, "snare_finds", pgettext("report", "Snare finds (records)"), columns),
        _scalar(snares, "snares", pgettext("report", "Snares found"), columns),
        _scalar(snares, "snares_removed", pgettext("report", "Snares removed or destroyed"), columns),
        _scalar(snares, "cpue_per_100km", pgettext("report", "Snares per 100 km on patrol"), columns, "cpue"),
        _scalar(snares, "cpue_per_patrol_day", pgettext("report", "Snares per patrol-day"), columns, "cpue"),
    ]
    for key, title, choices in [
        ("snares_by_material", pgettext("report", "By material"), SnareFind.Material.choices),
        ("snares_by_placement", pgettext("snare placement", "By placement"), SnareFind.Placement.choices),
        ("snares_by_state", pgettext("report", "By state"), SnareFind.State.choices),
    ]:
        rows.append(Row(snares, key, title, [""] * len(columns), [None] * len(columns)))
        rows += _breakdown(snares, key, columns, {k: str(v) for k, v in choices})
    conditions = dict(SnareFind.CatchCondition.choices)
    caught = sorted({(a["species"], a["condition"]) for c in columns for a in c.get("animals_in_snares", [])})
    for species, condition in caught:
        raw = [
            sum(
                a["count"]
                for a in c.get("animals_in_snares", [])
                if (a["species"], a["condition"]) == (species, condition)
            )
            for c in columns
        ]
        label = f"{_species_name(species)}: {str(conditions.get(condition, condition)).lower()}"
        rows.append(Row(animals, f"animals_in_snares.{species}.{condition}", label, [_number(v) for v in raw], raw))
    if not caught:
        rows.append(
            Row(animals, "animals_in_snares", pgettext("report", "None"), ["0"] * len(columns), [0] * len(columns))
        )
    rows.append(_scalar(incidents, "incidents", pgettext("report", "Incidents"), columns))
    rows += _breakdown(incidents, "incidents_by_kind", columns, {k: str(v) for k, v in Incident.Kind.choices})
    rows.append(_scalar(enforcement, "actions", pgettext("report", "Enforcement actions"), columns))
    rows += _breakdown(enforcement, "actions_by_kind", columns, {k: str(v) for k, v in EnforcementAction.Kind.choices})
    rows += [
        _scalar(enforcement, "cases_opened", pgettext("report", "Cases opened"), columns),
        _scalar(enforcement, "cases_closed", pgettext("report", "Cases closed"), columns),
    ]
    rows += _breakdown(enforcement, "verdicts", columns, {k: str(v) for k, v in Case.Verdict.choices if k})
    rows.append(
        _scalar(enforcement, "conviction_rate", pgettext("report", "Conviction rate (of verdicts)"), columns, "percent")
    )
    penalties = [c.get("penalties", {}) for c in columns]
    for key, label, kind in [
        ("court_fines", pgettext("report", "Fines by courts"), "money"),
        ("protocol_fines", pgettext("report", "Fines by administrative protocols"), "money"),
        ("prison_months", pgettext("report", "Prison sentences (months)"), "number"),
        ("conditional_sentences", pgettext("report", "Conditional sentences"), "number"),
    ]:
        shown = [{f"penalties.{key}": p.get(key)} for p in penalties]
        rows.append(_scalar(enforcement, f"penalties.{key}", label, shown, kind))
    rows.append(_scalar(wildlife, "detections", pgettext("report", "Wildlife detections (records)"), columns))
    rows += _breakdown(wildlife, "detections_by_species", columns, {}, _species_name)
    rows += _breakdown(
        wildlife, "detections_of_people_or_vehicles", columns, {k: str(v) for k, v in Detection.ObservationType.choices}
    )
    rows += [
        _scalar(wildlife, "trap_days", pgettext("report", "Camera effort (trap-days)"), columns),
        _scalar(wildlife, "camera_deployments", pgettext("report", "Camera deployments active"), columns),
    ]
    return rows


def column_titles(report: dict) -> list[str]:
    return [
        pgettext("report", "This period (%(label)s)") % {"label": report["period"]["label"]},
        pgettext("report", "Previous period (%(label)s)") % {"label": report["previous_period"]["label"]},
        *[g["label"] for g in report["groups"]],
    ]
