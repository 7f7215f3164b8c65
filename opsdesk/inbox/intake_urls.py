from django.urls import path

from opsdesk.inbox import intake

app_name = "intake"

urlpatterns = [
    path("sns/<str:token>/", intake.sns, name="sns"),
    path("eventbridge/", intake.eventbridge, name="eventbridge"),
    path("webhook/<str:token>/", intake.webhook, name="webhook"),
]
