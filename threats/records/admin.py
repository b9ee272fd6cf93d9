from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from patrol.jobs.admin import EvidenceAdminMixin
from patrol.reserves.admin_base import ReserveScopedAdmin, ReserveScopedHistoryAdmin
from patrol.reserves.models import Membership
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species
from threats.records.selectors import (
    camera_deployments_for_user,
    detections_for_user,
    generalised,
    incidents_for_user,
    snare_finds_for_user,
)
from threats.records.validation import RecordContext, detection_clean, incident_clean, snare_find_clean


class RecordAdminForm(forms.ModelForm):
    """Checks a record with its kind's rules (threats.records.validation), as the API and the sync do."""

    clean_record = None

    def clean(self):
        cleaned = super().clean()
        reserve = cleaned.get("reserve") or getattr(self.instance, "reserve", None)
        if reserve is None or self.errors:
            return cleaned  # the form's own errors first (a missing reserve, an unreadable value)
        instance = self.instance if self.instance.pk else None
        values = {name: cleaned[name] for name in self.changed_data if name in cleaned}
        if instance is None:
            values = {name: value for name, value in cleaned.items() if value is not None}
        try:
            values = type(self).clean_record(values, context=RecordContext(reserve), instance=instance)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
            return cleaned
        cleaned.update((name, value) for name, value in values.items() if name in self.fields)
        return cleaned


def _record_form(clean_record):
    return type("RecordForm", (RecordAdminForm,), {"clean_record": staticmethod(clean_record)})


@admin.register(Species)
class SpeciesAdmin(admin.ModelAdmin):
    """Species are shared by every reserve: staff may look them up, only platform superusers change them."""

    list_display = ["scientific_name", "common_name_en", "common_name_ru", "sensitive", "is_snare_target"]
    list_filter = ["sensitive", "is_snare_target"]
    search_fields = ["scientific_name", "common_name_en", "common_name_ru"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class GeneralisedLocationMixin:
    """Lists show the selectors' `display_*` annotations; users without clearance never get a generalised
    record's form or history (they would show the exact point, time and patrol)."""

    selector = None
    hidden_lookups = ("observed_at", "found_at", "occurred_at", "created_at", "updated_at", "patrol",
                      "patrol_id", "reported_by", "reported_by_id", "device_recorded_at")  # fmt: skip
    hidden_fields = ["location", "observed_at", "found_at", "occurred_at", "patrol", "reported_by"]

    def get_queryset(self, request):
        if request.user.is_superuser:
            return generalised(self.model.objects.all(), user=request.user)
        return self.scope(request, type(self).selector(user=request.user))

    def lookup_allowed(self, lookup, value, request=None):
        # Filters on the exact time, patrol or reporter would find them for a generalised record by bisection;
        # the date hierarchy (to the day) stays.
        field, _sep, rest = lookup.partition("__")
        if field in self.hidden_lookups and rest not in ("year", "month", "day"):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("time"))
    def shown_time(self, obj):
        time = obj.display_time
        return f"{time:%Y-%m-%d}" if obj.location_generalised else f"{time:%Y-%m-%d %H:%M}"

    @admin.display(description=_("location"))
    def shown_location(self, obj):
        point = obj.display_location
        suffix = _(" (generalised)") if obj.location_generalised else ""
        return f"{point.y:.5f}, {point.x:.5f}{suffix}"

    def _cleared(self, request, obj) -> bool:
        if request.user.is_superuser or obj is None:
            return True
        return Membership.objects.filter(
            user=request.user, reserve_id=obj.reserve_id, sensitive_clearance=True
        ).exists()

    def get_ordering(self, request):
        # By the time shown: an order by the exact time would place a generalised record between the minutes
        # of its neighbours.
        return ["-display_time", "-pk"] if hasattr(self.model, "patrol") else super().get_ordering(request)

    @staticmethod
    def _generalised(obj) -> bool:
        # A past version (the history pages) is a plain instance without the selector's annotations.
        return obj is not None and getattr(obj, "location_generalised", False)

    def get_exclude(self, request, obj=None):
        if self._generalised(obj) and not self._cleared(request, obj):
            return self.hidden_fields
        return super().get_exclude(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._generalised(obj) and not self._cleared(request, obj):
            fields.append("shown_location")
            if hasattr(self.model, "patrol"):
                fields.append("shown_time")
        return fields

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if self._generalised(obj) and not self._cleared(request, obj):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version shows the exact point too: closed like the history list.
        obj = self.get_object(request, object_id)
        if self._generalised(obj) and not self._cleared(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(SnareFind)
class SnareFindAdmin(EvidenceAdminMixin, GeneralisedLocationMixin, ReserveScopedHistoryAdmin):
    selector = staticmethod(snare_finds_for_user)
    form = _record_form(snare_find_clean)
    list_display = ["shown_time", "reserve", "count", "material", "state", "catch_species", "action", "needs_review",
                    "shown_location"]  # fmt: skip
    list_filter = ["reserve", "material", "state", "action", "needs_review"]
    date_hierarchy = "found_at"
    raw_id_fields = ["patrol", "reported_by"]


@admin.register(Incident)
class IncidentAdmin(EvidenceAdminMixin, GeneralisedLocationMixin, ReserveScopedHistoryAdmin):
    selector = staticmethod(incidents_for_user)
    form = _record_form(incident_clean)
    list_display = ["shown_time", "reserve", "kind", "needs_review", "shown_location"]
    list_filter = ["reserve", "kind"]
    date_hierarchy = "occurred_at"
    raw_id_fields = ["patrol", "reported_by", "snare_finds"]


@admin.register(Detection)
class DetectionAdmin(EvidenceAdminMixin, GeneralisedLocationMixin, ReserveScopedHistoryAdmin):
    selector = staticmethod(detections_for_user)
    form = _record_form(detection_clean)
    list_display = ["shown_time", "reserve", "species", "method", "count", "individual_id", "shown_location"]
    list_filter = ["reserve", "species", "method"]
    date_hierarchy = "observed_at"
    raw_id_fields = ["patrol", "reported_by", "deployment"]


@admin.register(CameraDeployment)
class CameraDeploymentAdmin(GeneralisedLocationMixin, ReserveScopedAdmin):
    selector = staticmethod(camera_deployments_for_user)
    list_display = ["deployment_id", "reserve", "start", "end", "camera_model", "feature_type", "shown_location"]
    list_filter = ["reserve", "feature_type"]
