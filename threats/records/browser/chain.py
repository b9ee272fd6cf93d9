"""What a record's page shows beside the record: an incident's chain (its snare finds, the actions taken,
the case and its evidence), a snare find's incidents.

Each part is read through its own privacy selector: a ranger sees only the finds of their teams, an
analyst sees no suspects, a generalised record stays generalised here too.
"""

from typing import Any

from patrol.reserves.selectors import User
from threats.records.browser.rows import decorate
from threats.records.browser.selectors import SECTIONS
from threats.records.models import Incident, SnareFind
from threats.records.selectors import incidents_for_user, snare_finds_for_user


def incident_chain(*, record: Incident, user: User) -> dict[str, Any]:
    finds = list(snare_finds_for_user(user=user).filter(incidents=record))
    decorate(finds, section=SECTIONS["snare-finds"], user=user, reserve=record.reserve)
    return {"finds": finds}


def snare_find_context(*, record: SnareFind, user: User) -> dict[str, Any]:
    incidents = list(incidents_for_user(user=user).filter(snare_finds=record))
    decorate(incidents, section=SECTIONS["incidents"], user=user, reserve=record.reserve)
    return {"incidents": incidents}


DETAIL_CONTEXT = {"incidents": incident_chain, "snare-finds": snare_find_context}
