from django.http import HttpRequest

from patrol.reserves.selectors import reserves_for_user, role_get


def current_reserve(request: HttpRequest) -> dict:
    """The manager shell's reserve switcher: the user's reserves and the one chosen in the session."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    reserves = list(reserves_for_user(user=user))
    chosen = request.session.get("reserve_slug")
    current = next((r for r in reserves if r.slug == chosen), reserves[0] if reserves else None)
    role = role_get(user=user, reserve=current) if current else None
    return {"user_reserves": reserves, "current_reserve": current, "current_role": role}
