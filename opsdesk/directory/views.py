"""Directory pages (A1–A5, L4): lists, detail, create/edit and history for organisations, cloud
accounts, named contacts, services with runbooks, and users, declared on the CRUD kit (core.ui.crud).

Thin by rule: each entity names its selectors, services, forms and columns; the kit parses, calls
and renders. Selectors keep each user inside their tenant (another tenant's object is a 404);
services decide who may write (a 403 page).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from opsdesk.core.errors import PreconditionFailed, ValidationFailed
from opsdesk.core.ui.crud import Pages, bound, int_param
from opsdesk.core.ui.views import (
    STALE_EDIT_MESSAGE,
    Column,
    form_page,
    history_page,
    require,
    ui_view,
    versioned,
)
from opsdesk.directory import forms, schemas, selectors, services


def _organisation_scoped(request, obj) -> dict[str, Any]:
    """Account and service forms offer the accounts and contacts of one organisation: the object's,
    or the one whose page the create form was opened from."""
    organisation = obj.organisation_id if obj else int_param(request, "organisation")
    return {"user": request.user, "creating": obj is None, "organisation": organisation}


def _from_organisation(request) -> dict[str, Any]:
    return {"organisation": int_param(request, "organisation")}


# --- organisations (A1) ------------------------------------------------------------------------


def _organisation_detail(request, org) -> dict[str, Any]:
    user = request.user
    return {
        "accounts": list(selectors.account_list(user=user, organisation=org.pk)),
        "contacts": list(selectors.contact_list(user=user, organisation=org.pk)),
        "services": list(selectors.service_list(user=user, organisation=org.pk)),
    }


ORGANISATIONS = Pages(
    urls="directory:organisation",
    noun="organisation",
    get=selectors.organisation_get,
    label=lambda org: org.name,
    permission="directory.change_organisation",
    list=selectors.organisation_list,
    filter_form=forms.OrganisationFilterForm,
    columns=[
        Column("Name", "name"),
        Column("Plan", "plan", order=("service_plan__name", "name")),
        Column("CSDM"),
        Column("Accounts", "accounts", "num", order=("account_count",)),
        Column("Contacts", "contacts", "num", order=("contact_count",)),
        Column("Updated", "updated", order=("updated_at",)),
    ],
    default_sort="name",
    title="Organisations",
    subtitle="Customer organisations and their service plans.",
    table_template="directory/organisations/_table.html",
    csv=schemas.OrganisationOut,
    detail_template="directory/organisations/detail.html",
    detail_context=_organisation_detail,
    form=forms.OrganisationForm,
    create=services.organisation_create,
    update=services.organisation_update,
)


# --- cloud accounts (A2) -----------------------------------------------------------------------


def _accounts(*, user: Any, kind: str | None = None, **filters: Any):
    if kind:
        filters["is_management_account"] = kind == "management"
    return selectors.account_list(user=user, **filters)


def _account_detail(request, account) -> dict[str, Any]:
    user, organisation = request.user, account.organisation_id
    accounts = selectors.account_list(user=user, organisation=organisation)
    services_of_org = selectors.service_list(user=user, organisation=organisation)
    return {
        "members": list(accounts.filter(management_account=account)),
        "services": list(services_of_org.filter(accounts=account)),
    }


ACCOUNTS = Pages(
    urls="directory:account",
    noun="account",
    get=selectors.account_get,
    label=lambda account: account.account_id,
    permission="directory.change_cloudaccount",
    list=_accounts,
    filter_form=forms.AccountFilterForm,
    columns=[
        Column("Account id", "account_id"),
        Column("Name", "name"),
        Column("Organisation", "organisation", order=("organisation__name", "account_id")),
        Column("Structure"),
        Column("Regions"),
        Column("State", "state", order=("onboarding_state", "account_id")),
    ],
    default_sort="account_id",
    title="Cloud accounts",
    subtitle="AWS accounts, their onboarding state and AWS Organizations structure.",
    table_template="directory/accounts/_table.html",
    csv=schemas.AccountOut,
    detail_template="directory/accounts/detail.html",
    detail_context=_account_detail,
    form=forms.AccountForm,
    form_kwargs=_organisation_scoped,
    create_initial=_from_organisation,
    create=services.account_create,
    update=services.account_update,
    create_title="New cloud account",
    edit_title=lambda account: f"Edit account {account.account_id}",
    history_title=lambda account: f"Account {account.account_id}",
)


# --- named contacts (A3) -----------------------------------------------------------------------


def _contacts(*, user: Any, verification: str | None = None, status: str | None = None, **filters: Any):
    if status:
        filters["retired"] = status == "retired"
    qs = selectors.contact_list(user=user, **filters)
    return selectors.contacts_due_reverification(qs) if verification == "stale" else qs


def _contact_detail(request, contact) -> dict[str, Any]:
    services_of_org = selectors.service_list(user=request.user, organisation=contact.organisation_id)
    return {"services": list(services_of_org.filter(contacts=contact))}


CONTACTS = Pages(
    urls="directory:contact",
    noun="contact",
    get=selectors.contact_get,
    label=lambda contact: contact.name,
    permission="directory.change_namedcontact",
    list=_contacts,
    filter_form=forms.ContactFilterForm,
    columns=[
        Column("Name", "name"),
        Column("Organisation", "organisation", order=("organisation__name", "name")),
        Column("Email", "email"),
        Column("Flags"),
        Column("Last verified", "verified", order=("last_verified_at",)),
    ],
    default_sort="name",
    title="Named contacts",
    subtitle="The people who may log incidents, request changes or escalate.",
    table_template="directory/contacts/_table.html",
    csv=schemas.ContactOut,
    detail_template="directory/contacts/detail.html",
    detail_context=_contact_detail,
    form=forms.ContactForm,
    create_initial=_from_organisation,
    create=services.contact_create,
    update=services.contact_update,
    create_title="New named contact",
)


def _contact_step(service, done: str, *fields: str):
    """A POST from a contact's page (by staff, or by the organisation's customer administrator):
    the service with the version the page showed; its refusal is said on the page it returns to."""

    @require_POST
    @ui_view
    def view(request, pk: int):
        contact = selectors.contact_get(user=request.user, pk=pk)
        values = {name: request.POST.get(name, "") for name in fields}
        try:
            contact = service(
                actor=request.user, contact=contact, expected_version=int_param(request, "version"), **values
            )
        except PreconditionFailed:
            messages.error(request, STALE_EDIT_MESSAGE)
        except ValidationFailed as exc:
            messages.error(request, "; ".join(e.get("message", "") for e in exc.errors) or exc.detail)
        else:
            messages.success(request, done.format(name=contact.name))
        return redirect("directory:contact_detail", pk=contact.pk)

    return view


#: I3: the contact's details were confirmed with them today.
contact_verify = _contact_step(services.contact_mark_verified, "{name} marked as verified today.")
contact_consent = _contact_step(services.contact_record_consent, "GDPR consent of {name} recorded.", "method")
contact_withdraw_consent = _contact_step(
    services.contact_withdraw_consent,
    "GDPR consent of {name} withdrawn; they are no longer a contact for notifications.",
)
contact_retire = _contact_step(
    services.contact_retire, "{name} retired; their portal user can no longer sign in."
)


# --- services and runbooks (A5) ----------------------------------------------------------------

SERVICES = Pages(
    urls="directory:service",
    noun="service",
    get=selectors.service_get,
    label=lambda service: service.reference,
    permission="directory.change_service",
    list=selectors.service_list,
    filter_form=forms.ServiceFilterForm,
    columns=[
        Column("Reference", "reference"),
        Column("Name", "name"),
        Column("Organisation", "organisation", order=("organisation__name", "reference")),
        Column("Environment", "environment", order=("environment", "reference")),
        Column("Accounts", css="num"),
        Column("Contacts", css="num"),
    ],
    default_sort="reference",
    title="Services",
    subtitle="Managed services and workloads, quoted by reference on incidents.",
    table_template="directory/services/_table.html",
    csv=schemas.ServiceOut,
    detail_template="directory/services/detail.html",
    form=forms.ServiceForm,
    form_kwargs=_organisation_scoped,
    create_initial=_from_organisation,
    create=services.service_create,
    update=services.service_update,
    create_intro="Open this form from an organisation's page to choose among its accounts and contacts only.",
    history_title=str,
)


def _runbook_url(runbook) -> str:
    return reverse("directory:service_detail", args=[runbook.service_id]) + f"#runbook-{runbook.pk}"


@ui_view
def runbook_create(request, service_pk: int):
    service = selectors.service_get(user=request.user, pk=service_pk)
    require(request.user, "directory.change_service")
    form = forms.RunbookForm(bound(request), creating=True)
    return form_page(
        request,
        form,
        lambda d: services.runbook_create(actor=request.user, service=service, **d),
        success=_runbook_url,
        message=lambda r: f"Runbook “{r.title}” added.",
        title=f"New runbook for {service.reference}",
        submit="Add runbook",
        cancel_url=SERVICES.detail_url(service),
    )


@ui_view
def runbook_update(request, pk: int):
    runbook = selectors.runbook_get(user=request.user, pk=pk)
    require(request.user, "directory.change_service")
    form = forms.RunbookForm(bound(request), initial=forms.RunbookForm.initial_for(runbook), creating=False)
    return form_page(
        request,
        form,
        versioned(services.runbook_update, actor=request.user, runbook=runbook),
        success=_runbook_url,
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

USERS = Pages(
    urls="directory:user",
    noun="user",
    get=selectors.user_get,
    label=lambda person: person.email,
    permission="directory.change_user",
    view_permission="directory.view_user",
    list=selectors.user_list,
    filter_form=forms.UserFilterForm,
    columns=[
        Column("Name", "name", order=("full_name",)),
        Column("Email", "email"),
        Column("Role", "role", order=("role", "full_name")),
        Column("Organisation"),
        Column("Status", "active", order=("is_active",)),
        Column("Last sign-in", "last_login"),
    ],
    default_sort="name",
    title="Users",
    subtitle="Provider staff by role, and customer users linked to their named contact.",
    table_template="directory/users/_table.html",
    csv=schemas.UserOut,
    detail_template="directory/users/detail.html",
    detail_name="person",
    form=forms.UserForm,
    create=services.user_create,
    update=services.user_update,
    edit_title=lambda person: f"Edit {person}",
    history_title=str,
)
