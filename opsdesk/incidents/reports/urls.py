from django.urls import path

from opsdesk.incidents.reports import views

app_name = "reports"
urlpatterns = [
    path("sla/", views.sla_report, name="sla"),
    path("sla/desk-chart/", views.desk_compliance, name="desk_compliance"),
]
