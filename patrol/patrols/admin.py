from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from patrol.jobs.admin import EvidenceAdminMixin
from patrol.patrols.lifecycle import lifecycle_check
from patrol.patrols.models import Patrol, TrackPoint
from patrol.reserves.admin_base import ReadOnlyAdmin, ReserveScopedHistoryAdmin


class PatrolAdminForm(forms.ModelForm):
    """The lifecycle's rules hold in the admin too: no completing a cancelled patrol."""

    def clean_status(self) -> str:
        new = self.cleaned_data["status"]
        if self.instance.pk is not None:  # the instance still holds the stored status here
            try:
                lifecycle_check(current=self.instance.status, new=new)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages) from exc
        return new


@admin.register(Patrol)
class PatrolAdmin(EvidenceAdminMixin, ReserveScopedHistoryAdmin):
    form = PatrolAdminForm
    track_field = "track"
    list_display = ["__str__", "reserve", "team", "status", "transport", "planned_start", "actual_start"]
    list_filter = ["reserve", "status", "transport", "team"]
    date_hierarchy = "planned_start"
    raw_id_fields = ["leader"]


@admin.register(TrackPoint)
class TrackPointAdmin(ReadOnlyAdmin):
    reserve_path = "patrol__reserve_id"
    list_display = ["patrol", "segment", "recorded_at", "accuracy_m"]
    raw_id_fields = ["patrol"]
