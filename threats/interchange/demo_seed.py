"""Writes the synthetic Argut demo reserve (patrol.demo) into the database, and keeps its hidden truth.

The truth (the snare-setting intensity and every snare set) goes to IRBIS_PRIVATE_ROOT, a folder
that no URL serves; `export_demo_truth` copies it out for benchmarks.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.core.files.base import ContentFile
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from patrol.patrols.measure import patrol_track_lengths_update
from patrol.patrols.models import Patrol
from patrol.reserves.models import AccessPoint, Membership, Post, Reserve, Role, Team, Zone
from patrol.reserves.services import reserve_create, user_create
from patrol.terrain.raster_io import geotiff_bytes, transform_points
from patrol.terrain.services import terrain_import
from threats.enforcement.demo import enforcement_demo_seed
from threats.interchange import demo
from threats.records.models import CameraDeployment, Detection, Incident, SnareFind, Species

DEMO_SLUG = "argut-demo"
DEMO_PASSWORD = "irbis-demo"  # demo data only; printed by seed_demo
TEAM_NAMES = ["Argut team", "Dzhazator team", "Upper Argut team", "Mobile team"]
MANAGER_GROUP = "Reserve managers"


def private_dir(slug: str) -> Path:
    return Path(settings.IRBIS_PRIVATE_ROOT) / "demo-truth" / slug


def to_wgs84(xy: np.ndarray) -> np.ndarray:
    """Project (n, 2) metres in the demo CRS to (n, 2) longitude/latitude."""
    return transform_points(np.asarray(xy, dtype=float).reshape(-1, 2), from_srid=demo.DEMO_EPSG, to_srid=4326)


def _point(lonlat: np.ndarray) -> Point:
    return Point(float(lonlat[0]), float(lonlat[1]), srid=4326)


def demo_geotiff_bytes(world: demo.DemoReserve, layer: np.ndarray) -> bytes:
    return geotiff_bytes(layer, grid=world.grid, srid=demo.DEMO_EPSG, nodata=-9999.0)


def _manager_group() -> Group:
    group, _ = Group.objects.get_or_create(name=MANAGER_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=["patrol", "threats"]))
    return group


@transaction.atomic
def demo_reserve_seed(*, seed: int = 1, end: datetime | None = None, slug: str = DEMO_SLUG) -> Reserve:
    world = demo.generate(seed=seed, end=end)
    size = world.shape[0] * world.cell_m
    x0, y0 = world.origin
    square = Polygon.from_bbox((x0, y0 - size, x0 + size, y0))
    square.srid = demo.DEMO_EPSG
    square.transform(4326)
    reserve = reserve_create(
        name="Argut (demo)" if slug == DEMO_SLUG else f"Argut demo {slug}",
        slug=slug,
        boundary=MultiPolygon(square, srid=4326),
        projected_epsg=demo.DEMO_EPSG,
        timezone="Asia/Barnaul",
    )
    reserve.dem.save(
        f"{slug}-dem-{int(world.cell_m)}m.tif",
        ContentFile(demo_geotiff_bytes(world, world.elevation)),
    )

    terrain_import(reserve=reserve, path=reserve.dem.path, resolution_m=world.cell_m)
    users = _seed_people(reserve, slug)
    posts = [
        Post.objects.create(reserve=reserve, name=name, location=_point(to_wgs84(np.array([[x, y]]))[0]))
        for name, x, y in world.posts
    ]
    access_xy = to_wgs84(np.array([(a[2], a[3]) for a in world.access_points]))
    for (name, kind, _x, _y), lonlat in zip(world.access_points, access_xy, strict=True):
        AccessPoint.objects.create(reserve=reserve, name=name, kind=kind, location=_point(lonlat))
    _seed_zones(reserve, world)
    teams = []
    for index, name in enumerate(TEAM_NAMES):
        team = Team.objects.create(reserve=reserve, name=name, home_post=posts[index % len(posts)])
        team.members.set(users["rangers"][index * 3 : index * 3 + 3])
        teams.append(team)

    patrols = _seed_patrols(reserve, world, teams)
    patrol_track_lengths_update(reserve=reserve)
    finds = _seed_finds(reserve, world, patrols, users)
    _seed_incidents(reserve, world, patrols, finds, users)
    _seed_wildlife(reserve, world, patrols, users)
    enforcement_demo_seed(reserve=reserve, manager=users["manager"], seed=seed)
    _write_truth(world, slug)
    return reserve


def _seed_people(reserve: Reserve, slug: str) -> dict:
    user_model = get_user_model()
    prefix = "" if slug == DEMO_SLUG else f"{slug}-"

    def person(username: str, **extra) -> object:
        existing = user_model.objects.filter(username=prefix + username).first()
        return existing or user_create(username=prefix + username, password=DEMO_PASSWORD, **extra)

    group = _manager_group()
    manager = person("manager", first_name="Aigul", is_staff=True)
    admin = person("admin", first_name="Sergei", is_staff=True)
    for staff in (manager, admin):
        staff.groups.add(group)
    analyst = person("analyst", first_name="Olga")
    rangers = [person(f"ranger{i}") for i in range(1, 13)]
    memberships = [
        Membership(user=manager, reserve=reserve, role=Role.MANAGER, sensitive_clearance=True),
        Membership(user=admin, reserve=reserve, role=Role.ADMIN, sensitive_clearance=True),
        Membership(user=analyst, reserve=reserve, role=Role.ANALYST, sensitive_clearance=False),
        *[Membership(user=r, reserve=reserve, role=Role.RANGER) for r in rangers],
    ]
    Membership.objects.bulk_create(memberships)
    return {"manager": manager, "admin": admin, "analyst": analyst, "rangers": rangers}


def _seed_zones(reserve: Reserve, world: demo.DemoReserve) -> None:
    """Core zone over the upper reserve, a border strip along the southern edge, a no-go cliff band."""
    size = world.shape[0] * world.cell_m
    x0, y0 = world.origin
    zones = [
        ("Argut core zone", Zone.Kind.CORE, (x0, y0 - 0.55 * size, x0 + 0.6 * size, y0)),
        ("Buffer zone", Zone.Kind.BUFFER, (x0 + 0.6 * size, y0 - size, x0 + size, y0)),
        ("Border strip", Zone.Kind.BORDER_STRIP, (x0, y0 - size, x0 + size, y0 - 0.96 * size)),
        (
            "Karagem cliffs (no-go)",
            Zone.Kind.NO_GO,
            (x0 + 0.1 * size, y0 - 0.25 * size, x0 + 0.16 * size, y0 - 0.2 * size),
        ),
    ]
    for name, kind, bbox in zones:
        polygon = Polygon.from_bbox(bbox)
        polygon.srid = demo.DEMO_EPSG
        polygon.transform(4326)
        Zone.objects.create(reserve=reserve, name=name, kind=kind, area=polygon)


def _seed_patrols(reserve: Reserve, world: demo.DemoReserve, teams: list[Team]) -> list[Patrol]:
    rows = []
    for p in world.patrols:
        lonlat = to_wgs84(p.track_xy)
        team = teams[p.team]
        planned_start = p.start.replace(hour=8, minute=0)
        rows.append(Patrol(
            reserve=reserve, team=team, leader=team.members.order_by("username").first(),
            planned_start=planned_start, planned_end=planned_start + (p.end - p.start) + timedelta(hours=2),
            actual_start=p.start, actual_end=p.end, status=Patrol.Status.COMPLETED, transport=p.transport,
            objective=f"Snare sweep, {p.valley} valley",
            track=MultiLineString(LineString([tuple(c) for c in lonlat], srid=4326), srid=4326),
        ))  # fmt: skip
    for index, team in enumerate(teams):  # the next fortnight's schedule
        start = world.end + timedelta(days=2 + 3 * index, hours=8)
        rows.append(Patrol(reserve=reserve, team=team, leader=team.members.order_by("username").first(),
                           planned_start=start, planned_end=start + timedelta(days=2),
                           status=Patrol.Status.PLANNED, objective="Scheduled snare sweep"))  # fmt: skip
    return bulk_create_with_history(rows, Patrol, batch_size=500)[: len(world.patrols)]


def _seed_finds(reserve, world: demo.DemoReserve, patrols: list[Patrol], users) -> list[SnareFind]:
    species = {s.scientific_name: s for s in Species.objects.all()}
    lonlat = to_wgs84(np.array([(f.x, f.y) for f in world.finds]))
    rows = [
        SnareFind(
            reserve=reserve, patrol=patrols[f.patrol], location=_point(ll), gps_accuracy_m=5.0,
            reported_by=patrols[f.patrol].leader, found_at=f.found_at, count=f.count, material=f.material,
            state=f.state, placement="neck" if f.material != "nylon" else "foot",
            catch_species=species.get(f.catch) if f.catch else None, catch_condition=f.catch_condition,
            action=f.action,
        )
        for f, ll in zip(world.finds, lonlat, strict=True)
    ]  # fmt: skip
    return bulk_create_with_history(rows, SnareFind, batch_size=500)


def _seed_incidents(reserve, world: demo.DemoReserve, patrols, finds: list[SnareFind], users) -> None:
    lonlat = to_wgs84(np.array([(i.x, i.y) for i in world.incidents]))
    for incident, ll in zip(world.incidents, lonlat, strict=True):
        patrol = patrols[incident.patrol] if incident.patrol is not None else None
        row = Incident.objects.create(
            reserve=reserve, patrol=patrol, location=_point(ll), kind=incident.kind, occurred_at=incident.at,
            description=incident.description, reported_by=patrol.leader if patrol else users["manager"],
        )  # fmt: skip
        row.snare_finds.set([finds[i] for i in incident.find_indexes])


def _seed_wildlife(reserve, world: demo.DemoReserve, patrols, users) -> None:
    species = {s.scientific_name: s for s in Species.objects.all()}
    camera_lonlat = to_wgs84(np.array([(c.x, c.y) for c in world.cameras]))
    cameras = CameraDeployment.objects.bulk_create([
        CameraDeployment(reserve=reserve, deployment_id=c.deployment_id, location=_point(ll), start=c.start,
                         end=c.end, camera_id=c.deployment_id.split("-")[1], camera_model="Reconyx HyperFire 2",
                         camera_height_m=0.6, feature_type=c.feature_type)
        for c, ll in zip(world.cameras, camera_lonlat, strict=True)
    ])  # fmt: skip
    lonlat = to_wgs84(np.array([(d.x, d.y) for d in world.detections]))
    rows = [
        Detection(
            reserve=reserve, species=species[d.species], method=d.method, observed_at=d.at, location=_point(ll),
            count=d.count, individual_id=d.individual, deployment=cameras[d.camera] if d.camera is not None else None,
            patrol=patrols[d.patrol] if d.patrol is not None else None,
            reported_by=patrols[d.patrol].leader if d.patrol is not None else users["analyst"],
        )
        for d, ll in zip(world.detections, lonlat, strict=True)
    ]  # fmt: skip
    bulk_create_with_history(rows, Detection, batch_size=1000)


def _write_truth(world: demo.DemoReserve, slug: str) -> None:
    folder = private_dir(slug)
    folder.mkdir(parents=True, exist_ok=True)
    for name, layer in (("snare_intensity", world.truth_intensity), ("leopard_presence", world.leopard_presence),
                        ("musk_deer_habitat", world.musk_deer_habitat)):  # fmt: skip
        (folder / f"{name}.tif").write_bytes(demo_geotiff_bytes(world, layer))
    lonlat = to_wgs84(np.array([(s.x, s.y) for s in world.snares]))
    with open(folder / "snares.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line_id", "longitude", "latitude", "set_at", "gone_at", "found_at", "material", "catch"])
        for snare, ll in zip(world.snares, lonlat, strict=True):
            writer.writerow([snare.line_id, f"{ll[0]:.6f}", f"{ll[1]:.6f}", snare.set_at.isoformat(),
                             snare.gone_at.isoformat(), snare.found_at.isoformat() if snare.found_at else "",
                             snare.material, snare.catch or ""])  # fmt: skip
    (folder / "README.json").write_text(json.dumps({
        "seed": world.seed, "start": world.start.isoformat(), "end": world.end.isoformat(),
        "crs": f"EPSG:{demo.DEMO_EPSG}", "cell_m": world.cell_m,
        "snare_intensity": "expected snare lines set per cell per year (the hidden process)",
        "snares_set": len(world.snares), "snares_found": sum(1 for s in world.snares if s.found_at),
        "generated_at": datetime.now(UTC).isoformat(),
    }, indent=2))  # fmt: skip
