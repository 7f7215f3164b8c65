from django.urls import path

from opsdesk.inbox import intake

app_name = "intake"

urlpatterns = [
    path("sns/<str:token>/", intake.sns, name="sns"),
]
