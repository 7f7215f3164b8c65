from django.urls import path

from opsdesk.changes import views

app_name = "changes"
urlpatterns = [
    path("", views.change_board, name="board"),
    *views.CHANGES.paths("all/", create=views.change_create, detail=views.change_detail),
    *[path(f"all/<int:pk>/{name}/", view, name=f"change_{name}") for name, view in views.STEP_VIEWS.items()],
    *views.STANDARD_CHANGES.paths("standard/"),
    path("calendar/", views.calendar, name="calendar"),
    *views.PIPELINES.paths("pipelines/", detail=None, update=None),
    path("pipelines/<int:pk>/delete/", views.PIPELINES.delete_view(), name="pipeline_delete"),
]
