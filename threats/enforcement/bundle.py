"""The evidence bundle of a case, for the prosecutor: one ZIP with

- `originals/<item id>-<sha256>.<ext>`: each item's original, byte for byte;
- `manifest.json`: the case, its incidents, actions and timeline, and for each item its SHA-256 as registered
  and as read while bundling, and its whole custody log;
- `manifest.csv` (one row per item) and `custody.csv` (one row per hand-over);
- `SHA256SUMS`: `sha256sum -c SHA256SUMS` checks the originals;
- `summary.pdf`: the same in words, in English or Russian.

Suspects are never in it (docs/enforcement.md): the agency holds their identities. Locations are those the
acting user may see (`display_location`).
"""

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import npgettext, pgettext

from patrol.reserves.access import require_manager
from patrol.reserves.selectors import User
from threats.enforcement.files import EXTENSIONS, file_sha256, private_root
from threats.enforcement.models import Case
from threats.enforcement.selectors import actions_for_user, case_evidence, evidence_for_user

BUNDLE_LANGUAGES = ("en", "ru")


_ZONE: dict[str, ZoneInfo] = {}


def _time(value: Any, zone: str = "UTC") -> str:
    """A time as the reserve's clocks showed it (the prosecutor reads local times), with its zone."""
    if not value:
        return ""
    tz = _ZONE.setdefault(zone, ZoneInfo(zone))
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M %Z")


def _person(user: Any, name: str) -> str:
    if user is not None and name:
        return f"{user.get_full_name() or user.username} ({name})"
    if user is not None:
        return user.get_full_name() or user.username
    return name


def _point(point: Any) -> str:
    return f"{point.y:.5f}, {point.x:.5f}" if point is not None else ""


def _penalty(case: Case) -> str:
    parts = []
    if case.fine_amount is not None:
        parts.append(
            pgettext("evidence bundle", "fine %(amount)s %(currency)s")
            % {"amount": case.fine_amount, "currency": case.fine_currency}
        )
    if case.prison_months:
        months = case.prison_months
        parts.append(npgettext("evidence bundle", "%(months)d month in prison", "%(months)d months in prison", months)
                     % {"months": months})  # fmt: skip
    if case.conditional:
        parts.append(pgettext("evidence bundle", "conditional"))
    return ", ".join(parts)


def case_manifest(*, actor: User, case: Case) -> dict[str, Any]:
    """Everything the bundle states, as plain data (in the active language where it is words)."""
    items = list(case_evidence(case=case))
    zone = case.reserve.timezone
    shown = {i.pk: i for i in evidence_for_user(user=actor).filter(pk__in=[i.pk for i in items])}
    actions = actions_for_user(user=actor).filter(case=case).order_by("taken_at", "id")
    manifest: dict[str, Any] = {
        "format": "irbis-evidence-bundle/1",
        "reserve": case.reserve.name,
        "generated_at": _time(timezone.now(), zone),
        "generated_by": _person(actor, ""),
        "case": {
            "id": case.pk,
            "number": case.number,
            "agency": case.agency,
            "status": case.status,
            "status_display": case.get_status_display(),
            "charges": case.charges,
            "verdict": case.verdict,
            "verdict_display": case.get_verdict_display() if case.verdict else "",
            "fine_amount": str(case.fine_amount) if case.fine_amount is not None else None,
            "fine_currency": case.fine_currency,
            "prison_months": case.prison_months,
            "conditional": case.conditional,
            "penalty_display": _penalty(case),
            "opened_on": str(case.opened_on),
            "closed_on": str(case.closed_on) if case.closed_on else "",
        },  # fmt: skip
        "incidents": [
            {
                "id": i.pk,
                "occurred_at": _time(i.occurred_at, zone),
                "kind": i.kind,
                "kind_display": i.get_kind_display(),
                "description": i.description,
            }
            for i in case.incidents.order_by("occurred_at", "id")
        ],  # fmt: skip
        "actions": [
            {
                "id": a.pk,
                "taken_at": _time(a.taken_at, zone),
                "kind": a.kind,
                "kind_display": a.get_kind_display(),
                "place_name": a.place_name or _point(a.display_location),
                "protocol_number": a.protocol_number,
            }
            for a in actions
        ],  # fmt: skip
        "events": [
            {
                "occurred_on": str(e.occurred_on),
                "kind": e.kind,
                "kind_display": e.get_kind_display(),
                "description": e.description,
            }
            for e in case.events.order_by("occurred_on", "id")
        ],  # fmt: skip
        "items": [],
    }
    root = private_root()
    for item in items:
        actual = file_sha256(path) if item.path and (path := root / item.path).is_file() else None
        check = (
            "no_file"
            if not item.path
            else "missing"
            if actual is None
            else "ok"
            if actual == item.sha256
            else "changed"
        )
        check_display = {
            "no_file": pgettext("evidence bundle", "No file"),
            "missing": pgettext("evidence bundle", "The original is missing."),
            "ok": pgettext("evidence bundle", "The original matches its SHA-256."),
            "changed": pgettext("evidence bundle", "The original has changed since it was registered."),
        }[check]  # fmt: skip
        extension = EXTENSIONS.get(item.content_type, "bin")
        location = shown[item.pk].display_location if item.pk in shown else None
        manifest["items"].append({
            "id": item.pk, "kind": item.kind, "kind_display": item.get_kind_display(), "quantity": item.quantity,
            "description": item.description, "collected_at": _time(item.collected_at, zone),
            "collected_by": _person(item.collected_by, ""), "place": item.place_name or _point(location),
            "file": f"originals/{item.pk}-{item.sha256}.{extension}" if check == "ok" else None,
            "original_name": item.original_name, "content_type": item.content_type, "size_bytes": item.size_bytes,
            "sha256": item.sha256, "sha256_now": actual, "check": check, "check_display": check_display,
            "custody": [
                {"id": c.pk, "occurred_at": _time(c.occurred_at, zone), "kind": c.kind,
                 "kind_display": c.get_kind_display(),
                 "from": _person(c.from_user, c.from_name), "to": _person(c.to_user, c.to_name),
                 "place_name": c.place_name, "notes": c.notes, "recorded_by": _person(c.recorded_by, ""),
                 "recorded_at": _time(c.recorded_at, zone), "chain_sha256": c.chain_sha256}
                for c in item.custody_events.all()
            ],
        })  # fmt: skip
    return manifest


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def case_bundle_write(*, actor: User, case: Case, language: str = "en") -> IO[bytes]:
    """The ZIP, in a temporary file (originals can be large), positioned at its start."""
    require_manager(user=actor, reserve=case.reserve)
    with translation.override(language):
        manifest = case_manifest(actor=actor, case=case)
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        # The PDF states the manifest's hash: a manifest edited after the bundle was made no longer matches it.
        from threats.enforcement.pdf import summary_pdf  # reportlab: loaded by the first bundle, not at start-up

        pdf = summary_pdf(manifest, manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest())
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    root = private_root()
    sums = []
    paths = {item.pk: item.path for item in case_evidence(case=case)}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in manifest["items"]:
            if entry["file"] is None:
                continue
            archive.write(root / paths[entry["id"]], entry["file"])
            sums.append(f"{entry['sha256']}  {entry['file']}\n")
        archive.writestr("manifest.json", manifest_bytes)
        item_rows = [["id", "kind", "quantity", "collected_at", "collected_by", "file", "sha256", "check"]]
        item_rows += [[i["id"], i["kind"], i["quantity"], i["collected_at"], i["collected_by"], i["file"] or "",
                       i["sha256"], i["check"]] for i in manifest["items"]]  # fmt: skip
        archive.writestr("manifest.csv", _csv(item_rows))
        custody_rows = [["item", "event", "occurred_at", "kind", "from", "to", "place", "recorded_by", "recorded_at"]]
        custody_rows += [
            [i["id"], c["id"], c["occurred_at"], c["kind"], c["from"], c["to"], c["place_name"], c["recorded_by"],
             c["recorded_at"]]
            for i in manifest["items"] for c in i["custody"]
        ]  # fmt: skip
        archive.writestr("custody.csv", _csv(custody_rows))
        archive.writestr("SHA256SUMS", "".join(sums))
        archive.writestr("summary.pdf", pdf)
    out.seek(0)
    return out
