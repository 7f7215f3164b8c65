from django.urls import path

from opsdesk.orders import views

app_name = "orders"
urlpatterns = [
    *views.ORDERS.paths("", detail=views.order_detail, create=views.order_create),
    path("board/", views.order_board, name="order_board"),
    *[
        path(f"<int:pk>/{name.replace('_', '-')}/", view, name=f"order_{name}")
        for name, view in views.STEP_VIEWS.items()
    ],
]
