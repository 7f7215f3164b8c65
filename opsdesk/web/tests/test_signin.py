"""Sign-in fit for production (issue 7): lockout, password reset through the outbox, password change,
Argon2, idle and absolute session limits."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from opsdesk.core.models import AuditEvent
from opsdesk.core.tokens import token_create
from opsdesk.directory.models import User
from opsdesk.notifications.delivery import webhook_body
from opsdesk.notifications.models import Channel, Notification, WebhookSubscription
from opsdesk.testing.world import PASSWORD
from opsdesk.web.middleware import LAST_ACTIVITY, SIGNED_IN_AT

pytestmark = pytest.mark.django_db

LOGIN = reverse("web:login")
RESET = reverse("web:password_reset")
NEW_PASSWORD = "brand-new-pass-42"


def _login(client, email, password, ip="10.0.0.1", **extra):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def _fail(client, email, times, ip="10.0.0.1", **extra):
    return [_login(client, email, "wrong-password-x", ip, **extra) for _ in range(times)]


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


# --- lockout -----------------------------------------------------------------------------------


def test_five_failures_lock_the_account_even_with_the_right_password(client, world):
    admin = world["admin"]
    responses = _fail(client, admin.email, 5)
    assert [r.status_code for r in responses[:4]] == [200] * 4
    locked = responses[4]
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed sign-in attempts" in text and "15 minutes" in text
    assert 'class="form-errors"' in text and 'name="password"' in text  # the sign-in page, not a bare page

    response = _login(client, admin.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not _signed_in(client)


def test_an_unknown_account_is_locked_alike(client, world):
    """The lockout page must not tell an existing account from an unknown one."""

    def page(email):
        _fail(client, email, 4, ip="10.0.0.7" if "nobody" in email else "10.0.0.8")
        response = _login(
            client, email, "wrong-password-x", ip="10.0.0.7" if "nobody" in email else "10.0.0.8"
        )
        assert response.status_code == 429
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return response.status_code, text.replace(email, "EMAIL")

    assert page(world["admin"].email) == page("nobody-here@provider.test")


def test_the_lock_is_per_account_and_per_address(client, world):
    """Locked from 10.0.0.1 on the admin's account: the account is locked from everywhere, the address
    for every account, and another account from another address signs in."""
    _fail(client, world["admin"].email, 5, ip="10.0.0.1")
    assert _login(client, world["admin"].email, PASSWORD, ip="10.0.0.2").status_code == 429
    assert _login(client, world["customer_a"].email, PASSWORD, ip="10.0.0.1").status_code == 429
    response = _login(client, world["customer_a"].email, PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302 and response["Location"] == reverse("web:home")


def test_the_lock_ends_after_the_cool_off(client, world):
    admin = world["admin"]
    _fail(client, admin.email, 5)
    assert _login(client, admin.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = _login(client, admin.email, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_a_lockout_is_audited_once(client, world):
    admin = world["admin"]
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    _fail(client, admin.email, 4)
    _fail(client, admin.email, 3)  # the 5th locks; the 6th and 7th fail while locked
    events = list(AuditEvent.objects.filter(pk__gt=last).order_by("id"))
    # Each failure before the lock, then the one that locks as the lockout; tries while locked
    # leave no row.
    assert [e.action for e in events] == ["sign_in_failed"] * 4 + ["lockout"]
    lockout = events[-1]
    assert admin.email in lockout.note and "10.0.0.1" in lockout.note
    assert lockout.public is False


@override_settings(OPSDESK_TRUSTED_PROXY_HOPS=1)
def test_behind_a_proxy_the_forwarded_address_counts_and_cannot_be_spoofed(client, world):
    """Every request comes from the proxy (REMOTE_ADDR); the client is the last X-Forwarded-For entry,
    whatever the client wrote to the left of it."""
    for i in range(5):
        _login(
            client,
            f"someone{i}@provider.test",
            "wrong-password-x",
            ip="192.168.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.5",
        )
    blocked = _login(
        client, world["customer_a"].email, PASSWORD, ip="192.168.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert blocked.status_code == 429
    other = _login(
        client, world["customer_a"].email, PASSWORD, ip="192.168.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6"
    )
    assert other.status_code == 302


# --- password reset ----------------------------------------------------------------------------


def _reset_link(notification_or_text: Notification | str) -> str:
    text = getattr(notification_or_text, "body", notification_or_text)
    match = re.search(r"https?://[^/\s]+(/password/reset/[^\s]+/)", text)
    assert match, text
    return match.group(1)


def test_the_sign_in_page_links_to_the_reset(client):
    assert f'href="{RESET}"' in client.get(LOGIN).content.decode()


def test_reset_by_email_through_the_outbox(client, world, django_capture_on_commit_callbacks):
    user = world["customer_a"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESET, {"email": user.email.upper()})
    assert response.status_code == 302 and response["Location"] == reverse("web:password_reset_done")
    assert "link to set a new password is on its way" in client.get(response["Location"]).content.decode()

    [note] = Notification.objects.filter(event="auth.password_reset", channel=Channel.EMAIL)
    assert note.recipient == user.email
    # Delivered by the outbox worker, with the outbox's headers, not sent aside from it.
    [message] = mail.outbox
    assert message.to == [user.email] and message.extra_headers["X-Opsdesk-Event"] == "auth.password_reset"
    link = _reset_link(message.body)
    # The outbox keeps no copy of the link once it is sent, and never shows it to staff.
    note.refresh_from_db()
    assert note.confidential and note.body == ""
    staff = Client()
    staff.force_login(world["admin"])
    shown = staff.get(f"/api/v1/notifications/{note.pk}").json()
    assert shown["confidential"] is True and shown["body"] == ""

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and 'name="new_password1"' in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    short = client.post(set_url, {"new_password1": "short1", "new_password2": "short1"})
    assert short.status_code == 200 and "at least 10 characters" in short.content.decode()
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == LOGIN
    assert "Your new password is set" in client.get(LOGIN).content.decode()

    assert _login(client, user.email, PASSWORD).status_code == 200  # the old one no longer works
    assert _login(client, user.email, NEW_PASSWORD).status_code == 302
    client.post(reverse("web:logout"))
    again = client.get(link, follow=True)
    assert "has been used already or has expired" in again.content.decode()  # one-time


def test_an_unknown_email_gets_the_same_answer_and_nothing_is_sent(client, world):
    known = client.post(RESET, {"email": world["customer_a"].email})
    unknown = client.post(RESET, {"email": "nobody-here@example.test"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    recipients = set(
        Notification.objects.filter(event="auth.password_reset").values_list("recipient", flat=True)
    )
    assert recipients == {world["customer_a"].email}


def test_a_bad_email_is_a_form_error(client, world):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert not Notification.objects.filter(event="auth.password_reset").exists()


def test_inactive_users_get_no_link_and_users_without_a_password_do(client, world):
    inactive = world["customer_b"]
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    fresh = User.objects.create_user("first.time@provider.test", None, full_name="New", role="service_desk")
    assert not fresh.has_usable_password()
    client.post(RESET, {"email": inactive.email})
    client.post(RESET, {"email": fresh.email})
    recipients = set(
        Notification.objects.filter(event="auth.password_reset").values_list("recipient", flat=True)
    )
    assert recipients == {fresh.email}


def test_asking_again_at_once_sends_one_email(client, world):
    for _ in range(3):
        client.post(RESET, {"email": world["customer_a"].email})
    assert Notification.objects.filter(event="auth.password_reset", channel=Channel.EMAIL).count() == 1


def test_a_webhook_never_sees_the_reset_link(client, world):
    WebhookSubscription.objects.create(url="https://hooks.example.test/all", secret="whsec_x", event_types=[])
    client.post(RESET, {"email": world["customer_a"].email})
    email = Notification.objects.get(event="auth.password_reset", channel=Channel.EMAIL)
    token = _reset_link(email).rstrip("/").rsplit("/", 1)[-1]
    for hook in Notification.objects.filter(event="auth.password_reset", channel=Channel.WEBHOOK):
        assert token.encode() not in webhook_body(hook)
        assert world["customer_a"].email.encode() not in webhook_body(hook)


def test_an_expired_link_is_refused(client, world):
    user = world["customer_a"]
    old = PasswordResetTokenGenerator()
    old._now = lambda: dt.datetime.now() - dt.timedelta(minutes=61)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reverse("web:password_reset_confirm", kwargs={"uidb64": uid, "token": old.make_token(user)})
    response = client.get(link, follow=True)
    assert "has been used already or has expired" in response.content.decode()


def test_a_reset_lifts_the_account_lock(client, world):
    user = world["customer_a"]
    _fail(client, user.email, 5, ip="10.0.0.1")
    assert _login(client, user.email, PASSWORD, ip="10.0.0.2").status_code == 429
    client.post(RESET, {"email": user.email})
    link = _reset_link(Notification.objects.get(event="auth.password_reset", channel=Channel.EMAIL))
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert _login(client, user.email, NEW_PASSWORD, ip="10.0.0.2").status_code == 302
    assert AuditEvent.objects.filter(action="password_reset").count() == 1


# --- password change ---------------------------------------------------------------------------


def test_change_password_keeps_the_session_and_ends_the_others(client, world):
    user = world["service_desk"]
    other = client.__class__()
    other.force_login(user)
    client.force_login(user)
    page = client.get("/").content.decode()
    url = reverse("web:password_change")
    assert f'href="{url}"' in page  # in the user menu

    wrong = client.post(
        url, {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert wrong.status_code == 200 and "old password was entered incorrectly" in wrong.content.decode()
    weak = client.post(
        url, {"old_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"}
    )
    assert weak.status_code == 200 and "too common" in weak.content.decode()
    ok = client.post(
        url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert ok.status_code == 302 and ok["Location"] == reverse("web:home")
    assert "Your password has been changed" in client.get("/").content.decode()
    assert not _signed_in(other)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(actor=user, action="password_changed").count() == 1


def test_change_password_needs_a_session(client):
    response = client.get(reverse("web:password_change"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- hashing -----------------------------------------------------------------------------------


def test_production_settings_store_new_passwords_with_argon2(tmp_path):
    """Outside tests (no pytest imported) the hasher list is the production one."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPSDESK_TESTING", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="opsdesk.config.settings", OPSDESK_DATA_DIR=str(tmp_path))
    code = (
        "import django; django.setup();"
        "from django.contrib.auth.hashers import make_password; print(make_password('a-password-123'))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("argon2$")


def test_a_bad_sign_in_setting_stops_the_start_naming_it(tmp_path):
    env = {**os.environ, "OPSDESK_DATA_DIR": str(tmp_path), "OPSDESK_LOCKOUT_FAILURES": "none"}
    env.pop("DATABASE_URL", None)  # the embedded default, which needs no secret key to be set
    out = subprocess.run(
        [sys.executable, "-m", "opsdesk", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode != 0
    assert "OPSDESK_LOCKOUT_FAILURES must be a whole number" in out.stderr


def test_an_old_pbkdf2_hash_still_signs_in_and_is_upgraded(client, world, settings):
    settings.PASSWORD_HASHERS = settings.SIGNIN_PASSWORD_HASHERS
    user = world["customer_a"]
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert _login(client, user.email, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


# --- session limits ----------------------------------------------------------------------------


def _set_session(client, **values):
    session = client.session
    session.update(values)
    session.save()


def test_idle_past_the_limit_signs_out(client, world):
    client.force_login(world["customer_a"])
    assert _signed_in(client)
    _set_session(client, **{LAST_ACTIVITY: int(time.time()) - 61 * 60})
    response = client.get(reverse("directory:account_list"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN + "?next=")
    assert "signed out after 60 minutes without activity" in client.get(LOGIN).content.decode()
    assert not _signed_in(client)


def test_an_htmx_request_when_idle_loads_the_sign_in_page(client, world):
    client.force_login(world["customer_a"])
    client.get("/")
    _set_session(client, **{LAST_ACTIVITY: int(time.time()) - 61 * 60})
    response = client.get(reverse("directory:account_list"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith(LOGIN)


def test_activity_keeps_the_session_and_is_written_at_most_once_a_minute(client, world):
    client.force_login(world["customer_a"])
    client.get("/")
    recent = int(time.time()) - 30
    _set_session(client, **{LAST_ACTIVITY: recent})
    assert _signed_in(client)
    assert client.session[LAST_ACTIVITY] == recent  # not rewritten within a minute
    _set_session(client, **{LAST_ACTIVITY: int(time.time()) - 59 * 60})
    assert _signed_in(client)
    assert client.session[LAST_ACTIVITY] >= int(time.time()) - 5


def test_the_session_ends_at_the_absolute_limit_whatever_the_activity(client, world):
    client.force_login(world["customer_a"])
    client.get("/")
    signed_in = client.session[SIGNED_IN_AT]
    end = client.session.get_expiry_date()
    assert abs((end - timezone.now()).total_seconds() - 12 * 3600) < 60
    _set_session(client, **{LAST_ACTIVITY: int(time.time()) - 10 * 60})
    assert _signed_in(client)  # the activity stamp is rewritten...
    assert client.session[SIGNED_IN_AT] == signed_in
    assert client.session.get_expiry_date() == end  # ...without moving the end


def test_api_token_requests_are_untouched(client, world):
    _, secret = token_create(actor=world["admin"], user=world["customer_a"], expires_in_days=1)
    response = client.get("/api/v1/accounts", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert SIGNED_IN_AT not in client.session and LAST_ACTIVITY not in client.session


def test_an_idle_browser_session_on_the_api_gets_401(client, world):
    client.force_login(world["customer_a"])
    client.get("/")
    _set_session(client, **{LAST_ACTIVITY: int(time.time()) - 61 * 60})
    response = client.get("/api/v1/accounts")
    assert response.status_code == 401 and "detail" in response.json()


def test_an_unsent_reset_link_is_not_shown_to_staff(client, world):
    """Before the worker sends it, a provider staff member reading the outbox still cannot use it."""
    client.post(RESET, {"email": world["admin"].email})
    note = Notification.objects.get(event="auth.password_reset", channel=Channel.EMAIL)
    assert "/password/reset/" in note.body  # kept for delivery...
    engineer = Client()
    engineer.force_login(world["engineer"])
    listed = engineer.get("/api/v1/notifications?event=auth.password_reset").json()["results"]
    shown = engineer.get(f"/api/v1/notifications/{note.pk}").json()
    assert [r["body"] for r in listed] == [""] and shown["body"] == ""  # ...but never shown
