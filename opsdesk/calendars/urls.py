from django.urls import path

from opsdesk.calendars import views

app_name = "calendars"
urlpatterns = [
    path("", views.calendar_list, name="list"),
    path("new/", views.calendar_create, name="create"),
    path("<int:pk>/", views.calendar_detail, name="detail"),
    path("<int:pk>/hours/", views.working_hours_edit, name="hours"),
    path("<int:pk>/history/", views.calendar_history, name="history"),
    path("<int:pk>/closures/new/", views.closure_add, name="closure_add"),
    path("<int:pk>/closures/import/", views.closures_import, name="closures_import"),
    path("<int:pk>/closures/<int:closure_pk>/remove/", views.closure_remove, name="closure_remove"),
]
