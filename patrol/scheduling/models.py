"""Scheduling: teams' days off, auto-filled schedule proposals (drafts until a manager approves them) and
each team's secret calendar feed."""

import hashlib

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patrol.jobs.models import Job
from patrol.reserves.geo import WGS84
from patrol.reserves.models import Post, Reserve, Team


class TeamDayOff(models.Model):
    """A day a team cannot patrol (leave, training, another duty). Teams are available every other day."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["team", "date"]
        constraints = [models.UniqueConstraint(fields=["team", "date"], name="teamdayoff_one_per_team_date")]
        verbose_name = _("team day off")
        verbose_name_plural = _("team days off")

    def __str__(self) -> str:
        return f"{self.team} {self.date:%Y-%m-%d}"


class ScheduleRun(Job):
    """An auto-fill of a period, computed by the worker: its proposals are ScheduleDraft rows."""

    job_task = "patrol.scheduling.tasks.schedule_autofill_task"

    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="schedule_runs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    start = models.DateField(_("first day"))
    days = models.PositiveSmallIntegerField(_("days"))
    hours = models.FloatField(_("hours per patrol"), default=8.0)
    seed = models.BigIntegerField(_("random seed"))
    max_patrol_days = models.PositiveIntegerField(_("at most this many patrol-days"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    progress = models.JSONField(_("progress"), default=dict, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(days__gte=1) & Q(days__lte=62), name="schedulerun_days_range"),
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=16), name="schedulerun_hours_range"),
        ]
        verbose_name = _("schedule auto-fill")
        verbose_name_plural = _("schedule auto-fills")

    def __str__(self) -> str:
        return f"{self.reserve} {self.start:%Y-%m-%d} +{self.days} d #{self.pk}"


class ScheduleDraft(models.Model):
    """A proposed patrol: the manager moves or drops it on the calendar, then approves the run."""

    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="drafts")
    reserve = models.ForeignKey(Reserve, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    planned_start = models.DateTimeField(_("planned start"))
    planned_end = models.DateTimeField(_("planned end"))
    route = models.LineStringField(_("route"), srid=WGS84)
    duration_h = models.FloatField(_("walking time (h)"))
    covered_risk = models.FloatField(_("covered risk"))

    class Meta:
        ordering = ["planned_start", "team"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gt=F("planned_start")), name="scheduledraft_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.planned_start:%Y-%m-%d} ({self.post})"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TeamCalendarFeed(models.Model):
    """A team's iCalendar feed behind a secret URL. Only the token's SHA-256 is stored: the URL is shown
    once when it is made; a manager revokes it (the row goes) or makes a new one (the old stops working)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="calendar_feed")
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.team} feed"
