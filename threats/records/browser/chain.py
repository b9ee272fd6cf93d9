"""What a record's page shows beside the record: an incident's chain (its snare finds, the actions taken,
the cases and the evidence with its custody), a snare find's incidents, an action's and a case's links.

Each part is read through its own privacy selector: a ranger sees only the finds of their teams, an
analyst sees no cases and no suspects, a generalised record stays generalised here too.
"""

from typing import Any

from django.db.models import Prefetch, Q
from django.urls import reverse

from patrol.reserves.selectors import User
from threats.enforcement.models import Case, CustodyEvent, EnforcementAction
from threats.enforcement.selectors import cases_for_user, evidence_for_user, may_see_suspects, suspects_for_user
from threats.records.browser.rows import decorate
from threats.records.browser.selectors import SECTIONS, actions_shown
from threats.records.models import Incident, SnareFind
from threats.records.selectors import incidents_for_user, snare_finds_for_user


def _custody() -> Prefetch:
    return Prefetch(
        "custody_events",
        queryset=CustodyEvent.objects.select_related("from_user", "to_user").order_by("occurred_at", "id"),
    )


def _evidence(*, user: User, where: Q) -> list[Any]:
    return list(evidence_for_user(user=user).filter(where).prefetch_related(_custody()).order_by("collected_at", "id"))


def _suspects(*, user: User, reserve: Any, where: Q) -> list[Any]:
    """Suspects only for the reserve's managers and administrators; nobody else learns there are any."""
    if not may_see_suspects(user=user, reserve=reserve):
        return []
    return list(suspects_for_user(user=user).filter(where).distinct())


def incident_chain(*, record: Incident, user: User) -> dict[str, Any]:
    reserve = record.reserve
    finds = list(snare_finds_for_user(user=user).filter(incidents=record))
    decorate(finds, section=SECTIONS["snare-finds"], user=user, reserve=reserve)
    actions = list(actions_shown(user=user).filter(incidents=record))
    decorate(actions, section=SECTIONS["actions"], user=user, reserve=reserve)
    cases = list(cases_for_user(user=user).filter(Q(incidents=record) | Q(actions__incidents=record)).distinct())
    for case in cases:
        case.detail_url = reverse("records-detail", args=["cases", case.pk])
    evidence = _evidence(user=user, where=Q(incident=record) | Q(action__incidents=record))
    suspects = _suspects(user=user, reserve=reserve,
                         where=Q(enforcement_actions__incidents=record) | Q(cases__incidents=record))  # fmt: skip
    return {"finds": finds, "actions": actions, "cases": cases, "evidence": _unique(evidence), "suspects": suspects,
            "coarse": record.location_generalised}  # fmt: skip


def _unique(rows: list[Any]) -> list[Any]:
    seen: set[int] = set()
    return [r for r in rows if not (r.pk in seen or seen.add(r.pk))]


def snare_find_context(*, record: SnareFind, user: User) -> dict[str, Any]:
    incidents = list(incidents_for_user(user=user).filter(snare_finds=record))
    decorate(incidents, section=SECTIONS["incidents"], user=user, reserve=record.reserve)
    return {"incidents": incidents}


def action_context(*, record: EnforcementAction, user: User) -> dict[str, Any]:
    incidents = list(incidents_for_user(user=user).filter(enforcement_actions=record))
    decorate(incidents, section=SECTIONS["incidents"], user=user, reserve=record.reserve)
    case = cases_for_user(user=user).filter(pk=record.case_id).first() if record.case_id else None
    return {
        "incidents": incidents, "case": case,
        "evidence": _evidence(user=user, where=Q(action=record)),
        "suspects": _suspects(user=user, reserve=record.reserve, where=Q(enforcement_actions=record)),
        "coarse": record.time_generalised,
    }  # fmt: skip


def case_context(*, record: Case, user: User) -> dict[str, Any]:
    incidents = _unique(
        list(incidents_for_user(user=user).filter(Q(cases=record) | Q(enforcement_actions__case=record)))
    )
    decorate(incidents, section=SECTIONS["incidents"], user=user, reserve=record.reserve)
    actions = list(actions_shown(user=user).filter(case=record))
    decorate(actions, section=SECTIONS["actions"], user=user, reserve=record.reserve)
    return {
        "incidents": incidents, "actions": actions,
        "events": list(record.events.order_by("occurred_on", "id")),
        "evidence": _unique(_evidence(user=user, where=Q(case=record) | Q(action__case=record))),
        "suspects": _suspects(user=user, reserve=record.reserve, where=Q(cases=record)),
        "coarse": any(i.location_generalised for i in incidents),
    }  # fmt: skip


DETAIL_CONTEXT = {"incidents": incident_chain, "snare-finds": snare_find_context, "actions": action_context,
                  "cases": case_context}  # fmt: skip
