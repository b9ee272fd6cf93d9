"""The species every Irbis reserve needs from day one."""

from django.db import migrations

SPECIES = [
    # scientific name, English, Russian, sensitive, snare target
    ("Panthera uncia", "Snow leopard", "Снежный барс (ирбис)", True, False),
    ("Panthera pardus orientalis", "Amur leopard", "Дальневосточный леопард", True, False),
    ("Moschus moschiferus", "Siberian musk deer", "Сибирская кабарга", True, True),
    ("Ovis ammon", "Argali", "Алтайский горный баран (аргали)", True, True),
    ("Capra sibirica", "Siberian ibex", "Сибирский горный козёл", False, True),
    ("Otocolobus manul", "Pallas's cat", "Манул", True, False),
]


def preload(apps, schema_editor):
    Species = apps.get_model("threats", "Species")
    for scientific, en, ru, sensitive, target in SPECIES:
        Species.objects.update_or_create(
            scientific_name=scientific,
            defaults={"common_name_en": en, "common_name_ru": ru, "sensitive": sensitive, "is_snare_target": target},
        )


class Migration(migrations.Migration):
    dependencies = [("threats", "0001_initial")]
    operations = [migrations.RunPython(preload, migrations.RunPython.noop)]
