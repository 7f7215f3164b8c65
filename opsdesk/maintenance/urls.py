from django.urls import path

from opsdesk.maintenance import views

app_name = "maintenance"
urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("feeds/<str:token>.ics", views.ical_feed, name="ical_feed"),
    *views.MAINTENANCE.paths("provider/", detail=views.maintenance_detail),
    *[
        path(f"provider/<int:pk>/{name}/", view, name=f"maintenance_{name}")
        for name, view in views.STEP_VIEWS.items()
    ],
    *views.CUSTOMER_WINDOWS.paths("customer/", detail=views.customer_window_detail, update=None),
    path("customer/<int:pk>/cancel/", views.customer_window_cancel, name="customer_window_cancel"),
    *views.NOTICES.paths("notices/", detail=views.notice_detail, create=None, update=None),
    *[
        path(f"notices/<int:pk>/{name}/", view, name=f"notice_{name}")
        for name, view in views.NOTICE_STEP_VIEWS.items()
    ],
    *views.BLACKOUTS.paths("blackouts/"),
    path("blackouts/<int:pk>/delete/", views.BLACKOUTS.delete_view(), name="blackout_delete"),
    *views.WINDOWS.paths("windows/"),
]
