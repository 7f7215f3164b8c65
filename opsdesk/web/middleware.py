"""Session lifetime for people signed in through the browser (issue 7)."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

LAST_ACTIVITY = "opsdesk_last_activity"
SIGNED_IN_AT = "opsdesk_signed_in_at"
#: The stored last-activity time is only refreshed when older than this, so a busy user costs one
#: session write a minute rather than one per request.
ACTIVITY_RESOLUTION_SECONDS = 60


def start_session_clock(session) -> None:
    """Both limits start at sign-in: the end is a fixed date, so later writes of the session (the
    activity stamp) do not push it back."""
    session[SIGNED_IN_AT] = session[LAST_ACTIVITY] = int(time.time())
    session.set_expiry(timezone.now() + timedelta(hours=settings.SESSION_MAX_HOURS))


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    """Receiver of `user_logged_in`: stamps the session in the same save as the sign-in, so the first
    page after it costs no extra session write."""
    if request is not None and hasattr(request, "session"):
        start_session_clock(request.session)


class SessionTimeoutMiddleware:
    """Signs a browser session out after SESSION_IDLE_MINUTES without a request, and fixes its end at
    SESSION_MAX_HOURS after sign-in: Django's expiry alone would slide forward with every write.
    Requests with an API token carry no session and pass untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(request, "token_authenticated", False) or not request.user.is_authenticated:
            return self.get_response(request)
        session = request.session
        now = int(time.time())
        if SIGNED_IN_AT not in session:  # signed in before this middleware was deployed
            start_session_clock(session)
        last = session.get(LAST_ACTIVITY)
        idle_limit = settings.SESSION_IDLE_MINUTES * 60
        if isinstance(last, int) and now - last > idle_limit:
            return self._signed_out(request)
        if not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
            session[LAST_ACTIVITY] = now
        return self.get_response(request)

    def _signed_out(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        if request.path.startswith("/api/"):
            # The API answers an anonymous session itself, in its one error shape (401).
            return self.get_response(request)
        messages.info(
            request, f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity."
        )
        response = redirect_to_login(request.get_full_path())
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the sign-in page into a fragment; ask it to load the page instead.
            response = HttpResponse(status=204, headers={"HX-Redirect": response["Location"]})
        return response
