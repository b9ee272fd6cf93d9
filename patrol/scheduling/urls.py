from django.urls import path

from patrol.scheduling import views

urlpatterns = [
    path("calendar/", views.calendar_page, name="schedule-calendar"),
    path("patrols/", views.patrol_create_view, name="schedule-patrol-create"),
    path("patrols/<int:pk>/move/", views.patrol_move_view, name="schedule-patrol-move"),
    path("patrols/<int:pk>/cancel/", views.patrol_cancel_view, name="schedule-patrol-cancel"),
    path("drafts/<int:pk>/move/", views.draft_move_view, name="schedule-draft-move"),
    path("drafts/<int:pk>/discard/", views.draft_discard_view, name="schedule-draft-discard"),
    path("autofill/", views.autofill_view, name="schedule-autofill"),
    path("runs/<int:pk>/approve/", views.run_approve_view, name="schedule-run-approve"),
    path("runs/<int:pk>/status/", views.run_status_view, name="schedule-run-status"),
    path("teams/<int:pk>/feed/renew/", views.feed_renew_view, name="schedule-feed-renew"),
    path("teams/<int:pk>/feed/revoke/", views.feed_revoke_view, name="schedule-feed-revoke"),
    path("feeds/<str:token>.ics", views.feed_view, name="schedule-feed"),
]
