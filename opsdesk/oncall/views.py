"""On-call pages (issue 9 item 1): teams, rotas (with their shifts, gaps and overlaps), overrides
and escalation policies on the CRUD kit; pages and their acknowledgement; the acknowledgement link
of an email; a rota's iCalendar feed. Staff only ("oncall.view"), except the emailed link and the
signed feed, which carry their own proof. Thin: parse, call one selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.crud import Pages, int_param
from opsdesk.core.ui.views import Column, page_errors, ui_view
from opsdesk.oncall import feeds, forms, schemas, selectors, services
from opsdesk.oncall.choices import AckVia, PageState

VIEW = "oncall.view"
MANAGE = "oncall.manage"
LIST_TEMPLATE = "oncall/list.html"


def _pages(**kwargs) -> Pages:
    return Pages(permission=MANAGE, view_permission=VIEW, list_template=LIST_TEMPLATE, **kwargs)


TEAMS = _pages(
    urls="oncall:team",
    noun="team",
    get=selectors.team_get,
    label=lambda t: f"“{t.name}”",
    list=selectors.team_list,
    filter_form=forms.TeamFilterForm,
    columns=[Column("Name", "name"), Column("Members"), Column("Description")],
    default_sort="name",
    title="On-call teams",
    subtitle="People paged together, and each policy's fallback when nobody is on call.",
    table_template="oncall/teams/_table.html",
    list_context={"oncall_tab": "teams"},
    csv=schemas.TeamOut,
    detail_template="oncall/teams/detail.html",
    form=forms.TeamForm,
    create=services.team_create,
    update=services.team_update,
    delete=services.team_delete,
    history_title=str,
)


def _rota_detail(request, rota) -> dict:
    return {
        "plan": selectors.rota_schedule(rota=rota),
        "oncall": selectors.rota_oncall(rota=rota),
        "overrides": rota.overrides.select_related("user")
        .filter(ends_at__gt=timezone.now())
        .order_by("starts_at"),
        "feed_url": request.build_absolute_uri(reverse("oncall:rota_feed", args=[feeds.feed_token(rota)])),
        "can_manage": has_permission(request.user, MANAGE),
    }


ROTAS = _pages(
    urls="oncall:rota",
    noun="rota",
    get=selectors.rota_get,
    label=lambda r: f"“{r.name}”",
    list=selectors.rota_list,
    filter_form=forms.RotaFilterForm,
    columns=[
        Column("Name", "name"),
        Column("Team", "team", order=("team__name", "name")),
        Column("Hand-over"),
        Column("From", "starts", order=("starts_on",)),
        Column("People"),
    ],
    default_sort="name",
    title="Rotas",
    subtitle="Who is on call when: daily or weekly hand-overs in the provider's time zone.",
    table_template="oncall/rotas/_table.html",
    list_context={"oncall_tab": "rotas"},
    csv=schemas.RotaOut,
    detail_template="oncall/rotas/detail.html",
    detail_context=_rota_detail,
    form=forms.RotaForm,
    create=services.rota_create,
    update=services.rota_update,
    delete=services.rota_delete,
    history_title=str,
)

OVERRIDES = _pages(
    urls="oncall:override",
    noun="override",
    get=selectors.rota_override_get,
    label=lambda o: f"for {o.user.full_name or o.user.email}",
    list=selectors.rota_override_list,
    filter_form=forms.RotaOverrideFilterForm,
    columns=[
        Column("Rota", "rota", order=("rota__name", "starts_at")),
        Column("On call instead"),
        Column("From", "starts", order=("starts_at",)),
        Column("Until", "ends", order=("ends_at",)),
        Column("Reason"),
    ],
    default_sort="-starts",
    title="Overrides",
    subtitle="Swaps and holiday cover: someone else on call for a while.",
    table_template="oncall/overrides/_table.html",
    list_context={"oncall_tab": "overrides"},
    csv=schemas.RotaOverrideOut,
    detail_page="update",
    form=forms.RotaOverrideForm,
    create_initial=lambda request: {"rota": int_param(request, "rota")},
    create=services.rota_override_create,
    update=services.rota_override_update,
    delete=services.rota_override_delete,
    target="rota_override",
    after_save=lambda o: reverse("oncall:rota_detail", args=[o.rota_id]),
    history_title=str,
)

POLICIES = _pages(
    urls="oncall:policy",
    noun="escalation policy",
    get=selectors.escalation_policy_get,
    label=lambda p: f"“{p.name}”",
    list=selectors.escalation_policy_list,
    filter_form=forms.EscalationPolicyFilterForm,
    columns=[
        Column("Name", "name"),
        Column("Fallback team"),
        Column("Steps"),
        Column("Repeat"),
        Column("Default"),
        Column("Security rota"),
    ],
    default_sort="name",
    title="Escalation policies",
    subtitle="Who is paged, in which order, until someone acknowledges.",
    table_template="oncall/policies/_table.html",
    list_context={"oncall_tab": "policies"},
    csv=schemas.EscalationPolicyOut,
    detail_template="oncall/policies/detail.html",
    detail_name="policy",
    form=forms.EscalationPolicyForm,
    create=services.escalation_policy_create,
    update=services.escalation_policy_update,
    delete=services.escalation_policy_delete,
    target="escalation_policy",
    history_title=str,
)

PAGES = Pages(
    urls="oncall:page",
    noun="page",
    get=selectors.page_get,
    view_permission=VIEW,
    list=selectors.page_list,
    filter_form=forms.PageFilterForm,
    columns=[
        Column("Raised", "raised", order=("raised_at",)),
        Column("Page"),
        Column("Cause"),
        Column("State", "state"),
        Column("Sent to"),
    ],
    default_sort="-raised",
    title="Pages",
    subtitle=(
        "Every call for a human: new P1/P2, SLA warnings and breaches, escalations, late RCAs, "
        "security events."
    ),
    table_template="oncall/pages/_table.html",
    list_template=LIST_TEMPLATE,
    list_context={"oncall_tab": "pages"},
    detail_template="oncall/pages/detail.html",
    detail_context=lambda request, page: {
        "recipients": selectors.page_recipients(page),
        "may_acknowledge": page.state == PageState.OPEN
        and request.user.pk in selectors.page_recipient_ids(page),
    },
    history_title=str,
)


def _crud(pages: Pages) -> dict:
    views = {
        "list": pages.list_view(),
        "create": pages.create_view(),
        "update": pages.update_view(),
        "history": pages.history_view(),
        "delete": pages.delete_view(),
    }
    if pages.detail_template:
        views["detail"] = pages.detail_view()
    return views


team = _crud(TEAMS)
rota = _crud(ROTAS)
override = _crud(OVERRIDES)
policy = _crud(POLICIES)
page_list = PAGES.list_view()
page_detail = PAGES.detail_view()
page_history = PAGES.history_view()


@require_POST
@ui_view
def page_acknowledge(request, pk: int):
    page = selectors.page_get(user=request.user, pk=pk)
    try:
        services.page_acknowledge(actor=request.user, page=page, via=AckVia.UI)
    except ValidationFailed as exc:
        messages.error(request, "; ".join(e["message"] for e in exc.errors) or exc.detail)
    else:
        messages.success(request, "Page acknowledged: nobody else will be paged for it.")
    return redirect("oncall:page_detail", pk=page.pk)


@require_http_methods(["GET", "POST"])
@page_errors
def page_ack_link(request, token: str):
    """The link in a page's email. GET only shows what it is about (mail scanners open links); the
    button POSTs, acknowledging as the person the link was made for. No sign-in needed: the signed
    link is the proof, and it expires."""
    try:
        page, person = services.page_from_ack_token(token)
    except ValidationFailed as exc:
        return render(request, "oncall/ack_link.html", {"error": exc.errors[0]["message"]}, status=200)
    error = ""
    if request.method == "POST":
        try:
            page = services.page_acknowledge_by_link(token=token)
        except ValidationFailed as exc:
            error = exc.errors[0]["message"]
        else:
            messages.success(request, "Page acknowledged: nobody else will be paged for it.")
            return redirect("oncall:page_ack_link", token=token)
    return render(request, "oncall/ack_link.html", {"page": page, "person": person, "error": error})


@ui_view
def rota_calendar(request, pk: int):
    """The rota as iCalendar for a signed-in member of staff (a download)."""
    rota = selectors.rota_get(user=request.user, pk=pk)
    return feeds.calendar_response(rota)


@require_GET
@page_errors
def rota_feed(request, token: str):
    """The rota's feed for calendar apps, which cannot sign in: the signed address is the key."""
    return feeds.calendar_response(feeds.rota_from_feed_token(token))
