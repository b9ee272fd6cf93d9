"""What the field app shows, in the user's language: its strings and each field's choices.

The page embeds them in its config (views._config), so the service worker's cached page carries them
offline, and locale/<lang>/LC_MESSAGES/django.po is the one place for translations. Choice lists come
from the models' TextChoices: the app offers exactly what threats.records.validation accepts.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from threats.enforcement.models import EnforcementAction, EvidenceItem
from threats.records.models import Detection, Incident, SnareFind


def field_strings() -> dict[str, str]:
    """The app's interface strings by key; `{name}` marks a value the app fills in."""
    return {
        # seizures and protocols at an incident (seizure.js)
        "seizure": _("Seizure"), "protocol": _("Protocol"), "action_item": _("Seizure or protocol"),
        "at_incident": _("At incident"), "this_phone": _("logged on this phone"),
        "no_incidents": _("Log the incident first: seizures and protocols are logged at an incident."),
        "seized": _("Seized items"), "add_item": _("Add an item"), "remove_item": _("Remove"),
        "quantity": _("Quantity"), "item_kind": _("What"), "item_photo": _("Photo of the item"),
        "action_kind": _("Action"), "protocol_number": _("Protocol number"), "fine_amount": _("Fine"),
        "fine_currency": _("Currency"), "place_name": _("Place name"), "protocol_photo": _("Photo of the protocol"),
        "need_item": _("Add at least one seized item."), "fine_invalid": _("The fine must be a number, 0 or more."),
        "online": _("Online"), "offline": _("Offline"), "waiting": _("{n} waiting"),
        "nothing_waiting": _("All synced"), "last_sync": _("Last sync: {t}"), "never_synced": _("Not synced yet"),
        "sync_now": _("Sync now"), "syncing": _("Syncing…"), "synced": _("Synced"),
        "sync_failed": _("Sync failed: will retry"), "login_title": _("Log in"), "username": _("Username"),
        "password": _("Password"), "reserve": _("Reserve"), "log_in": _("Log in"), "log_out": _("Log out"),
        "login_failed": _("Login failed"), "login_needs_network": _("Logging in needs the network once."),
        "token_revoked": _("This phone was signed out. Log in again."), "snare_find": _("Snare find"),
        "incident": _("Incident"), "sign": _("Wildlife sign / sighting"), "queue": _("Waiting list"),
        "back": _("Back"), "save": _("Save"), "saved": _("Saved on the phone"), "location": _("Location"),
        "get_fix": _("Get GPS fix"), "locating": _("Getting GPS fix…"),
        "fix": _("{lat}, {lon} ± {acc} m ({n} readings)"), "no_fix": _("No GPS fix"),
        "manual": _("Or type the coordinates"), "latitude": _("Latitude"), "longitude": _("Longitude"),
        "need_location": _("A location is needed."), "count": _("Count (snares in the line)"),
        "material": _("Material"), "state": _("State"), "placement": _("Placement"),
        "catch_species": _("Caught animal"), "none": _("None"), "catch_condition": _("Animal condition"),
        "action": _("Action taken"), "notes": _("Notes"), "photo": _("Photo"), "kind": _("Kind"),
        "description": _("Description"), "species": _("Species"), "method": _("Method"),
        "individual_id": _("Individual ID"), "patrol": _("Patrol"), "no_patrol": _("No patrol"),
        "start_patrol": _("Start patrol"), "pause_patrol": _("Pause"), "resume_patrol": _("Resume"),
        "end_patrol": _("End patrol"), "new_patrol_for": _("New patrol for {team}"),
        "patrol_running": _("Patrol running: {n} GPS points"), "patrol_paused": _("Patrol paused: {n} GPS points"),
        "records": _("records"), "photos": _("photos"), "points": _("track points"),
        "rejected": _("Refused by the server"),
        "items_waiting": _("{r} records, {p} photos, {t} track points waiting"),
        "count_invalid": _("Count must be 1 or more."),
        "upcoming": _("Your team's patrols"), "no_upcoming": _("No patrols assigned to your team."),
        "show_route": _("Route map"), "no_position": _("Waiting for your GPS position…"),
        "next_waypoint": _("Waypoint {k} of {n}: {d}"), "route_end": _("End of the route: {d}"),
        "metres": _("{n} m"), "kilometres": _("{n} km"),
        "map_not_saved": _("The map is not on this phone yet: sync once with the network."),
        "recent_fix": _("{lat}, {lon} ± {acc} m (the patrol's GPS fix, {s} s ago)"),
    }  # fmt: skip


# The value a form starts with where the model has no default: most signs a ranger logs are tracks.
FORM_DEFAULTS = {("detection", "method"): Detection.Method.TRACK}

CHOICE_FIELDS: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "snare_find": (SnareFind, ("material", "state", "placement", "catch_condition", "action")),
    "incident": (Incident, ("kind",)),
    "detection": (Detection, ("method",)),
    "action": (EnforcementAction, ("kind",)),
    "evidence": (EvidenceItem, ("kind",)),
}
# A protocol is the form's default action; a photo is not a seized thing (it is uploaded with the item).
FORM_DEFAULTS[("action", "kind")] = EnforcementAction.Kind.PROTOCOL_FINE
LEFT_OUT = {("evidence", "kind"): {EvidenceItem.Kind.PHOTO}}


def field_choices() -> dict[str, dict[str, Any]]:
    """Per record kind and field: the default and the [value, label] pairs, labels in the active language."""
    result: dict[str, dict[str, Any]] = {}
    for kind, (model, names) in CHOICE_FIELDS.items():
        result[kind] = {}
        for name in names:
            model_field = model._meta.get_field(name)
            left_out = LEFT_OUT.get((kind, name), set())
            options = [[value, str(label)] for value, label in model_field.choices if value not in left_out]
            default = FORM_DEFAULTS.get((kind, name)) or model_field.get_default() or options[0][0]
            result[kind][name] = {"default": str(default), "options": options}
    return result
