"""Suggested patrol routes, computed in the background."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patrol.jobs.models import Job
from patrol.patrols.models import Patrol
from patrol.reserves.models import Post, Reserve, Team


class RoutePlan(Job):
    """A suggested patrol route, computed in the background from the reserve's terrain and risk (a job:
    status, attempts, heartbeat and error come from patrol.jobs.models.Job)."""

    job_task = "patrol.routing.tasks.route_plan_compute_task"
    job_requeue_fields = {"routes": [], "progress": 0}

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="route_plans")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    start_post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    end_post = models.ForeignKey(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    hours = models.FloatField(_("hours per day"))
    days = models.PositiveSmallIntegerField(_("days"), default=1)
    radius_m = models.FloatField(_("detection radius (m)"), default=100.0)
    max_slope_deg = models.FloatField(_("steepest passable slope (degrees)"), default=40.0)
    transport = models.CharField(_("transport"), max_length=16, choices=Patrol.Transport.choices, default="foot")
    alternatives = models.PositiveSmallIntegerField(_("alternative routes"), default=1)
    avoid_recent_days = models.PositiveSmallIntegerField(_("discount cells patrolled in the last N days"), default=14)
    risk_source = models.CharField(_("risk surface used"), max_length=200, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))  # fmt: skip
    planned_date = models.DateField(_("date"), null=True, blank=True, help_text=_("The day the patrol starts."))
    start_time = models.TimeField(_("start time"), null=True, blank=True,
                                  help_text=_("Local time in the reserve's time zone."))  # fmt: skip
    must_pass = models.JSONField(_("valleys to pass through"), default=list, blank=True)
    avoid = models.JSONField(_("valleys to avoid"), default=list, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    language = models.CharField(
        _("language of messages"), max_length=16, blank=True, editable=False,
        help_text=_("The requester's: the worker writes the plan's messages in it."),
    )  # fmt: skip
    routes = models.JSONField(_("routes (GeoJSON FeatureCollections)"), default=list, blank=True)
    patrol = models.OneToOneField(Patrol, on_delete=models.SET_NULL, null=True, blank=True, related_name="route_plan",
                                  verbose_name=_("patrol accepted from this plan"))  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="routeplan_hours_range"),
            models.CheckConstraint(condition=Q(days__gte=1) & Q(days__lte=14), name="routeplan_days_range"),
            models.CheckConstraint(
                condition=Q(alternatives__gte=1) & Q(alternatives__lte=5), name="routeplan_alternatives_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Route from {self.start_post} ({self.hours:g} h x {self.days}) #{self.pk}"
