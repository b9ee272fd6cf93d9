"""Admin for the outbox (data repair: see what waits and why), and the follow-up hooks of evidence admins."""

from django.contrib import admin
from django.db import transaction

from patrol.jobs.follow_up import evidence_changed
from patrol.jobs.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["task_name", "args", "kwargs", "available_at", "attempts", "sent_at", "last_error"]
    list_filter = ["task_name", ("sent_at", admin.EmptyFieldListFilter)]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


class EvidenceAdminMixin:
    """Admin adds, changes and deletes of evidence (records, patrols) queue the same follow-up work as
    the services: `evidence_changed` in the admin's transaction. `track_field` names the field whose
    change needs the track measured again (patrols)."""

    track_field: str | None = None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        patrol_ids = [obj.pk] if self.track_field and self.track_field in form.changed_data else []
        evidence_changed(reserve_id=obj.reserve_id, patrol_ids=patrol_ids)
        previous = form.initial.get("reserve") if change and "reserve" in form.changed_data else None
        if previous is not None:  # moved to another reserve: the old one lost evidence
            evidence_changed(reserve_id=getattr(previous, "pk", previous))

    def delete_model(self, request, obj):
        reserve_id = obj.reserve_id
        super().delete_model(request, obj)
        evidence_changed(reserve_id=reserve_id)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        reserve_ids = sorted(set(queryset.values_list("reserve_id", flat=True)))
        super().delete_queryset(request, queryset)
        for reserve_id in reserve_ids:
            evidence_changed(reserve_id=reserve_id)
