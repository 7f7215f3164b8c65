from django.urls import path

from opsdesk.statuspage import feeds, views

app_name = "statuspage"
urlpatterns = [
    # Public (C8): no login, published records only.
    path("", views.index, name="index"),
    path("incidents/<int:pk>/", views.incident, name="incident"),
    path("feed.atom", feeds.StatusFeed(), name="feed"),
    # Staff ("statuspage.manage").
    path("manage/incidents/", views.incident_list, name="incident_list"),
    path("manage/incidents/new/", views.incident_create, name="incident_create"),
    path("manage/incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("manage/incidents/<int:pk>/edit/", views.incident_update, name="incident_update"),
    path("manage/incidents/<int:pk>/updates/new/", views.incident_post_update, name="incident_post_update"),
    path("manage/incidents/<int:pk>/history/", views.incident_history, name="incident_history"),
    path("manage/maintenance/", views.maintenance_list, name="maintenance_list"),
    path("manage/maintenance/new/", views.maintenance_create, name="maintenance_create"),
    path("manage/maintenance/<int:pk>/edit/", views.maintenance_update, name="maintenance_update"),
    path("manage/maintenance/<int:pk>/cancel/", views.maintenance_cancel, name="maintenance_cancel"),
    path("manage/maintenance/<int:pk>/history/", views.maintenance_history, name="maintenance_history"),
]
