from django import forms
from django.contrib import admin

from patrol.reserves.admin_base import ReserveScopedAdmin
from patrol.routing.models import RoutePlan
from patrol.routing.services import route_plan_check, route_plan_submit


class RoutePlanForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("reserve") is not None and data.get("start_post") is not None:
            route_plan_check(reserve=data["reserve"], start_post=data["start_post"], end_post=data.get("end_post"),
                             team=data.get("team"), must_pass=data.get("must_pass") or [],
                             avoid=data.get("avoid") or [])  # fmt: skip
        return data


@admin.register(RoutePlan)
class RoutePlanAdmin(ReserveScopedAdmin):
    form = RoutePlanForm
    list_display = ["__str__", "reserve", "status", "hours", "days", "transport", "created_at"]
    list_filter = ["reserve", "status"]
    readonly_fields = ["status", "error", "risk_source", "routes", "attempts", "claimed_at", "heartbeat_at",
                       "finished_at", "requested_by", "progress", "patrol"]  # fmt: skip

    def save_model(self, request, obj, form, change):
        if change:  # data repair: the plan is saved as it is
            super().save_model(request, obj, form, change)
        else:  # a new plan is checked and queued like one asked for through the API
            route_plan_submit(actor=request.user, plan=obj)
