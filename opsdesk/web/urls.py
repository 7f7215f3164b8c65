from django.urls import path

from opsdesk.web import notice_changes, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("password/change/", views.password_change, name="password_change"),
    # E1: composes maintenance and changes, so it lives in the shell (see notice_changes.py).
    path(
        "maintenance/notices/<int:pk>/raise-change/",
        notice_changes.notice_raise_change_page,
        name="notice_raise_change",
    ),
]
