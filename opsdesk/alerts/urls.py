from django.urls import path

from opsdesk.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="alert_list"),
    path("<int:pk>/", views.alert_detail, name="alert_detail"),
    path("<int:pk>/history/", views.alert_history, name="alert_history"),
    path("security-events/", views.security_event_list, name="security_event_list"),
    path("security-events/<int:pk>/", views.security_event_detail, name="security_event_detail"),
    path("security-events/<int:pk>/history/", views.security_event_history, name="security_event_history"),
    path("priority-rules/", views.rule_list, name="rule_list"),
    path("priority-rules/new/", views.rule_create, name="rule_create"),
    path("priority-rules/<int:pk>/", views.rule_detail, name="rule_detail"),
    path("priority-rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("priority-rules/<int:pk>/history/", views.rule_history, name="rule_history"),
]
