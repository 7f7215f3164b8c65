from django.urls import path

from opsdesk.statuspage import feeds, views

app_name = "statuspage"
urlpatterns = [
    # Public (C8): no login, published records only.
    path("", views.index, name="index"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("feed.atom", feeds.StatusFeed(), name="feed"),
    # Staff ("statuspage.manage").
    *views.INCIDENTS.paths("manage/incidents/", detail=views.incident_detail),
    path("manage/incidents/<int:pk>/updates/new/", views.incident_post_update, name="incident_post_update"),
    # Provider-wide maintenance lives on the maintenance pages; the old address leads there.
    path("manage/maintenance/", views.maintenance_list, name="maintenance_list"),
]
