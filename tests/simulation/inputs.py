"""A basins world (tests/simulation/basins.py) as the risk model's inputs, in memory: what the reserve
package gives the model after `reserve_package_import` and `risk_inputs_build`, without a database.

For fast tests of the model on a world it was not shaped on. It mirrors the database path (checked by
tests/simulation/test_inputs.py): times to the second as the package writes them, track times spread by
distance between the patrol's start and end (a package's tracks have no TrackPoints), incidents weighted
by kind, detections labelled with their individual, the window from the first patrol's start. Reads no hidden truth.
"""

from __future__ import annotations

import math

import numpy as np

from tests.simulation.basins import LEOPARD, MUSK_DEER, World
from threats.risk.data import CameraDeployments, PatrolTrack, PointEvents, RiskInputs, SpeciesDetections
from threats.risk.inputs import INCIDENT_WEIGHTS


def _second(t: float) -> float:
    return float(math.floor(t))  # package.iso writes whole seconds


def _track(index: int, xy: np.ndarray, start: float, end: float) -> PatrolTrack:
    walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    return PatrolTrack(index, xy, start + (end - start) * walked / walked[-1])


def risk_inputs_from_world(world: World) -> RiskInputs:
    def events(rows, weights=None, labels=None) -> PointEvents:
        xs, ys, ts = [r.x for r in rows], [r.y for r in rows], [_second(r.t) for r in rows]
        return PointEvents.create(xs, ys, ts, weights, labels)

    def detections(rows) -> PointEvents:  # the individual, as Detection.individual_id carries it
        return events(rows, labels=[d.individual for d in rows])

    def species(name: str) -> SpeciesDetections:
        mine = [d for d in world.detections if d.species == name]
        return SpeciesDetections(detections([d for d in mine if d.camera is not None]),
                                 detections([d for d in mine if d.camera is None]))  # fmt: skip

    incidents = [i for i in world.incidents if i.kind in INCIDENT_WEIGHTS]
    cameras = world.cameras
    camera_times = [_second(c.start) for c in cameras], [_second(c.end) for c in cameras]
    return RiskInputs(
        grid=world.grid,
        start=_second(min(p.start for p in world.patrols)),
        end=world.end,
        snare_finds=events(world.finds),
        incidents=events(incidents, [INCIDENT_WEIGHTS[i.kind] for i in incidents]),
        tracks=[_track(p.index, p.xy, _second(p.start), _second(p.end)) for p in world.patrols],
        prey=species(MUSK_DEER),
        leopard=species(LEOPARD),
        cameras=CameraDeployments.create([c.x for c in cameras], [c.y for c in cameras], *camera_times),
    )


def access_xy(world: World) -> np.ndarray:
    return np.array([(a[2], a[3]) for a in world.access_points], dtype=np.float64)
