"""Directory pages (A1–A5, L4): lists, detail, create/edit and history for organisations, cloud
accounts, named contacts, services with runbooks, and users.

Thin by rule: parse a form, call one selector or service, render. Selectors keep each user inside
their tenant (another tenant's object is a 404); services decide who may write (a 403 page).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.permissions import has_permission
from opsdesk.directory import forms, selectors, services
from opsdesk.web.ui import (
    Column,
    filter_values,
    form_page,
    history_page,
    render_list,
    require,
    sorted_page,
    ui_view,
    versioned,
)

LIST_TEMPLATE = "web/list.html"


def _bound(request) -> Any:
    return request.POST if request.method == "POST" else None


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name) or request.POST.get(name) or ""
    return int(value) if value.isdigit() else None


def _create_url(user: Any, permission: str, name: str) -> str | None:
    return reverse(name) if has_permission(user, permission) else None


# --- organisations (A1) ------------------------------------------------------------------------

ORGANISATION_COLUMNS = [
    Column("Name", "name"),
    Column("Plan", "plan"),
    Column("CSDM"),
    Column("Accounts", "accounts", "num"),
    Column("Contacts", "contacts", "num"),
    Column("Updated", "updated"),
]
ORGANISATION_ORDERINGS = {
    "name": ("name",),
    "plan": ("service_plan__name", "name"),
    "accounts": ("account_count",),
    "contacts": ("contact_count",),
    "updated": ("updated_at",),
}


@ui_view
def organisation_list(request):
    form = forms.OrganisationFilterForm(request.GET, user=request.user)
    qs = selectors.organisation_list(user=request.user, **filter_values(form))
    listing = sorted_page(
        request, qs, columns=ORGANISATION_COLUMNS, orderings=ORGANISATION_ORDERINGS, default="name"
    )
    return render_list(
        request,
        template=LIST_TEMPLATE,
        table_template="directory/organisations/_table.html",
        context={
            "title": "Organisations",
            "subtitle": "Customer organisations and their service plans.",
            "filter_form": form,
            "listing": listing,
            "create_label": "New organisation",
            "create_url": _create_url(
                request.user, "directory.change_organisation", "directory:organisation_create"
            ),
        },
    )


@ui_view
def organisation_detail(request, pk: int):
    org = selectors.organisation_get(user=request.user, pk=pk)
    return render(
        request,
        "directory/organisations/detail.html",
        {
            "organisation": org,
            "accounts": list(selectors.account_list(user=request.user, organisation=org.pk)),
            "contacts": list(selectors.contact_list(user=request.user, organisation=org.pk)),
            "services": list(selectors.service_list(user=request.user, organisation=org.pk)),
        },
    )


@ui_view
def organisation_create(request):
    require(request.user, "directory.change_organisation")
    form = forms.OrganisationForm(_bound(request), user=request.user, creating=True)
    return form_page(
        request,
        form,
        lambda d: services.organisation_create(actor=request.user, **d),
        success=lambda o: reverse("directory:organisation_detail", args=[o.pk]),
        message=lambda o: f"Organisation {o.name} created.",
        title="New organisation",
        submit="Create organisation",
        cancel_url=reverse("directory:organisation_list"),
    )


@ui_view
def organisation_update(request, pk: int):
    org = selectors.organisation_get(user=request.user, pk=pk)
    require(request.user, "directory.change_organisation")
    form = forms.OrganisationForm(
        _bound(request), initial=forms.OrganisationForm.initial_for(org), user=request.user, creating=False
    )
    return form_page(
        request,
        form,
        versioned(services.organisation_update, actor=request.user, organisation=org),
        success=lambda o: reverse("directory:organisation_detail", args=[o.pk]),
        message=lambda o: f"Organisation {o.name} saved.",
        title=f"Edit {org.name}",
        submit="Save changes",
        cancel_url=reverse("directory:organisation_detail", args=[org.pk]),
    )


organisation_history = history_page(
    selectors.organisation_get,
    back=lambda org: reverse("directory:organisation_detail", args=[org.pk]),
    title=lambda org: org.name,
)


# --- cloud accounts (A2) -----------------------------------------------------------------------

ACCOUNT_COLUMNS = [
    Column("Account id", "account_id"),
    Column("Name", "name"),
    Column("Organisation", "organisation"),
    Column("Structure"),
    Column("Regions"),
    Column("State", "state"),
]
ACCOUNT_ORDERINGS = {
    "account_id": ("account_id",),
    "name": ("name",),
    "organisation": ("organisation__name", "account_id"),
    "state": ("onboarding_state", "account_id"),
}


@ui_view
def account_list(request):
    form = forms.AccountFilterForm(request.GET, user=request.user)
    filters = filter_values(form)
    kind = filters.pop("kind", None)
    if kind:
        filters["is_management_account"] = kind == "management"
    qs = selectors.account_list(user=request.user, **filters)
    listing = sorted_page(
        request, qs, columns=ACCOUNT_COLUMNS, orderings=ACCOUNT_ORDERINGS, default="account_id"
    )
    return render_list(
        request,
        template=LIST_TEMPLATE,
        table_template="directory/accounts/_table.html",
        context={
            "title": "Cloud accounts",
            "subtitle": "AWS accounts, their onboarding state and AWS Organizations structure.",
            "filter_form": form,
            "listing": listing,
            "create_label": "New account",
            "create_url": _create_url(
                request.user, "directory.change_cloudaccount", "directory:account_create"
            ),
        },
    )


@ui_view
def account_detail(request, pk: int):
    account = selectors.account_get(user=request.user, pk=pk)
    return render(
        request,
        "directory/accounts/detail.html",
        {
            "account": account,
            "members": list(
                selectors.account_list(user=request.user, organisation=account.organisation_id).filter(
                    management_account=account
                )
            ),
            "services": list(
                selectors.service_list(user=request.user, organisation=account.organisation_id).filter(
                    accounts=account
                )
            ),
        },
    )


@ui_view
def account_create(request):
    require(request.user, "directory.change_cloudaccount")
    organisation = _int_param(request, "organisation")
    form = forms.AccountForm(
        _bound(request),
        initial={"organisation": organisation},
        user=request.user,
        creating=True,
        organisation=organisation,
    )
    return form_page(
        request,
        form,
        lambda d: services.account_create(actor=request.user, **d),
        success=lambda a: reverse("directory:account_detail", args=[a.pk]),
        message=lambda a: f"Account {a.account_id} created.",
        title="New cloud account",
        submit="Create account",
        cancel_url=reverse("directory:account_list"),
    )


@ui_view
def account_update(request, pk: int):
    account = selectors.account_get(user=request.user, pk=pk)
    require(request.user, "directory.change_cloudaccount")
    form = forms.AccountForm(
        _bound(request),
        initial=forms.AccountForm.initial_for(account),
        user=request.user,
        creating=False,
        organisation=account.organisation_id,
    )
    return form_page(
        request,
        form,
        versioned(services.account_update, actor=request.user, account=account),
        success=lambda a: reverse("directory:account_detail", args=[a.pk]),
        message=lambda a: f"Account {a.account_id} saved.",
        title=f"Edit account {account.account_id}",
        submit="Save changes",
        cancel_url=reverse("directory:account_detail", args=[account.pk]),
    )


account_history = history_page(
    selectors.account_get,
    back=lambda account: reverse("directory:account_detail", args=[account.pk]),
    title=lambda account: f"Account {account.account_id}",
)


# --- named contacts (A3) -----------------------------------------------------------------------

CONTACT_COLUMNS = [
    Column("Name", "name"),
    Column("Organisation", "organisation"),
    Column("Email", "email"),
    Column("Flags"),
    Column("Last verified", "verified"),
]
CONTACT_ORDERINGS = {
    "name": ("name",),
    "organisation": ("organisation__name", "name"),
    "email": ("email",),
    "verified": ("last_verified_at",),
}


@ui_view
def contact_list(request):
    form = forms.ContactFilterForm(request.GET, user=request.user)
    filters = filter_values(form)
    verification = filters.pop("verification", None)
    qs = selectors.contact_list(user=request.user, **filters)
    if verification == "stale":
        qs = selectors.contacts_due_reverification(qs)
    listing = sorted_page(request, qs, columns=CONTACT_COLUMNS, orderings=CONTACT_ORDERINGS, default="name")
    return render_list(
        request,
        template=LIST_TEMPLATE,
        table_template="directory/contacts/_table.html",
        context={
            "title": "Named contacts",
            "subtitle": "The people who may log incidents, request changes or escalate.",
            "filter_form": form,
            "listing": listing,
            "create_label": "New contact",
            "create_url": _create_url(
                request.user, "directory.change_namedcontact", "directory:contact_create"
            ),
        },
    )


@ui_view
def contact_detail(request, pk: int):
    contact = selectors.contact_get(user=request.user, pk=pk)
    return render(
        request,
        "directory/contacts/detail.html",
        {
            "contact": contact,
            "services": list(
                selectors.service_list(user=request.user, organisation=contact.organisation_id).filter(
                    contacts=contact
                )
            ),
        },
    )


@ui_view
def contact_create(request):
    require(request.user, "directory.change_namedcontact")
    form = forms.ContactForm(
        _bound(request),
        initial={"organisation": _int_param(request, "organisation")},
        user=request.user,
        creating=True,
    )
    return form_page(
        request,
        form,
        lambda d: services.contact_create(actor=request.user, **d),
        success=lambda c: reverse("directory:contact_detail", args=[c.pk]),
        message=lambda c: f"Contact {c.name} created.",
        title="New named contact",
        submit="Create contact",
        cancel_url=reverse("directory:contact_list"),
    )


@ui_view
def contact_update(request, pk: int):
    contact = selectors.contact_get(user=request.user, pk=pk)
    require(request.user, "directory.change_namedcontact")
    form = forms.ContactForm(
        _bound(request), initial=forms.ContactForm.initial_for(contact), user=request.user, creating=False
    )
    return form_page(
        request,
        form,
        versioned(services.contact_update, actor=request.user, contact=contact),
        success=lambda c: reverse("directory:contact_detail", args=[c.pk]),
        message=lambda c: f"Contact {c.name} saved.",
        title=f"Edit {contact.name}",
        submit="Save changes",
        cancel_url=reverse("directory:contact_detail", args=[contact.pk]),
    )


@require_POST
@ui_view
def contact_verify(request, pk: int):
    """I3: the provider confirmed the contact's details with them today."""
    contact = selectors.contact_get(user=request.user, pk=pk)
    contact = services.contact_mark_verified(actor=request.user, contact=contact)
    messages.success(request, f"{contact.name} marked as verified today.")
    return redirect("directory:contact_detail", pk=contact.pk)


contact_history = history_page(
    selectors.contact_get,
    back=lambda contact: reverse("directory:contact_detail", args=[contact.pk]),
    title=lambda contact: contact.name,
)


# --- services and runbooks (A5) ----------------------------------------------------------------

SERVICE_COLUMNS = [
    Column("Reference", "reference"),
    Column("Name", "name"),
    Column("Organisation", "organisation"),
    Column("Environment", "environment"),
    Column("Accounts", css="num"),
    Column("Contacts", css="num"),
]
SERVICE_ORDERINGS = {
    "reference": ("reference",),
    "name": ("name",),
    "organisation": ("organisation__name", "reference"),
    "environment": ("environment", "reference"),
}


@ui_view
def service_list(request):
    form = forms.ServiceFilterForm(request.GET, user=request.user)
    qs = selectors.service_list(user=request.user, **filter_values(form))
    listing = sorted_page(
        request, qs, columns=SERVICE_COLUMNS, orderings=SERVICE_ORDERINGS, default="reference"
    )
    return render_list(
        request,
        template=LIST_TEMPLATE,
        table_template="directory/services/_table.html",
        context={
            "title": "Services",
            "subtitle": "Managed services and workloads, quoted by reference on incidents.",
            "filter_form": form,
            "listing": listing,
            "create_label": "New service",
            "create_url": _create_url(request.user, "directory.change_service", "directory:service_create"),
        },
    )


@ui_view
def service_detail(request, pk: int):
    service = selectors.service_get(user=request.user, pk=pk)
    return render(request, "directory/services/detail.html", {"service": service})


@ui_view
def service_create(request):
    require(request.user, "directory.change_service")
    organisation = _int_param(request, "organisation")
    form = forms.ServiceForm(
        _bound(request),
        initial={"organisation": organisation},
        user=request.user,
        creating=True,
        organisation=organisation,
    )
    return form_page(
        request,
        form,
        lambda d: services.service_create(actor=request.user, **d),
        success=lambda s: reverse("directory:service_detail", args=[s.pk]),
        message=lambda s: f"Service {s.reference} created.",
        title="New service",
        submit="Create service",
        cancel_url=reverse("directory:service_list"),
        intro="Open this form from an organisation's page to choose among its accounts and contacts only.",
    )


@ui_view
def service_update(request, pk: int):
    service = selectors.service_get(user=request.user, pk=pk)
    require(request.user, "directory.change_service")
    form = forms.ServiceForm(
        _bound(request),
        initial=forms.ServiceForm.initial_for(service),
        user=request.user,
        creating=False,
        organisation=service.organisation_id,
    )
    return form_page(
        request,
        form,
        versioned(services.service_update, actor=request.user, service=service),
        success=lambda s: reverse("directory:service_detail", args=[s.pk]),
        message=lambda s: f"Service {s.reference} saved.",
        title=f"Edit {service.reference}",
        submit="Save changes",
        cancel_url=reverse("directory:service_detail", args=[service.pk]),
    )


service_history = history_page(
    selectors.service_get,
    back=lambda service: reverse("directory:service_detail", args=[service.pk]),
    title=str,
)


@ui_view
def runbook_create(request, service_pk: int):
    service = selectors.service_get(user=request.user, pk=service_pk)
    require(request.user, "directory.change_service")
    form = forms.RunbookForm(_bound(request), creating=True)
    return form_page(
        request,
        form,
        lambda d: services.runbook_create(actor=request.user, service=service, **d),
        success=lambda r: reverse("directory:service_detail", args=[service.pk]) + f"#runbook-{r.pk}",
        message=lambda r: f"Runbook “{r.title}” added.",
        title=f"New runbook for {service.reference}",
        submit="Add runbook",
        cancel_url=reverse("directory:service_detail", args=[service.pk]),
    )


@ui_view
def runbook_update(request, pk: int):
    runbook = selectors.runbook_get(user=request.user, pk=pk)
    require(request.user, "directory.change_service")
    form = forms.RunbookForm(_bound(request), initial=forms.RunbookForm.initial_for(runbook), creating=False)
    return form_page(
        request,
        form,
        versioned(services.runbook_update, actor=request.user, runbook=runbook),
        success=lambda r: reverse("directory:service_detail", args=[r.service_id]) + f"#runbook-{r.pk}",
        message=lambda r: f"Runbook “{r.title}” saved.",
        title=f"Edit runbook “{runbook.title}”",
        submit="Save runbook",
        cancel_url=reverse("directory:service_detail", args=[runbook.service_id]),
    )


runbook_history = history_page(
    selectors.runbook_get,
    back=lambda runbook: reverse("directory:service_detail", args=[runbook.service_id]),
    title=lambda runbook: f"Runbook “{runbook.title}”",
)


# --- users (A4) --------------------------------------------------------------------------------

USER_COLUMNS = [
    Column("Name", "name"),
    Column("Email", "email"),
    Column("Role", "role"),
    Column("Organisation"),
    Column("Status", "active"),
    Column("Last sign-in", "last_login"),
]
USER_ORDERINGS = {
    "name": ("full_name",),
    "email": ("email",),
    "role": ("role", "full_name"),
    "active": ("is_active",),
    "last_login": ("last_login",),
}


@ui_view
def user_list(request):
    require(request.user, "directory.view_user")
    form = forms.UserFilterForm(request.GET, user=request.user)
    qs = selectors.user_list(user=request.user, **filter_values(form))
    listing = sorted_page(request, qs, columns=USER_COLUMNS, orderings=USER_ORDERINGS, default="name")
    return render_list(
        request,
        template=LIST_TEMPLATE,
        table_template="directory/users/_table.html",
        context={
            "title": "Users",
            "subtitle": "Provider staff by role, and customer users linked to their named contact.",
            "filter_form": form,
            "listing": listing,
            "create_label": "New user",
            "create_url": _create_url(request.user, "directory.change_user", "directory:user_create"),
        },
    )


@ui_view
def user_detail(request, pk: int):
    require(request.user, "directory.view_user")
    person = selectors.user_get(user=request.user, pk=pk)
    return render(request, "directory/users/detail.html", {"person": person})


@ui_view
def user_create(request):
    require(request.user, "directory.change_user")
    form = forms.UserForm(_bound(request), user=request.user, creating=True)
    return form_page(
        request,
        form,
        lambda d: services.user_create(actor=request.user, **d),
        success=lambda u: reverse("directory:user_detail", args=[u.pk]),
        message=lambda u: f"User {u.email} created.",
        title="New user",
        submit="Create user",
        cancel_url=reverse("directory:user_list"),
    )


@ui_view
def user_update(request, pk: int):
    require(request.user, "directory.change_user")
    person = selectors.user_get(user=request.user, pk=pk)
    form = forms.UserForm(
        _bound(request), initial=forms.UserForm.initial_for(person), user=request.user, creating=False
    )
    return form_page(
        request,
        form,
        versioned(services.user_update, actor=request.user, user=person),
        success=lambda u: reverse("directory:user_detail", args=[u.pk]),
        message=lambda u: f"User {u.email} saved.",
        title=f"Edit {person}",
        submit="Save changes",
        cancel_url=reverse("directory:user_detail", args=[person.pk]),
    )


user_history = history_page(
    selectors.user_get,
    back=lambda person: reverse("directory:user_detail", args=[person.pk]),
    title=str,
    permission="directory.view_user",
)
