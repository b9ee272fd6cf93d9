"""Every user-facing string has a Russian translation: many rangers and managers read only Russian.

The tracked sources are copied to a temporary directory and `makemessages -l ru` runs there, so the
test sees exactly what a developer's `makemessages` would add to locale/ru, without touching the
working tree. A msgid whose msgstr is empty or marked fuzzy (a guess by gettext, never reviewed)
fails the test, and so does a plural with fewer forms than the header's nplurals; obsolete `#~`
entries do not count.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = Path("locale/ru/LC_MESSAGES/django.po")


@dataclass
class Entry:
    msgid: str = ""
    msgstrs: list[str] = field(default_factory=list)
    fuzzy: bool = False
    plural: bool = False
    where: list[str] = field(default_factory=list)


def parse_po(text: str) -> list[Entry]:
    """The active entries of a .po file (header and obsolete `#~` entries left out)."""
    entries: list[Entry] = []
    for block in text.split("\n\n"):
        entry, target = Entry(), None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry.fuzzy = entry.fuzzy or "fuzzy" in (flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#:"):
                entry.where += line[2:].split()
            elif line.startswith("#"):
                continue  # comments and obsolete entries
            elif line.startswith("msgid "):
                target = "msgid"
                entry.msgid = ast.literal_eval(line[6:])
            elif line.startswith("msgid_plural "):
                target, entry.plural = "plural", True
            elif line.startswith("msgstr"):
                target = "msgstr"
                entry.msgstrs.append(ast.literal_eval(line.split(" ", 1)[1]))
            elif line.startswith('"') and target == "msgid":
                entry.msgid += ast.literal_eval(line)
            elif line.startswith('"') and target == "msgstr":
                entry.msgstrs[-1] += ast.literal_eval(line)
        if target is not None and entry.msgid:
            entries.append(entry)
    return entries


def test_the_parser_reads_plurals_fuzzy_and_obsolete_entries():
    text = (
        'msgid ""\nmsgstr ""\n"Language: ru\\n"\n\n'
        '#: a.py:1\nmsgid "one"\nmsgstr "один"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s km"\nmsgstr "%(n)s км"\n\n'
        'msgid "a file"\nmsgid_plural "%(n)s files"\nmsgstr[0] "файл"\nmsgstr[1] ""\n\n'
        'msgid ""\n"long "\n"text"\nmsgstr ""\n\n'
        '#~ msgid "gone"\n#~ msgstr ""\n'
    )
    entries = parse_po(text)
    assert [(e.msgid, e.msgstrs, e.fuzzy) for e in entries] == [
        ("one", ["один"], False),
        ("%(n)s km", ["%(n)s км"], True),
        ("a file", ["файл", ""], False),  # a plural
        ("long text", [""], False),
    ]
    assert entries[0].where == ["a.py:1"] and [e.plural for e in entries] == [False, False, True, False]
    assert plural_forms(text) == 0 and plural_forms('"Plural-Forms: nplurals=4; plural=(n%10==1);\\n"') == 4


def plural_forms(text: str) -> int:
    """nplurals of the .po header (0 when it names none)."""
    match = re.search(r"nplurals=(\d+)", text)
    return int(match.group(1)) if match else 0


def _tracked_copy(into: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (Debian: gettext)")
def test_every_user_facing_string_has_a_russian_translation(tmp_path):
    tree = _tracked_copy(tmp_path / "src")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-wrap"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    entries = parse_po((tree / PO).read_text(encoding="utf-8"))
    assert len(entries) > 100  # makemessages found the sources
    forms = plural_forms((tree / PO).read_text(encoding="utf-8"))
    assert forms == 4  # Django's Russian: one, few, many, and fractions
    missing = [e for e in entries if e.fuzzy or not all(e.msgstrs) or (e.plural and len(e.msgstrs) < forms)]
    report = "\n".join(f"{'fuzzy' if e.fuzzy else 'empty'}: {e.msgid!r} ({', '.join(e.where[:2])})" for e in missing)
    assert not missing, f"{len(missing)} strings without a Russian translation in {PO}:\n{report}"
