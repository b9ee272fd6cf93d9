"""Input and output serializers of the risk API (threats/api/risk_views.py)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from threats.risk.models import RiskRun
from threats.risk.wording import stage_label


class RiskRunSerializer(serializers.ModelSerializer):
    """A run's status and progress; `summary` keeps the counts, totals and timings (not the valleys)."""

    summary = serializers.SerializerMethodField()
    stage_label = serializers.SerializerMethodField(help_text=_("The stage in the user's language"))

    class Meta:
        model = RiskRun
        fields = [
            "id", "status", "trigger", "progress", "stage", "not_before", "model_version", "inputs_start",
            "inputs_end", "created_at", "started_at", "finished_at", "error", "summary", "stage_label",
        ]  # fmt: skip
        read_only_fields = fields

    def get_stage_label(self, run: RiskRun) -> str:
        return stage_label(run.stage)

    def get_summary(self, run: RiskRun) -> dict:
        keep = (
            "inputs", "total_snare_lines_per_year", "previous_total_snare_lines_per_year", "patrolled_cells", "cells",
            "cell_m", "window_days", "trend_days", "previous_window", "timings", "detection_rate",
        )  # fmt: skip
        return {key: run.summary[key] for key in keep if key in run.summary}


class ExplainQuerySerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180, help_text=_("Longitude (WGS84)"))
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text=_("Latitude (WGS84)"))


class ValleysQuerySerializer(serializers.Serializer):
    top = serializers.IntegerField(min_value=1, max_value=100, default=10)
