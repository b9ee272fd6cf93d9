"""One validation per enforcement record kind, called by the services (API, sync, commands) before saving.

Each check names the field at fault in words a person can act on; the models' named constraints stay as
the database's last line of defence (and the admin's forms meet them through `full_clean`).
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from threats.enforcement.models import CURRENCY_PATTERN, Case, CustodyEvent, EnforcementAction, EvidenceItem, Suspect
from threats.records.models import EARLIEST_RECORD_TIME


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


def _fine(errors: dict[str, str], amount: Any, currency: str) -> None:
    if amount is None:
        return
    if amount < 0:
        errors["fine_amount"] = _("A fine cannot be negative.")
    if not re.match(CURRENCY_PATTERN, currency or ""):
        errors["fine_currency"] = _("Give the fine's currency as a three-letter ISO 4217 code, e.g. RUB.")


def _from_1990(errors: dict[str, str], field: str, value: Any) -> None:
    if value is not None and value < EARLIEST_RECORD_TIME:
        errors[field] = _("Times before 1990 are not accepted.")


def suspect_check(suspect: Suspect) -> None:
    errors = {}
    this_year = timezone.localdate().year
    if suspect.birth_year is not None and not 1900 <= suspect.birth_year <= this_year:
        errors["birth_year"] = _("A year from 1900 to %(year)d.") % {"year": this_year}
    _raise(errors)


def case_check(case: Case) -> None:
    errors: dict[str, str] = {}
    _fine(errors, case.fine_amount, case.fine_currency)
    for field in ("charged_on", "verdict_on", "closed_on"):
        value = getattr(case, field)
        if value is not None and case.opened_on is not None and value < case.opened_on:
            errors[field] = _("This date is before the case was opened.")
    if case.status == Case.Status.CLOSED and case.closed_on is None:
        errors["closed_on"] = _("A closed case needs the date it was closed.")
    _raise(errors)


def action_check(action: EnforcementAction) -> None:
    errors: dict[str, str] = {}
    _fine(errors, action.fine_amount, action.fine_currency)
    _from_1990(errors, "taken_at", action.taken_at)
    _raise(errors)


def evidence_check(item: EvidenceItem) -> None:
    errors: dict[str, str] = {}
    if item.quantity is not None and item.quantity < 1:
        errors["quantity"] = _("At least one.")
    if item.kind == EvidenceItem.Kind.PHOTO and not item.path:
        errors["file"] = _("A photo needs its original file.")
    _from_1990(errors, "collected_at", item.collected_at)
    _raise(errors)


def custody_check(event: CustodyEvent) -> None:
    errors: dict[str, str] = {}
    _from_1990(errors, "occurred_at", event.occurred_at)
    if event.occurred_at is not None and event.occurred_at < event.item.collected_at:
        errors["occurred_at"] = _("This is before the item was collected.")
    _raise(errors)


CHECKS = {Suspect: suspect_check, Case: case_check, EnforcementAction: action_check, EvidenceItem: evidence_check,
          CustodyEvent: custody_check}  # fmt: skip
