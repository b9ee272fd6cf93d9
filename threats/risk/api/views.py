"""The risk model's API: status and progress, a cell's explanation, the valley ranking, recompute.

    GET  /api/v1/risk/<slug>/                    latest finished run, the run in progress, map overlays
    POST /api/v1/risk/<slug>/runs/               managers/admins: recompute now (queued, 202)
    GET  /api/v1/risk/<slug>/explain/?lon=&lat=  which inputs drove the cell's value
    GET  /api/v1/risk/<slug>/valleys/?top=10     top valley reaches by risk, with trend

Non-members get 404, rangers 403 (threats.risk_selectors.risk_reserve_get).
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from patrol.terrain.web_map import risk_basemap
from threats.risk.api.serializers import ExplainQuerySerializer, RiskRunSerializer, ValleysQuerySerializer
from threats.risk.compute import risk_recompute_request
from threats.risk.models import RiskRun
from threats.risk.selectors import (
    risk_cell_explain,
    risk_overlays,
    risk_reserve_get,
    risk_run_current,
    risk_run_latest,
    risk_valleys,
)


def _latest(reserve) -> RiskRun:
    run = risk_run_latest(reserve=reserve)
    if run is None:
        raise NotFound(_("No finished risk computation for this reserve yet."))
    return run


LAYER_ORDER = ("snares", "leopard", "uncertainty", "leopard_uncertainty", "effort")


def _overlays(request: Request, run: RiskRun) -> dict:
    overlays = risk_overlays(user=request.user, run=run, layers=LAYER_ORDER)
    for name, layer in overlays["layers"].items():
        layer["url"] = reverse("risk-overlay", kwargs={"slug": run.reserve.slug, "run_id": run.pk, "layer": name})
    return overlays


class RiskStatusView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Risk model status for a reserve")
    def get(self, request: Request, slug: str) -> Response:
        """Reads only: the map images were drawn when the terrain was imported and the run computed;
        `hillshade` is null until the basemap is drawn."""
        reserve = risk_reserve_get(user=request.user, slug=slug)
        latest, current = risk_run_latest(reserve=reserve), risk_run_current(reserve=reserve)
        hillshade = risk_basemap(reserve)
        return Response({
            "reserve": reserve.slug,
            "latest": RiskRunSerializer(latest).data if latest else None,
            "current": RiskRunSerializer(current).data if current else None,
            "overlays": _overlays(request, latest) if latest else None,
            "hillshade": hillshade,
        })  # fmt: skip


class RiskRunCreateView(APIView):
    @extend_schema(request=None, responses={202: RiskRunSerializer}, summary="Recompute the reserve's risk now")
    def post(self, request: Request, slug: str) -> Response:
        reserve = risk_reserve_get(user=request.user, slug=slug)
        risk_recompute_request(actor=request.user, reserve=reserve)
        current = risk_run_current(reserve=reserve)
        return Response(RiskRunSerializer(current).data if current else None, status=status.HTTP_202_ACCEPTED)


class RiskExplainView(APIView):
    @extend_schema(parameters=[ExplainQuerySerializer], responses=OpenApiTypes.OBJECT,
                   summary="Which inputs drove the risk of the cell at lon/lat")  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        reserve = risk_reserve_get(user=request.user, slug=slug)
        query = ExplainQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        run = _latest(reserve)
        return Response(risk_cell_explain(user=request.user, run=run, **query.validated_data))


class RiskValleysView(APIView):
    @extend_schema(parameters=[ValleysQuerySerializer], responses=OpenApiTypes.OBJECT,
                   summary="Top valley reaches by expected snare lines per year, with trend")  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        reserve = risk_reserve_get(user=request.user, slug=slug)
        query = ValleysQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        run = _latest(reserve)
        return Response(risk_valleys(run=run, top=query.validated_data["top"]))
