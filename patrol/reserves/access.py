"""Role rules for writes, shared by services of both apps.

Non-members never learn that a reserve or object exists (callers answer 404); members whose role does
not allow an action get PermissionDenied (403).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from patrol.patrols.models import Patrol
from patrol.reserves.models import Membership, Reserve, Role
from patrol.reserves.selectors import CREATE_ROLES, WRITE_ALL_ROLES, User


def membership_require(*, user: User, reserve: Reserve) -> Membership:
    membership = Membership.objects.filter(user=user, reserve=reserve).first() if user.is_authenticated else None
    if membership is None:
        raise Http404(_("No such reserve."))
    return membership


def require_manager(*, user: User, reserve: Reserve) -> Membership:
    membership = membership_require(user=user, reserve=reserve)
    if membership.role not in WRITE_ALL_ROLES:
        raise PermissionDenied(_("Only managers and reserve administrators may do this."))
    return membership


def require_record_create(*, user: User, reserve: Reserve, patrol: Patrol | None) -> Membership:
    """Rangers, managers and administrators create records; rangers only on their own teams' patrols."""
    membership = membership_require(user=user, reserve=reserve)
    if membership.role not in CREATE_ROLES:
        raise PermissionDenied(_("Your role in this reserve is read-only."))
    if membership.role == Role.RANGER and patrol is not None and not patrol.team.members.filter(pk=user.pk).exists():
        raise PermissionDenied(_("Rangers may only add records to their own team's patrols."))
    return membership
