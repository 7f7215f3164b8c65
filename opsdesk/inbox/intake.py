"""The endpoints senders call (issue 12): unauthenticated — the signature is the proof — and exempt
from CSRF, rate-limited per address, and answering in the one JSON shape. A plain POST reaches these
views from the intake's own route (inbox/middleware.py), anything else through the whole middleware
stack. The body is read up to the inbox's limit and no further."""

from __future__ import annotations

import os

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from opsdesk.core.edge import BodyProblem, error_response, field_error, json_body_problem
from opsdesk.inbox import services


def _crash_after_commit() -> None:
    """The crash tests' hook (settings.INBOX_TEST_CRASH_AFTER_COMMIT, empty outside tests): the
    delivery is committed, the sender has no answer yet, and the process dies — once."""
    marker = settings.INBOX_TEST_CRASH_AFTER_COMMIT
    if marker and os.path.exists(marker):
        os.remove(marker)
        os._exit(70)


def _body(request: HttpRequest) -> tuple[bytes, int, BodyProblem | None] | JsonResponse:
    """(the body, its size, why the edge refuses it): not read at all past the declared limit, nor
    past it when undeclared. A body within the limit is held to the edge's one JSON check (as the
    API's are, core.edge.json_body_problem); each endpoint answers the problem after it knows the
    sender (an SNS endpoint records it as a refused delivery)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error_response(400, "Content-Length is not a number.")
    limit = settings.INBOX_MAX_BODY_BYTES
    if declared > limit:
        return b"", declared, None
    body = request.read(limit + 1)
    problem = json_body_problem(body) if len(body) <= limit else None
    return body, len(body), problem


def _headers(request: HttpRequest) -> dict[str, str]:
    """The request's headers, lower-cased, as text the database can keep: some are stored with the
    delivery, and a NUL (which WSGI lets through) would make that insert fail, the sender retrying
    for ever; it becomes U+FFFD, as in a refused body's kept text."""
    return {name.lower(): value.replace("\x00", "\ufffd") for name, value in request.headers.items()}


@csrf_exempt
def sns(request: HttpRequest, token: str) -> JsonResponse:
    """F1: POST /intake/sns/<token>/ — one Amazon SNS message (notification or handshake); GET
    answers 200 while the address is live (an operator's check), 404 otherwise."""
    if request.method == "GET":  # a probe: is this address live? (says nothing else)
        if not services.sns_endpoint_exists(token=token):
            return error_response(404, "No such endpoint.")
        return JsonResponse({"detail": "Amazon SNS endpoint: POST messages here."})
    if request.method != "POST":
        response = error_response(405, f"Method {request.method} not allowed. Allowed: GET, POST.")
        response["Allow"] = "GET, POST"
        return response
    read = _body(request)
    if isinstance(read, JsonResponse):
        return read
    body, size, problem = read
    headers = _headers(request)
    receipt = services.sns_receive(
        token=token,
        body=body,
        size=size,
        headers=headers,
        content_type=request.content_type or "",
        problem=problem,
    )
    if receipt.status >= 400:
        if receipt.field:
            return field_error(receipt.status, receipt.field, receipt.message)
        return error_response(receipt.status, receipt.message)
    delivery = receipt.delivery
    _crash_after_commit()
    return JsonResponse(
        {"id": delivery.pk, "state": delivery.state, "duplicate": receipt.duplicate}, status=receipt.status
    )


def _answer(receipt: services.Receipt) -> JsonResponse:
    if receipt.status >= 400:
        if receipt.field:
            return field_error(receipt.status, receipt.field, receipt.message)
        return error_response(receipt.status, receipt.message)
    delivery = receipt.delivery
    _crash_after_commit()
    return JsonResponse(
        {"id": delivery.pk, "state": delivery.state, "duplicate": receipt.duplicate}, status=receipt.status
    )


def _post_only(request: HttpRequest, probe: str) -> JsonResponse | None:
    """None for a POST; a GET is an operator's probe (answered `probe`); anything else 405."""
    if request.method == "POST":
        return None
    if request.method == "GET":
        return JsonResponse({"detail": probe})
    response = error_response(405, f"Method {request.method} not allowed. Allowed: GET, POST.")
    response["Allow"] = "GET, POST"
    return response


@csrf_exempt
def eventbridge(request: HttpRequest) -> JsonResponse:
    """Item 4: POST /intake/eventbridge/ — an EventBridge API destination, with the
    X-Opsdesk-Intake-Key header."""
    refused = _post_only(request, "EventBridge API destination: POST events with X-Opsdesk-Intake-Key.")
    if refused is not None:
        return refused
    read = _body(request)
    if isinstance(read, JsonResponse):
        return read
    body, size, problem = read
    headers = _headers(request)
    key = request.headers.get("X-Opsdesk-Intake-Key", "")
    return _answer(
        services.eventbridge_receive(key=key, body=body, size=size, headers=headers, problem=problem)
    )


@csrf_exempt
def webhook(request: HttpRequest, token: str) -> JsonResponse:
    """Item 7: POST /intake/webhook/<token>/ — the generic JSON webhook (README › Webhook alarms)."""
    if request.method == "GET" and not services.webhook_endpoint_exists(token=token):
        return error_response(404, "No such endpoint.")
    refused = _post_only(request, "Webhook endpoint: POST alarms here (README › Webhook alarms).")
    if refused is not None:
        return refused
    read = _body(request)
    if isinstance(read, JsonResponse):
        return read
    body, size, problem = read
    headers = _headers(request)
    return _answer(
        services.webhook_receive(token=token, body=body, size=size, headers=headers, problem=problem)
    )
