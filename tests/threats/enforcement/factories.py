"""Factories for enforcement outcomes. `EvidenceItemFactory(content=b"...")` stores a real original file."""

import io
from datetime import date

import factory
from django.contrib.gis.geos import Point
from django.utils import timezone

from tests.patrol.factories import ReserveFactory, UserFactory
from threats.enforcement.files import evidence_file_store
from threats.enforcement.models import Case, CaseEvent, CustodyEvent, EnforcementAction, EvidenceItem, Suspect


class SuspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suspect

    reserve = factory.SubFactory(ReserveFactory)
    full_name = factory.Sequence(lambda n: f"Ivan Petrov {n}")
    birth_year = 1980
    locality = "Kosh-Agach"


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    reserve = factory.SubFactory(ReserveFactory)
    number = factory.Sequence(lambda n: f"12-{n:04d}/2026")
    agency = "District police"
    status = Case.Status.OPEN
    charges = "Art. 258.1 Criminal Code"
    opened_on = date(2026, 1, 15)


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    kind = CaseEvent.Kind.OPENED
    occurred_on = date(2026, 1, 15)


class EnforcementActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnforcementAction

    reserve = factory.SubFactory(ReserveFactory)
    kind = EnforcementAction.Kind.CONFISCATION
    taken_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    location = factory.LazyFunction(lambda: Point(87.42, 50.12, srid=4326))


class EvidenceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvidenceItem

    reserve = factory.SubFactory(ReserveFactory)
    kind = EvidenceItem.Kind.SNARES
    quantity = 1
    collected_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    location = factory.LazyFunction(lambda: Point(87.42, 50.12, srid=4326))

    @classmethod
    def _create(cls, model_class, *args, content: bytes | None = None, **kwargs):
        """`content`: bytes stored as the item's original under IRBIS_PRIVATE_ROOT (hash, size and path set)."""
        if content is not None:
            content_type = kwargs.get("content_type") or "image/jpeg"
            path, sha256, size = evidence_file_store(
                reserve_id=kwargs["reserve"].pk, stream=io.BytesIO(content), content_type=content_type
            )
            kwargs.update(path=path, sha256=sha256, size_bytes=size, content_type=content_type)
        return super()._create(model_class, *args, **kwargs)


class CustodyEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustodyEvent

    item = factory.SubFactory(EvidenceItemFactory)
    kind = CustodyEvent.Kind.HANDED_OVER
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=12))
    from_user = factory.SubFactory(UserFactory)
    to_name = "Sgt. Orlov, district police"
