from django.urls import path

from opsdesk.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.delivery_list, name="delivery_list"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/history/", views.delivery_history, name="delivery_history"),
    path("deliveries/<int:pk>/reprocess/", views.delivery_reprocess, name="delivery_reprocess"),
    path("sns/", views.sns_list, name="sns_list"),
    path("sns/new/", views.sns_create, name="sns_create"),
    path("sns/<int:pk>/", views.sns_detail, name="sns_detail"),
    path("sns/<int:pk>/edit/", views.sns_update, name="sns_update"),
    path("sns/<int:pk>/delete/", views.sns_delete, name="sns_delete"),
    path("sns/<int:pk>/history/", views.sns_history, name="sns_history"),
    path("sns/<int:pk>/rotate/", views.sns_rotate, name="sns_rotate"),
    path("keys/", views.key_list, name="key_list"),
    path("keys/new/", views.key_create, name="key_create"),
    path("keys/<int:pk>/", views.key_detail, name="key_detail"),
    path("keys/<int:pk>/delete/", views.key_delete, name="key_delete"),
    path("keys/<int:pk>/history/", views.key_history, name="key_history"),
    path("keys/<int:pk>/rotate/", views.key_rotate, name="key_rotate"),
]
