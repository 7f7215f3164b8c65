from django.urls import path

from opsdesk.oncall import views

app_name = "oncall"


def _crud(prefix: str, name: str, views_of: dict) -> list:
    pages = [
        ("", "list"),
        ("new/", "create"),
        ("<int:pk>/", "detail"),
        ("<int:pk>/edit/", "update"),
        ("<int:pk>/history/", "history"),
        ("<int:pk>/delete/", "delete"),
    ]
    return [
        path(f"{prefix}{tail}", views_of[page], name=f"{name}_{page}")
        for tail, page in pages
        if page in views_of
    ]


urlpatterns = [
    path("", views.page_list, name="page_list"),
    path("pages/<int:pk>/", views.page_detail, name="page_detail"),
    path("pages/<int:pk>/history/", views.page_history, name="page_history"),
    path("pages/<int:pk>/acknowledge/", views.page_acknowledge, name="page_acknowledge"),
    path("ack/<str:token>/", views.page_ack_link, name="page_ack_link"),
    *_crud("teams/", "team", views.team),
    *_crud("rotas/", "rota", views.rota),
    path("rotas/<int:pk>/calendar.ics", views.rota_calendar, name="rota_calendar"),
    path("feeds/<str:token>.ics", views.rota_feed, name="rota_feed"),
    *_crud("overrides/", "override", views.override),
    *_crud("policies/", "policy", views.policy),
]
