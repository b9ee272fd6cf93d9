"""Map images are drawn when their data are made (terrain import, risk run) and a GET only reads them;
the choice of the leopard drawing a user sees is the selector's."""

from pathlib import Path

import pytest

from config.storage import private_storage
from patrol.reserves.models import Role
from patrol.terrain.web_map import hillshade_png_path
from tests.conftest import member
from threats.risk.selectors import risk_overlay_key, risk_overlay_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(run_a):
    """The module's finished run (tests/threats/risk/conftest.py); the test that deletes images runs last
    of those that read them."""
    return run_a


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_map_gets_write_nothing(run, api, settings):
    reserve = run.reserve
    before = _files(Path(settings.IRBIS_PRIVATE_ROOT))
    api.force_login(member(reserve, Role.ANALYST))
    status = api.get(f"/api/v1/risk/{reserve.slug}/").json()
    urls = [status["hillshade"]["url"]] + [layer["url"] for layer in status["overlays"]["layers"].values()]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG\r\n\x1a\n"), url
    assert api.get("/risk/").status_code == 200
    assert _files(Path(settings.IRBIS_PRIVATE_ROOT)) == before


def test_an_image_not_drawn_yet_is_a_404_and_is_not_drawn_by_the_get(run, api, settings):
    reserve = run.reserve
    hillshade = hillshade_png_path(reserve.terrain)
    for path in (hillshade, hillshade + ".bounds", f"{Path(run.snares.name).parent}/snares.png"):
        private_storage.delete(path)
    before = _files(Path(settings.IRBIS_PRIVATE_ROOT))
    api.force_login(member(reserve, Role.MANAGER))
    status = api.get(f"/api/v1/risk/{reserve.slug}/").json()
    assert status["hillshade"] is None
    assert api.get(f"/risk/{reserve.slug}/hillshade.png").status_code == 404
    assert api.get(status["overlays"]["layers"]["snares"]["url"]).status_code == 404
    assert _files(Path(settings.IRBIS_PRIVATE_ROOT)) == before


def test_the_selector_chooses_the_leopard_drawing_by_clearance(run):
    reserve = run.reserve
    cleared, uncleared = member(reserve, Role.ANALYST, clearance=True), member(reserve, Role.ANALYST, clearance=False)
    assert risk_overlay_key(user=cleared, reserve=reserve, layer="leopard") == "leopard"
    assert risk_overlay_key(user=uncleared, reserve=reserve, layer="leopard") == "leopard-generalised"
    assert risk_overlay_key(user=uncleared, reserve=reserve, layer="snares") == "snares"
    assert risk_overlay_path(user=cleared, run=run, layer="leopard").endswith("/leopard.png")
    assert risk_overlay_path(user=uncleared, run=run, layer="leopard").endswith("/leopard-generalised.png")
