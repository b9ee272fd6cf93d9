"""`verify_evidence` re-hashes every original: one changed byte or a missing file fails it, naming the item."""

import hashlib
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.threats.enforcement.factories import EvidenceItemFactory


def _run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_evidence", *args, stdout=out, stderr=err)
    except CommandError as error:
        return str(error), out.getvalue(), err.getvalue()
    return None, out.getvalue(), err.getvalue()


def test_all_originals_intact(reserve_a):
    EvidenceItemFactory(reserve=reserve_a, content=b"first original")
    EvidenceItemFactory(reserve=reserve_a, content=b"second original")
    EvidenceItemFactory(reserve=reserve_a)  # a seized item without a file is not checked
    assert _run() == (None, "All 2 originals match their SHA-256.\n", "")


def test_one_changed_byte_and_a_missing_file_are_named(reserve_a):
    intact = EvidenceItemFactory(reserve=reserve_a, content=b"intact original")
    changed = EvidenceItemFactory(reserve=reserve_a, content=b"the original photo bytes")
    missing = EvidenceItemFactory(reserve=reserve_a, content=b"a scan of the protocol")
    path = settings.IRBIS_PRIVATE_ROOT / changed.path
    data = bytearray(path.read_bytes())
    data[5] ^= 0x01  # one bit of one byte
    path.write_bytes(bytes(data))
    (settings.IRBIS_PRIVATE_ROOT / missing.path).unlink()
    error, out, err = _run()
    assert error == "2 of 3 originals failed the check."
    assert out == ""
    assert err.splitlines() == [
        f"CHANGED evidence item {changed.pk} (reserve-a): {changed.path}: registered {changed.sha256}, "
        f"now {hashlib.sha256(bytes(data)).hexdigest()}",
        f"MISSING evidence item {missing.pk} (reserve-a): {missing.path}",
    ]
    assert f"item {intact.pk} " not in err


def test_the_reserve_option_checks_one_reserve(reserve_a, reserve_b):
    EvidenceItemFactory(reserve=reserve_a, content=b"ours")
    theirs = EvidenceItemFactory(reserve=reserve_b, content=b"theirs")
    (settings.IRBIS_PRIVATE_ROOT / theirs.path).unlink()
    assert _run("--reserve", "reserve-a") == (None, "All 1 originals match their SHA-256.\n", "")
    error, _out, err = _run("--reserve", "reserve-b")
    assert error == "1 of 1 originals failed the check."
    assert err == f"MISSING evidence item {theirs.pk} (reserve-b): {theirs.path}\n"
    assert _run("--reserve", "nowhere")[0] == "No reserve with slug 'nowhere'."


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero(reserve_a):
    """As an operator runs it: a separate process on the same database and files."""
    item = EvidenceItemFactory(reserve=reserve_a, content=b"will go missing")
    (settings.IRBIS_PRIVATE_ROOT / item.path).unlink()
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "IRBIS_PRIVATE_ROOT": str(settings.IRBIS_PRIVATE_ROOT)}  # fmt: skip
    done = subprocess.run([sys.executable, "manage.py", "verify_evidence"], env=env, capture_output=True, text=True,
                          cwd=settings.BASE_DIR, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert f"MISSING evidence item {item.pk} (reserve-a): {item.path}" in done.stderr
    assert "1 of 1 originals failed the check." in done.stderr
