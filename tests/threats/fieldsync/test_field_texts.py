"""The field app's strings and choice lists come from the server, in the page's language."""

import json

import pytest

pytestmark = pytest.mark.django_db


def _config(client, language):
    page = client.get("/field/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    start = page.index('<script id="field-config" type="application/json">') + len(
        '<script id="field-config" type="application/json">'
    )
    return page, json.loads(page[start : page.index("</script>", start)])


def test_the_page_carries_strings_and_choices_in_english(client):
    page, config = _config(client, "en")
    assert '<html lang="en">' in page
    assert (config["lang"], config["strings"]["log_in"], config["strings"]["waiting"]) == (
        "en",
        "Log in",
        "{n} waiting",
    )
    assert config["choices"]["snare_find"]["material"] == {
        "default": "wire",
        "options": [["wire", "Wire"], ["cable", "Steel cable"], ["nylon", "Nylon"], ["other", "Other"]],
    }
    assert config["choices"]["snare_find"]["placement"]["default"] == "unknown"
    assert config["choices"]["detection"]["method"]["default"] == "track"
    assert list(config["choices"]) == ["snare_find", "incident", "detection", "action", "evidence"]
    # a protocol is the action form's default; a photo is uploaded with an item, never chosen as one
    assert config["choices"]["action"]["kind"]["default"] == "protocol_fine"
    assert [v for v, _label in config["choices"]["evidence"]["kind"]["options"]] == [
        "snares", "firearm", "ammunition", "pelt", "musk_pod", "meat", "vehicle", "other"]  # fmt: skip


def test_the_page_carries_strings_and_choices_in_russian(client):
    page, config = _config(client, "ru-RU,ru;q=0.9")
    assert '<html lang="ru">' in page
    assert (config["lang"], config["strings"]["log_in"], config["strings"]["waiting"]) == (
        "ru",
        "Войти",
        "Ждут отправки: {n}",
    )
    assert config["choices"]["snare_find"]["placement"]["options"] == [
        ["neck", "На шею"],
        ["foot", "На ногу"],
        ["unknown", "Неизвестно"],
    ]
    assert config["choices"]["incident"]["kind"]["options"][0] == ["poacher_camp", "Стоянка браконьеров"]
