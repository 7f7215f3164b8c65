"""A local stand-in for Amazon SNS: a test CA, a signing key and its certificate made here with
`cryptography`, served by `fetch` (settings.SNS_FETCHER in the tests) instead of the internet, and
messages signed as SNS signs them (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import urllib.error
import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

CERT_URL = "https://sns.eu-west-2.amazonaws.com/SimpleNotificationService-test.pem"
SUBSCRIBE_URL = (
    "https://sns.eu-west-2.amazonaws.com/?Action=ConfirmSubscription"
    "&TopicArn=arn:aws:sns:eu-west-2:123456789012:alarms&Token=abc"
)
TOPIC = "arn:aws:sns:eu-west-2:123456789012:alarms"
OTHER_TOPIC = "arn:aws:sns:eu-west-2:123456789012:elsewhere"

#: url -> body served by `fetch`; every URL fetched, in order.
SERVED: dict[str, bytes] = {}
CALLS: list[str] = []


def fetch(url: str) -> bytes:
    CALLS.append(url)
    if url not in SERVED:
        raise urllib.error.URLError("not served by the test fixture")
    return SERVED[url]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@functools.cache
def keys() -> tuple[rsa.RSAPrivateKey, bytes, rsa.RSAPrivateKey, bytes]:
    """(signing key, its certificate's PEM issued by a test CA, another key, its self-signed PEM)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("opsdesk test CA"))
        .issuer_name(_name("opsdesk test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(key: rsa.RSAPrivateKey, issuer: x509.Name, issuer_key: rsa.RSAPrivateKey) -> bytes:
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name("sns.amazonaws.com"))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(issuer_key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM)

    signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return signing, leaf(signing, ca.subject, ca_key), other, leaf(other, _name("other"), other)


def serve_certificate() -> None:
    SERVED[CERT_URL] = keys()[1]


def canonical(message: dict[str, Any]) -> bytes:
    if message["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{n}\n{message[n]}\n" for n in names if n in message).encode()


def sign(message: dict[str, Any], *, version: str = "1", key: rsa.RSAPrivateKey | None = None) -> dict:
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = (key or keys()[0]).sign(canonical(message), padding.PKCS1v15(), algorithm)
    return {**message, "SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}


def _stamp(at: dt.datetime | None) -> str:
    at = at or dt.datetime.now(dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def notification(
    *,
    message: str = '{"AlarmName":"cpu-high","NewStateValue":"ALARM"}',
    topic: str = TOPIC,
    subject: str | None = "ALARM: cpu-high",
    at: dt.datetime | None = None,
    message_id: str | None = None,
    cert_url: str = CERT_URL,
) -> dict[str, Any]:
    """An unsigned Notification as SNS builds it (sign it with `sign`)."""
    document = {
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": message,
        "Timestamp": _stamp(at),
        "SigningCertURL": cert_url,
        "UnsubscribeURL": "https://sns.eu-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    }
    if subject is not None:
        document["Subject"] = subject
    return document


def handshake(kind: str = "SubscriptionConfirmation", *, subscribe_url: str = SUBSCRIBE_URL, **more) -> dict:
    return {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92" * 3,
        "TopicArn": TOPIC,
        "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
        "SubscribeURL": subscribe_url,
        "Timestamp": _stamp(None),
        "SigningCertURL": CERT_URL,
        **more,
    }


def post(client, path: str, document, *, content_type: str = "text/plain; charset=UTF-8", **headers):
    """POST as SNS does: the JSON document as text/plain, with its x-amz-sns-message-type header."""
    body = document if isinstance(document, bytes | str) else json.dumps(document)
    message_type = document.get("Type") if isinstance(document, dict) else None
    if message_type and "HTTP_X_AMZ_SNS_MESSAGE_TYPE" not in headers:
        headers["HTTP_X_AMZ_SNS_MESSAGE_TYPE"] = message_type
    if isinstance(body, bytes):  # sent as they are (the test client would decode them per charset)
        content_type = content_type.split(";")[0]
    return client.post(path, data=body, content_type=content_type, **headers)
