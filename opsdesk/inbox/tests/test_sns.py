"""Issue 12 item 2 (F1): Amazon SNS over HTTPS. Messages are signed with a key and certificate made
in the test and served by the local stand-in (snsfixture), never fetched from the internet."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opsdesk.inbox.choices import DeliveryState
from opsdesk.inbox.models import Delivery, SnsSubscription
from opsdesk.inbox.tests import snsfixture as fx


def _only_delivery() -> Delivery:
    rows = list(Delivery.objects.all())
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_notification_is_stored_verified_and_processed(
    client, endpoint, recorded_handler, django_capture_on_commit_callbacks, version
):
    subscription, path = endpoint
    message = fx.sign(fx.notification(), version=version)
    with django_capture_on_commit_callbacks(execute=True):
        response = fx.post(client, path, message)
    assert response.status_code == 200, response.content
    delivery = _only_delivery()
    assert response.json() == {"id": delivery.pk, "state": "received", "duplicate": False}
    assert delivery.verified and delivery.external_id == message["MessageId"]
    assert delivery.organisation_id == subscription.organisation_id
    assert delivery.kind == "sns.notification"
    assert json.loads(delivery.body) == message
    assert delivery.headers["x-amz-sns-message-type"] == "Notification"
    # Huey runs immediately in the tests: the on-commit task claimed and processed it.
    assert delivery.state == DeliveryState.PROCESSED and delivery.attempts == 1
    assert recorded_handler.seen == [delivery.pk]


def test_a_message_without_subject_and_in_json_is_accepted(client, endpoint):
    _, path = endpoint
    message = fx.sign(fx.notification(subject=None), version="2")
    response = fx.post(client, path, message, content_type="application/json")
    assert response.status_code == 200, response.content


def test_certificates_are_fetched_once_and_cached(client, endpoint):
    _, path = endpoint
    for _ in range(3):
        assert fx.post(client, path, fx.sign(fx.notification())).status_code == 200
    assert fx.CALLS == [fx.CERT_URL]


def test_a_redelivery_is_acknowledged_and_stored_once(
    client, endpoint, recorded_handler, django_capture_on_commit_callbacks
):
    _, path = endpoint
    message = fx.sign(fx.notification())
    with django_capture_on_commit_callbacks(execute=True):
        first = fx.post(client, path, message)
    with django_capture_on_commit_callbacks(execute=True):
        again = fx.post(client, path, message)
    assert first.status_code == again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "state": "processed", "duplicate": True}
    assert Delivery.objects.count() == 1
    assert len(recorded_handler.seen) == 1


def _refused(response, status: int, field: str) -> Delivery:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["errors"][0]["field"] == field, body
    assert body["detail"].startswith(f"{field}: ")
    delivery = _only_delivery()
    assert delivery.state == DeliveryState.REFUSED and not delivery.verified
    assert delivery.answered == status and delivery.error.startswith(f"{field}: ")
    assert delivery.attempts == 0 and delivery.processed_at is None
    return delivery


def test_a_forged_signature_is_refused_and_recorded(client, endpoint, recorded_handler):
    _, path = endpoint
    forged = fx.sign(fx.notification(), key=fx.keys()[2])  # another key than the certificate's
    delivery = _refused(fx.post(client, path, forged), 403, "Signature")
    assert delivery.external_id == forged["MessageId"]
    assert recorded_handler.seen == []


@pytest.mark.parametrize("field", ["Message", "Subject", "Timestamp", "TopicArn", "MessageId"])
def test_a_tampered_message_is_refused(client, endpoint, field):
    _, path = endpoint
    message = fx.sign(fx.notification(), version="2")
    tampered = {**message, field: message[field] + "0" if field != "TopicArn" else message[field]}
    if field == "TopicArn":  # another allowed topic: the signature still covers the topic
        SnsSubscription.objects.update(topic_arns=[fx.TOPIC, fx.OTHER_TOPIC])
        tampered[field] = fx.OTHER_TOPIC
    if field == "Timestamp":
        tampered[field] = message[field].replace(".", ".9", 1)[:-2] + "Z"
    _refused(fx.post(client, path, tampered), 403, "Signature")


def test_a_forged_message_does_not_shadow_the_genuine_one(client, endpoint):
    """A refused message carrying a real MessageId does not take its place: the genuine one, arriving
    later, is stored and processed."""
    _, path = endpoint
    genuine = fx.sign(fx.notification())
    forged = fx.sign({**genuine, "Message": "forged"}, key=fx.keys()[2])
    assert fx.post(client, path, forged).status_code == 403
    response = fx.post(client, path, genuine)
    assert response.status_code == 200 and response.json()["duplicate"] is False
    assert Delivery.objects.filter(external_id=genuine["MessageId"]).count() == 2


@pytest.mark.parametrize(
    "cert_url",
    [
        "http://sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.eu-west-2.amazonaws.com.evil.example/SimpleNotificationService-test.pem",
        "https://evil.example/SimpleNotificationService-test.pem",
        "https://sns.eu-west-2.amazonaws.com@evil.example/SimpleNotificationService-test.pem",
        "https://user:pw@sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.eu-west-2.amazonaws.com:8443/SimpleNotificationService-test.pem",
        "https://s3.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem",
        "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.txt",
        "https://sns.eu-west-2.amazonaws.com/cert.pem?redirect=https://evil.example/x.pem",
        "https://sns.eu-west-2.amazonaws.com\\@evil.example/x.pem",
        "https://[::1]/x.pem",
    ],
)
def test_a_certificate_url_off_sns_is_refused_without_fetching(client, endpoint, cert_url):
    _, path = endpoint
    fx.SERVED[cert_url] = fx.keys()[1]  # even if it would serve the right certificate
    message = fx.sign(fx.notification(cert_url=cert_url))
    _refused(fx.post(client, path, message), 400, "SigningCertURL")
    assert fx.CALLS == []


def test_a_certificate_that_cannot_be_fetched_asks_sns_to_retry(client, endpoint):
    _, path = endpoint
    fx.SERVED.clear()
    delivery = _refused(fx.post(client, path, fx.sign(fx.notification())), 503, "SigningCertURL")
    assert "retry" in delivery.error


def test_an_unknown_topic_is_refused(client, endpoint, recorded_handler):
    _, path = endpoint
    message = fx.sign(fx.notification(topic=fx.OTHER_TOPIC))
    _refused(fx.post(client, path, message), 403, "TopicArn")
    assert recorded_handler.seen == []


def test_an_old_timestamp_is_a_replay(client, endpoint, settings):
    _, path = endpoint
    old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settings.SNS_MAX_AGE_SECONDS + 60)
    _refused(fx.post(client, path, fx.sign(fx.notification(at=old))), 400, "Timestamp")
    settings.SNS_MAX_AGE_SECONDS = 7200  # configurable
    assert fx.post(client, path, fx.sign(fx.notification(at=old))).status_code == 200


def test_an_oversize_body_is_refused_with_413_before_it_is_read(client, endpoint, settings):
    _, path = endpoint
    message = fx.sign(fx.notification(message="x" * (settings.INBOX_MAX_BODY_BYTES + 1)))
    delivery = _refused(fx.post(client, path, message), 413, "body")
    assert delivery.body == "" and delivery.external_id == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json at all", "body"),
        (b"[1, 2, 3]", "body"),
        (b"\xff\xfe\x00garbage", "body"),
        (b'{"Type": "Notification", "Message": "a\x00b"}', "body"),
        (b'{"Message": "no type"}', "Type"),
        (b'{"Type": "Bogus"}', "Type"),
    ],
)
def test_malformed_bodies_are_refused_naming_the_field(client, endpoint, body, field):
    _, path = endpoint
    delivery = _refused(fx.post(client, path, body), 400, field)
    assert "\x00" not in delivery.body


@pytest.mark.parametrize("missing", ["MessageId", "Timestamp", "TopicArn", "Signature", "SigningCertURL"])
def test_a_missing_field_is_named(client, endpoint, missing):
    _, path = endpoint
    message = fx.sign(fx.notification())
    del message[missing]
    _refused(fx.post(client, path, message), 400, missing)


def test_a_null_character_in_a_field_is_refused(client, endpoint):
    _, path = endpoint
    message = fx.sign(fx.notification(message="evil\u0000payload"))
    # The edge's JSON check (core.edge.json_body_problem) refuses it as it does on the API: 422.
    _refused(fx.post(client, path, message), 422, "Message")


def test_a_wrong_content_type_is_refused(client, endpoint):
    _, path = endpoint
    _refused(fx.post(client, path, fx.sign(fx.notification()), content_type="text/html"), 415, "Content-Type")


def test_a_message_type_header_that_disagrees_is_refused(client, endpoint):
    _, path = endpoint
    message = fx.sign(fx.notification())
    response = fx.post(client, path, message, HTTP_X_AMZ_SNS_MESSAGE_TYPE="SubscriptionConfirmation")
    _refused(response, 400, "x-amz-sns-message-type")


def test_an_unknown_or_rotated_token_is_404_and_stores_nothing(client, endpoint, administrator):
    from opsdesk.inbox import services

    subscription, path = endpoint
    assert fx.post(client, "/intake/sns/sns_nope/", fx.sign(fx.notification())).status_code == 404
    rotated = services.sns_subscription_rotate(actor=administrator, subscription=subscription)
    assert fx.post(client, path, fx.sign(fx.notification())).status_code == 404
    assert Delivery.objects.count() == 0
    new_path = f"/intake/sns/{rotated.token}/"
    assert fx.post(client, new_path, fx.sign(fx.notification())).status_code == 200


def test_get_probes_the_address_and_other_methods_are_refused(client, endpoint):
    _, path = endpoint
    assert client.get(path).json() == {"detail": "Amazon SNS endpoint: POST messages here."}
    assert client.get("/intake/sns/sns_nope/").status_code == 404
    response = client.put(path, data="{}", content_type="text/plain")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
    assert response.json()["detail"].startswith("Method PUT not allowed")
    assert Delivery.objects.count() == 0


def test_intake_is_rate_limited(client, endpoint, settings):
    _, path = endpoint
    settings.INTAKE_RATE_PER_MINUTE = 2
    statuses = [fx.post(client, path, fx.sign(fx.notification())).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# --- the subscription handshakes -------------------------------------------------------------


def test_a_subscription_confirmation_is_confirmed_by_fetching_the_subscribe_url(
    client, endpoint, django_capture_on_commit_callbacks
):
    subscription, path = endpoint
    with django_capture_on_commit_callbacks(execute=True):
        response = fx.post(client, path, fx.sign(fx.handshake(), version="2"))
    assert response.status_code == 200, response.content
    delivery = _only_delivery()
    assert delivery.kind == "sns.subscription_confirmation"
    assert delivery.state == DeliveryState.PROCESSED
    assert fx.CALLS == [fx.CERT_URL, fx.SUBSCRIBE_URL]
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None


@pytest.mark.parametrize(
    "subscribe_url",
    [
        "https://evil.example/?Action=ConfirmSubscription",
        "http://sns.eu-west-2.amazonaws.com/?Action=ConfirmSubscription",
        "https://sns.eu-west-2.amazonaws.com@169.254.169.254/latest/meta-data/",
    ],
)
def test_a_subscribe_url_off_sns_is_never_fetched(
    client, endpoint, subscribe_url, django_capture_on_commit_callbacks
):
    _, path = endpoint
    with django_capture_on_commit_callbacks(execute=True):
        response = fx.post(client, path, fx.sign(fx.handshake(subscribe_url=subscribe_url)))
    _refused(response, 400, "SubscribeURL")
    assert fx.CALLS == []


def test_an_unsubscribe_confirmation_is_recorded(client, endpoint, django_capture_on_commit_callbacks):
    _, path = endpoint
    with django_capture_on_commit_callbacks(execute=True):
        response = fx.post(client, path, fx.sign(fx.handshake("UnsubscribeConfirmation")))
    assert response.status_code == 200
    delivery = _only_delivery()
    assert delivery.kind == "sns.unsubscribe_confirmation" and delivery.state == DeliveryState.PROCESSED
    assert fx.CALLS == [fx.CERT_URL]  # nothing fetched but the certificate


def test_the_token_stays_out_of_the_request_log(client, endpoint, caplog):
    subscription, path = endpoint
    with caplog.at_level("INFO", logger="opsdesk.request"):
        fx.post(client, path, fx.sign(fx.notification()))
    paths = [r.path for r in caplog.records if getattr(r, "path", None)]
    assert paths == ["/intake/sns/<token>/"]
    assert subscription.token not in caplog.text
