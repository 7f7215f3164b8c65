"""Amazon SNS over HTTPS (issue 12 item 2, F1): what makes an SNS message believable.

SNS signs each message with a key whose X.509 certificate it publishes at `SigningCertURL`. A
message is accepted only when:

- the certificate URL (and, for the subscription handshakes, the `SubscribeURL`) is HTTPS on port
  443 of exactly `sns.<region>.amazonaws.com`, with no user information — checked on the parsed URL,
  so `https://sns.us-east-1.amazonaws.com@evil.example/` or `…amazonaws.com.evil.example` fail;
- the signature verifies: SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA, over the
  canonical string of the type's fields, each as "Key\\nValue\\n" in this order (Subject only when
  present);
- its TopicArn is on the endpoint's allow-list, and its Timestamp is not older than
  OPSDESK_SNS_MAX_AGE_SECONDS (an hour): an old message is a replay.

Certificates are fetched by one function, `fetch_certificate(url)`, and cached in the process (a
small LRU) and in Django's cache, keyed by URL. Every outside GET (a certificate, a SubscribeURL)
goes through `fetch_url`, which a deployment or a test replaces with OPSDESK_SNS_FETCHER (a dotted
path to `fetch(url) -> bytes`): the tests serve a certificate they made themselves, never the internet.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

from opsdesk.inbox.choices import (
    CLOUDWATCH_ALARM,
    EMAIL_SES,
    SNS_NOTIFICATION,
    SNS_SUBSCRIPTION_CONFIRMATION,
    SNS_UNSUBSCRIBE_CONFIRMATION,
)

#: Message types and the fields each signs, in the order they are signed.
_HANDSHAKE_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _HANDSHAKE_FIELDS,
    "UnsubscribeConfirmation": _HANDSHAKE_FIELDS,
}
KINDS = {
    "Notification": SNS_NOTIFICATION,
    "SubscriptionConfirmation": SNS_SUBSCRIPTION_CONFIRMATION,
    "UnsubscribeConfirmation": SNS_UNSUBSCRIBE_CONFIRMATION,
}
OPTIONAL_FIELDS = frozenset({"Subject"})
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}

#: `sns.<region>.amazonaws.com`: a region is e.g. us-east-1, eu-west-2, us-gov-west-1, ap-southeast-4.
SNS_HOST = re.compile(r"^sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com$")
#: What SNS sends besides the body and is worth keeping with the delivery.
KEPT_HEADERS = (
    "x-amz-sns-message-type",
    "x-amz-sns-message-id",
    "x-amz-sns-topic-arn",
    "x-amz-sns-subscription-arn",
    "content-type",
    "user-agent",
)
CERTIFICATE_MAX_BYTES = 64 * 1024
CACHE_SECONDS = 24 * 3600
_LRU_SIZE = 32


@dataclass
class Refused(Exception):
    """Why a message is not accepted: the status the sender gets and the field at fault."""

    status: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# --- URLs ------------------------------------------------------------------------------------


#: Whitespace, control characters and backslashes: never in a URL SNS sends.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\\]")


def check_aws_url(url: Any, field: str, *, certificate: bool = False) -> str:
    """The URL if it is HTTPS on port 443 of sns.<region>.amazonaws.com without user information
    (a certificate URL: a path ending .pem, no query); else Refused (400) naming `field`."""
    if not isinstance(url, str) or not url:
        raise Refused(400, field, "This field is required.")
    if len(url) > 2048 or _NOT_IN_URL.search(url):
        raise Refused(400, field, "Not a well-formed URL.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused(400, field, "Not a well-formed URL.")
    if parts.scheme != "https":
        raise Refused(400, field, "Must be an https:// URL.")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise Refused(400, field, "Must not carry user information.")
    if port not in (None, 443):
        raise Refused(400, field, "Must use the HTTPS port 443.")
    host = parts.netloc.rsplit(":", 1)[0] if port else parts.netloc
    if not SNS_HOST.fullmatch(host):
        raise Refused(400, field, "Must be on sns.<region>.amazonaws.com.")
    if certificate and (not parts.path.endswith(".pem") or parts.query or parts.fragment):
        raise Refused(400, field, "Must be the path of a .pem certificate.")
    return url


# --- fetching --------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer (an error), never followed off the checked host


def _urllib_fetch(url: str) -> bytes:
    opener = urllib.request.build_opener(_NoRedirects, urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"User-Agent": "opsdesk-inbox"})
    with opener.open(request, timeout=settings.SNS_FETCH_TIMEOUT_SECONDS) as response:
        return response.read(CERTIFICATE_MAX_BYTES + 1)


def _fetcher() -> Callable[[str], bytes]:
    return import_string(settings.SNS_FETCHER) if settings.SNS_FETCHER else _urllib_fetch


def fetch_url(url: str) -> bytes:
    """GET `url` (already checked by check_aws_url) and give its body; OSError on failure."""
    try:
        return _fetcher()(url)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise OSError(f"GET failed: {type(exc).__name__}") from exc


_lru: OrderedDict[str, x509.Certificate] = OrderedDict()
_lru_lock = threading.Lock()


def clear_certificate_cache() -> None:
    with _lru_lock:
        _lru.clear()


def _cache_key(url: str) -> str:
    return "opsdesk:sns-cert:" + hashlib.sha256(url.encode()).hexdigest()


def fetch_certificate(url: str) -> x509.Certificate:
    """The signing certificate at `url` (checked first): from the process's LRU, else Django's
    cache, else fetched once. Refused (400) when the URL breaks the rules or the answer is not a
    certificate; OSError when it cannot be fetched (the sender should retry)."""
    check_aws_url(url, "SigningCertURL", certificate=True)
    with _lru_lock:
        if url in _lru:
            _lru.move_to_end(url)
            return _lru[url]
    pem = cache.get(_cache_key(url))
    if pem is None:
        pem = fetch_url(url)
        if len(pem) > CERTIFICATE_MAX_BYTES:
            raise Refused(400, "SigningCertURL", "The certificate is too large.")
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise Refused(400, "SigningCertURL", "Does not hold a PEM certificate.")
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise Refused(400, "SigningCertURL", "The certificate's key is not RSA.")
    cache.set(_cache_key(url), pem, CACHE_SECONDS)
    with _lru_lock:
        _lru[url] = certificate
        while len(_lru) > _LRU_SIZE:
            _lru.popitem(last=False)
    return certificate


# --- messages --------------------------------------------------------------------------------


def parse(body: bytes) -> dict[str, Any]:
    """The message as a dict of its fields; Refused (400) naming what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body", "Must be UTF-8 text.")
    if "\x00" in text:
        raise Refused(400, "body", "Null characters are not allowed.")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(400, "body", "Must be a JSON object as Amazon SNS sends it.")
    if not isinstance(document, dict):
        raise Refused(400, "body", "Must be a JSON object as Amazon SNS sends it.")
    kind = document.get("Type")
    if kind not in SIGNED_FIELDS:
        if kind is None:
            raise Refused(400, "Type", "This field is required.")
        raise Refused(400, "Type", f"Must be one of: {', '.join(SIGNED_FIELDS)}.")
    for name in (*SIGNED_FIELDS[kind], "SignatureVersion", "Signature", "SigningCertURL"):
        value = document.get(name)
        if value is None and name in OPTIONAL_FIELDS:
            continue
        if not isinstance(value, str) or (not value and name != "Message" and name not in OPTIONAL_FIELDS):
            raise Refused(400, name, "This field is required (a string).")
        if "\x00" in value:
            raise Refused(400, name, "Null characters are not allowed.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused(400, name, "Unpaired surrogate characters are not allowed.")
    if len(document["MessageId"]) > 255:
        raise Refused(400, "MessageId", "At most 255 characters.")
    return document


def canonical(document: Mapping[str, Any]) -> bytes:
    """The string SNS signs: "Key\\nValue\\n" for each of the type's fields, in order."""
    lines = []
    for name in SIGNED_FIELDS[document["Type"]]:
        if name in OPTIONAL_FIELDS and document.get(name) is None:
            continue
        lines.append(f"{name}\n{document[name]}\n")
    return "".join(lines).encode("utf-8")


def verify_signature(document: Mapping[str, Any]) -> None:
    """Refused (403) unless the message is signed by the key of its certificate."""
    algorithm = HASHES.get(document["SignatureVersion"])
    if algorithm is None:
        raise Refused(400, "SignatureVersion", "Must be 1 (SHA1withRSA) or 2 (SHA256withRSA).")
    try:
        signature = base64.b64decode(document["Signature"], validate=True)
    except (binascii.Error, ValueError):
        raise Refused(400, "Signature", "Must be base64.")
    certificate = fetch_certificate(document["SigningCertURL"])
    try:
        certificate.public_key().verify(signature, canonical(document), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise Refused(403, "Signature", "Does not verify with the signing certificate.")


def check_timestamp(document: Mapping[str, Any], now: dt.datetime | None = None) -> dt.datetime:
    """Refused (400) when older than SNS_MAX_AGE_SECONDS (a replay) or from the future."""
    now = now or timezone.now()
    try:
        stamp = dt.datetime.fromisoformat(document["Timestamp"])
    except ValueError:
        raise Refused(400, "Timestamp", "Must be an ISO 8601 time.")
    if stamp.tzinfo is None:
        raise Refused(400, "Timestamp", "Must carry its time zone (Z).")
    age = (now - stamp).total_seconds()
    if age > settings.SNS_MAX_AGE_SECONDS:
        raise Refused(400, "Timestamp", f"Older than {settings.SNS_MAX_AGE_SECONDS} seconds: a replay.")
    if age < -settings.SNS_MAX_FUTURE_SECONDS:
        raise Refused(400, "Timestamp", "In the future.")
    return stamp


def check_message(
    document: Mapping[str, Any],
    *,
    topic_arns: list[str],
    headers: Mapping[str, str],
    now: dt.datetime | None = None,
) -> None:
    """Everything but the parse, cheapest first: URLs, message type header, topic, age, signature."""
    check_aws_url(document["SigningCertURL"], "SigningCertURL", certificate=True)
    if document["Type"] != "Notification":
        check_aws_url(document["SubscribeURL"], "SubscribeURL")
    header_type = headers.get("x-amz-sns-message-type")
    if header_type and header_type != document["Type"]:
        raise Refused(400, "x-amz-sns-message-type", "Does not match the message's Type.")
    if document["TopicArn"] not in topic_arns:
        raise Refused(403, "TopicArn", "This topic is not on the endpoint's allow-list.")
    check_timestamp(document, now)
    verify_signature(document)


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: str(headers[name])[:500] for name in KEPT_HEADERS if headers.get(name)}


def _is_cloudwatch_alarm(message: Any) -> bool:
    if not isinstance(message, str) or not message.startswith("{") or '"AWSAccountId"' not in message:
        return False
    try:
        doc = json.loads(message)
    except ValueError:
        return False
    return isinstance(doc, dict) and all(k in doc for k in ("AlarmName", "AWSAccountId", "NewStateValue"))


def kind_of(document: Mapping[str, Any]) -> str:
    """The delivery's kind: SNS's Type, except that a notification carrying a CloudWatch alarm is
    `cloudwatch.alarm` and one carrying an SES receipt is `email.ses`, so the shell routes them
    without parsing every notification."""
    if not isinstance(document, Mapping):
        return ""
    kind = KINDS.get(document.get("Type"), "")
    if kind == SNS_NOTIFICATION and _is_cloudwatch_alarm(document.get("Message")):
        return CLOUDWATCH_ALARM
    if kind == SNS_NOTIFICATION and is_ses_email(document):
        return EMAIL_SES
    return kind


def is_ses_email(document: Mapping[str, Any]) -> bool:
    """An Amazon SES receipt ("Received" with the mail inline: the SNS action) carried by SNS."""
    message = document.get("Message")
    if not isinstance(message, str) or '"notificationType"' not in message[:4096]:
        return False
    try:
        inner = json.loads(message)
    except ValueError:
        return False
    return isinstance(inner, dict) and inner.get("notificationType") == "Received" and "content" in inner


def ses_email_bytes(body: str) -> bytes:
    """The raw RFC 822 message of an SES receipt delivery (the SNS envelope's Message.content),
    base64 or UTF-8 as the receipt rule's encoding says."""
    inner = json.loads(json.loads(body)["Message"])
    content = inner["content"]
    encoding = (inner.get("receipt", {}).get("action", {}) or {}).get("encoding", "UTF8")
    if str(encoding).upper() == "BASE64":
        return base64.b64decode(content)
    return content.encode("utf-8", "surrogateescape")


# --- the inbox's own handlers ----------------------------------------------------------------


def confirm_subscription(delivery: Any) -> None:
    """A SubscriptionConfirmation: GET its SubscribeURL (checked again: same host rules) and note
    the confirmation on the endpoint. Safe twice: SNS answers a repeated confirmation again."""
    document = json.loads(delivery.body)
    url = check_aws_url(document.get("SubscribeURL"), "SubscribeURL")
    fetch_url(url)
    if delivery.sns_subscription_id:
        from opsdesk.inbox.models import SnsSubscription

        SnsSubscription.objects.filter(pk=delivery.sns_subscription_id).update(confirmed_at=timezone.now())


def record_unsubscribe(delivery: Any) -> None:
    """An UnsubscribeConfirmation: nothing to fetch; the delivery itself is the record."""


def register_handlers() -> None:
    from opsdesk.inbox import registry

    registry.register(SNS_SUBSCRIPTION_CONFIRMATION, confirm_subscription)
    registry.register(SNS_UNSUBSCRIBE_CONFIRMATION, record_unsubscribe)
