"""Admin for enforcement outcomes: data repair by the reserve's managers and administrators only (as every
scoped admin page; rangers and analysts have no admin), so suspects are never shown to anyone else.

Evidence items are registered by the API and the field sync (their originals and hashes are never edited
here); the custody log can be read and appended to, never changed or deleted (and the database refuses it
anyway). Users without sensitive clearance do not get the exact locations of actions and evidence.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from patrol.reserves.admin_base import ReserveScopedAdmin, ReserveScopedHistoryAdmin
from patrol.reserves.models import Membership
from threats.enforcement.models import Case, CaseEvent, CustodyEvent, EnforcementAction, EvidenceItem, Suspect
from threats.records.models import Incident, SnareFind


class RecordLinksMixin:
    """Links to snare finds and incidents: their admins order by a privacy annotation (`display_time`) that
    Django would apply to a plain queryset for these form fields; order them by their own time instead."""

    def get_field_queryset(self, db, db_field, request):
        related = db_field.remote_field.model
        if related in (Incident, SnareFind):
            return related._default_manager.using(db).order_by("-pk")
        return super().get_field_queryset(db, db_field, request)


class HideExactLocationMixin:
    """The exact point of an action, item or hand-over only for users with clearance in its reserve."""

    location_reserve_path = "reserve_id"

    def _cleared(self, request, obj) -> bool:
        if request.user.is_superuser or obj is None:
            return True
        reserve_id = obj.item.reserve_id if isinstance(obj, CustodyEvent) else obj.reserve_id
        return Membership.objects.filter(user=request.user, reserve_id=reserve_id, sensitive_clearance=True).exists()

    def get_exclude(self, request, obj=None):
        excluded = list(super().get_exclude(request, obj) or [])
        if not self._cleared(request, obj):
            excluded.append("location")
        return excluded

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if self._cleared(request, obj) else [f for f in fields if f != "location"]


@admin.register(Suspect)
class SuspectAdmin(ReserveScopedAdmin):
    list_display = ["full_name", "birth_year", "locality", "reserve"]
    list_filter = ["reserve"]
    search_fields = ["full_name", "locality", "document"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["occurred_on", "kind", "description", "recorded_by"]
    readonly_fields = ["recorded_by"]


@admin.register(Case)
class CaseAdmin(RecordLinksMixin, ReserveScopedHistoryAdmin):
    list_display = ["number", "agency", "reserve", "status", "verdict", "opened_on", "closed_on"]
    list_filter = ["reserve", "status", "verdict"]
    search_fields = ["number", "agency", "charges"]
    date_hierarchy = "opened_on"
    raw_id_fields = ["incidents"]
    inlines = [CaseEventInline]
    readonly_fields = ["evidence_bundle", "created_by", "created_at", "updated_at"]

    @admin.display(description=_("Evidence bundle"))
    def evidence_bundle(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        url = reverse("case-bundle", kwargs={"pk": obj.pk})
        return format_html('<a href="{}?lang=en">{}</a> · <a href="{}?lang=ru">{}</a>', url, _("English"), url,
                           _("Russian"))  # fmt: skip

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.fine_currency = obj.fine_currency.upper()
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for event in formset.save(commit=False):
            if event.recorded_by_id is None:
                event.recorded_by = request.user
            event.save()
        for event in formset.deleted_objects:
            event.delete()


@admin.register(CaseEvent)
class CaseEventAdmin(ReserveScopedAdmin):
    reserve_path = "case__reserve_id"
    list_display = ["case", "occurred_on", "kind"]
    list_filter = ["kind"]
    readonly_fields = ["recorded_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(EnforcementAction)
class EnforcementActionAdmin(RecordLinksMixin, HideExactLocationMixin, ReserveScopedHistoryAdmin):
    """Past versions show the exact point too: closed to users without clearance, like the form's field."""

    def history_view(self, request, object_id, extra_context=None):
        if not self._cleared(request, self.get_object(request, object_id)):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._cleared(request, self.get_object(request, object_id)):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    list_display = ["taken_at", "kind", "reserve", "team", "place_name", "case"]
    list_filter = ["reserve", "kind", "team"]
    search_fields = ["place_name", "protocol_number", "description"]
    date_hierarchy = "taken_at"
    raw_id_fields = ["patrol", "incidents", "snare_finds", "case"]
    readonly_fields = ["reported_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.reported_by = request.user
        obj.fine_currency = obj.fine_currency.upper()
        super().save_model(request, obj, form, change)


class CustodyEventInline(admin.TabularInline):
    """The item's custody log, read-only: hand-overs are added on the custody log's own page or by the API."""

    model = CustodyEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "kind", "from_user", "from_name", "to_user", "to_name", "place_name", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EvidenceItem)
class EvidenceItemAdmin(RecordLinksMixin, HideExactLocationMixin, ReserveScopedAdmin):
    """Items come with their originals through the API and the sync; here their links and words are repaired."""

    list_display = ["id", "kind", "quantity", "reserve", "collected_at", "collected_by", "case", "short_sha256"]
    list_filter = ["reserve", "kind"]
    search_fields = ["description", "sha256", "original_name"]
    date_hierarchy = "collected_at"
    raw_id_fields = ["action", "case", "incident"]
    readonly_fields = ["original_link", "collected_by", "collected_at", "sha256", "size_bytes", "content_type",
                       "original_name", "path", "created_by", "created_at"]  # fmt: skip
    inlines = [CustodyEventInline]

    @admin.display(description=_("SHA-256 of the original"))
    def short_sha256(self, obj):
        return obj.sha256[:12]

    @admin.display(description=_("Original"))
    def original_link(self, obj):
        if obj is None or not obj.path:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("evidence-item-original", kwargs={"pk": obj.pk}),
                           obj.original_name or _("Download"))  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        # The database refuses any change to these (migration 0010); a map widget would round the point.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "kind", "location"] if obj is not None else fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CustodyEvent)
class CustodyEventAdmin(HideExactLocationMixin, ReserveScopedAdmin):
    """Append-only: hand-overs can be added and read, never changed or deleted."""

    reserve_path = "item__reserve_id"
    list_display = ["item", "occurred_at", "kind", "from_user", "from_name", "to_user", "to_name", "recorded_by"]
    list_filter = ["kind"]
    readonly_fields = ["recorded_by", "recorded_at", "chain_sha256"]
    raw_id_fields = ["item"]
    actions = None

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:  # never: there is no change permission
            return
        obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
