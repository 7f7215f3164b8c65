def navigation(request):
    user = getattr(request, "user", None)
    return {"is_staff_user": bool(user and user.is_authenticated and user.is_provider_staff)}
