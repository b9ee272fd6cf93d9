"""A seizure or a protocol logged at an incident in the field app: the rules of its sync item.

One item of kind "action" is one EnforcementAction (a confiscation for a seizure, an administrative protocol
and fine for a protocol, or any other action kind) linked to an incident, with the seized things as
evidence items inside it (`items`: each its own client UUID, kind, quantity and description; a photo of
one is uploaded afterwards under that UUID). The checks follow threats.records.validation (the same
messages for times, places, counts, choices and text); the enforcement services then apply the model's
rules and the role rules when the item is stored.
"""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from threats.enforcement.models import CURRENCY_PATTERN, EnforcementAction, EvidenceItem
from threats.records.validation import (
    RecordContext,
    RecordRules,
    _check_fields,
    _Checker,
    _choice_error,
    _count_error,
    _finish,
    _text_error,
)

MAX_ITEMS = 50
MAX_FINE = Decimal("1000000000000")  # the column holds 14 digits, 2 after the point
SEIZED_KINDS = frozenset(k for k in EvidenceItem.Kind.values if k != EvidenceItem.Kind.PHOTO)
CURRENCY = re.compile(CURRENCY_PATTERN)  # the database constraint's pattern

ACTION = RecordRules(
    model=EnforcementAction, required=("kind",), times=("taken_at",), choices={"kind": EnforcementAction.Kind},
    texts={"description": None, "place_name": 200, "protocol_number": 100},
)  # fmt: skip


class _SeizedKinds:
    """The evidence kinds a phone may send as seized things (a photo is uploaded, not listed)."""

    values = sorted(SEIZED_KINDS)


def _item_errors(number: int, item: Mapping[str, Any], seen: set[Any]) -> list[str]:
    errors = []
    if item.get("client_uuid") is None:
        errors.append(_("client_uuid: This field is required."))
    elif item["client_uuid"] in seen:
        errors.append(_("client_uuid: The same UUID is used twice."))
    seen.add(item.get("client_uuid"))
    if message := _choice_error(item.get("kind"), SEIZED_KINDS, _SeizedKinds):  # type: ignore[arg-type]
        errors.append(f"kind: {message}")
    if message := _count_error(item.get("quantity", 1)):
        errors.append(f"quantity: {message}")
    if message := _text_error(item.get("description", ""), None):
        errors.append(f"description: {message}")
    return [_("Item %(n)d: %(error)s") % {"n": number, "error": error} for error in errors]


def action_clean(values: Mapping[str, Any], *, context: RecordContext, instance: Any = None,
                 flag: bool = False) -> dict[str, Any]:  # fmt: skip
    """An action item's values, checked; raises ValidationError by field."""
    check = _Checker(ACTION, values, instance)
    _check_fields(check, context)
    amount, currency = values.get("fine_amount"), values.get("fine_currency", "")
    if message := _text_error(currency, 3):
        check.add("fine_currency", message)
    elif currency:
        check.cleaned["fine_currency"] = currency = currency.upper()
        if not CURRENCY.match(currency):
            check.add("fine_currency", _("A currency is three letters (ISO 4217), e.g. RUB."))
    if amount is not None:
        if not Decimal(0) <= amount < MAX_FINE:
            check.add("fine_amount", _("A fine is between 0 and %(max)s.") % {"max": MAX_FINE})
        elif not currency:
            check.add("fine_currency", _("A fine needs its currency, e.g. RUB."))
    items = values.get("items") or []
    if len(items) > MAX_ITEMS:
        check.add("items", _("At most %(n)d items per action.") % {"n": MAX_ITEMS})
    else:
        seen: set[Any] = set()
        for number, item in enumerate(items):
            for message in _item_errors(number, item, seen):
                check.add("items", message)
    return _finish(check)


def incident_ref_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """An action from the field is logged at one incident: by its server id or its client UUID."""
    given = [name for name in ("incident", "incident_uuid") if values.get(name) is not None]
    if len(given) != 1:
        return {"incident": [_("Give the incident: its id or its client UUID (one of them).")]}
    return {}
