from django.urls import path

from opsdesk.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.review, name="review"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_create, name="import_create"),
    path("thresholds/", views.threshold_list, name="threshold_list"),
    path("thresholds/new/", views.threshold_create, name="threshold_create"),
    path("thresholds/<int:pk>/edit/", views.threshold_update, name="threshold_update"),
    path("alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert_acknowledge"),
]
