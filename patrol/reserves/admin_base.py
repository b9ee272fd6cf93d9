"""The admin, scoped like the API: data repair by the reserves' managers and admins.

A staff user sees and edits only objects of reserves where they are a manager or an admin
(`ADMIN_ROLES`); platform superusers see everything. The scope covers every way the admin could
reach another reserve's data, not only the list:
- every foreign-key and many-to-many choice (reserves, people, patrols, teams, posts…), so that
  nothing can be saved into or linked with another reserve, and user names of other reserves cannot
  be enumerated through "must be a member" against "does not exist";
- the form checks that everything an object links to belongs to its own reserve;
- list filters offer only values present in the user's own objects;
- lookups through the URL on geometry fields (`?location__intersects=…`) are refused: the lists show
  generalised points to users without clearance, and such lookups would narrow in on the exact one.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.gis.db.models import GeometryField
from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, ManyToManyField, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from leaflet.admin import LeafletGeoAdminMixin
from simple_history.admin import SimpleHistoryAdmin

from patrol.reserves.models import Membership, Reserve, Role

ADMIN_ROLES = (Role.MANAGER, Role.ADMIN)


def admin_reserve_ids(request, roles: tuple[str, ...] = ADMIN_ROLES) -> QuerySet:
    return Membership.objects.filter(user=request.user, role__in=roles).values("reserve_id")


def _has_reserve(model) -> bool:
    try:
        return model._meta.get_field("reserve").is_relation
    except FieldDoesNotExist:
        return False


class ReserveScopedAdmin(LeafletGeoAdminMixin, admin.ModelAdmin):
    reserve_path = "reserve_id"
    # The roles that may use this page; memberships narrow it to reserve admins.
    admin_roles: tuple[str, ...] = ADMIN_ROLES

    def reserve_ids(self, request) -> QuerySet:
        return admin_reserve_ids(request, self.admin_roles)

    def scope(self, request, queryset: QuerySet) -> QuerySet:
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.reserve_path}__in": self.reserve_ids(request)})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def _may_use(self, request) -> bool:
        if not request.user.is_authenticated:
            return False
        return request.user.is_superuser or self.reserve_ids(request).exists()

    def has_module_permission(self, request):
        return self._may_use(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_use(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._may_use(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_use(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_use(request) and super().has_delete_permission(request, obj)

    # --- the reserve's time zone -----------------------------------------------------------------------
    # Times typed into and shown by the admin are the reserve's local times (its `timezone`), as in the
    # web shell: the object's reserve on a change page, the chosen reserve on an add page, and the
    # user's current (or only) reserve on lists.

    def _timezone_path(self) -> str:
        return "timezone" if self.reserve_path == "id" else self.reserve_path.removesuffix("_id") + "__timezone"

    def reserve_timezone(self, request, object_id=None) -> str | None:
        if object_id is not None:
            return (
                self.get_queryset(request)
                .filter(pk=unquote(object_id))
                .values_list(self._timezone_path(), flat=True)
                .first()
            )
        reserves = self.scoped_choices(request, Reserve, Reserve.objects.all())
        chosen = request.POST.get("reserve") or request.GET.get("reserve")
        if chosen and str(chosen).isdigit():
            found = reserves.filter(pk=chosen).values_list("timezone", flat=True).first()
            if found:
                return found
        slug = request.session.get("reserve_slug") if hasattr(request, "session") else None
        if slug:
            found = reserves.filter(slug=slug).values_list("timezone", flat=True).first()
            if found:
                return found
        zones = list(reserves.values_list("timezone", flat=True)[:2])
        return zones[0] if len(zones) == 1 else None

    def _in_reserve_timezone(self, request, object_id, view):
        zone = self.reserve_timezone(request, object_id)
        if not zone:
            return view()
        with timezone.override(zone):
            response = view()
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # widgets format times while rendering: inside the zone
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._in_reserve_timezone(
            request,
            object_id,
            lambda: super(ReserveScopedAdmin, self).changeform_view(
                request, object_id, form_url, extra_context
            ),  # fmt: skip
        )

    def changelist_view(self, request, extra_context=None):
        return self._in_reserve_timezone(
            request, None, lambda: super(ReserveScopedAdmin, self).changelist_view(request, extra_context)
        )

    # --- choices in forms ---------------------------------------------------------------------------

    def scoped_choices(self, request, model, queryset: QuerySet) -> QuerySet:
        if request.user.is_superuser:
            return queryset
        ids = self.reserve_ids(request)
        if model is Reserve:
            return queryset.filter(id__in=ids)
        if model is get_user_model():
            return queryset.filter(memberships__reserve_id__in=ids).distinct()
        if _has_reserve(model):
            return queryset.filter(reserve_id__in=ids)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self.scoped_choices(request, db_field.related_model, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self.scoped_choices(request, db_field.related_model, field.queryset)
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not _has_reserve(self.model):
            return form

        class SameReserveForm(form):
            def clean(self):
                cleaned = super().clean()
                reserve = cleaned.get("reserve") or getattr(self.instance, "reserve", None)
                if reserve is None:
                    return cleaned
                for name, value in list(cleaned.items()):
                    linked = value if isinstance(value, list | tuple | QuerySet) else [value]
                    for item in linked:
                        other = getattr(item, "reserve_id", None)
                        if other is not None and other != reserve.pk and name != "reserve":
                            self.add_error(name, _("Must belong to the same reserve."))
                            break
                return cleaned

        return SameReserveForm

    # --- lists --------------------------------------------------------------------------------------

    def get_list_filter(self, request):
        # Filters on related objects list only values present in this user's objects.
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                try:
                    field = self.model._meta.get_field(entry)
                except FieldDoesNotExist:
                    field = None
                if isinstance(field, ForeignKey | ManyToManyField):
                    entry = (entry, admin.RelatedOnlyFieldListFilter)
            scoped.append(entry)
        return scoped

    def lookup_allowed(self, lookup, value, request=None):
        model = self.model
        for part in lookup.split("__"):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                break
            if isinstance(field, GeometryField):
                return False
            if not field.is_relation:
                break
            model = field.related_model
        return super().lookup_allowed(lookup, value, request)


class ReserveScopedHistoryAdmin(ReserveScopedAdmin, SimpleHistoryAdmin):
    pass


class ReadOnlyAdmin(ReserveScopedAdmin):
    """Sync bookkeeping is written by the sync service only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
