"""The pages half of the CRUD kit (L4): one declaration of an entity's pages gives its list
(filters, sorting, pagination, htmx refresh, CSV), detail, create and edit forms with inline
errors, delete and history, the same way for every entity (in the spirit of NetBox's generic
object views). The entity's selectors keep each user inside their tenant (another tenant's object
is a 404); its services decide who may write and what is valid. The kit only wires them:

    ACCOUNTS = Pages(
        urls="directory:account", noun="account", get=selectors.account_get,
        list=selectors.account_list, filter_form=forms.AccountFilterForm, columns=..., orderings=...,
        form=forms.AccountForm, create=services.account_create, update=services.account_update,
        permission="directory.change_cloudaccount", label=lambda a: a.account_id, ...)
    account_list = ACCOUNTS.list_view()

URL names follow one pattern: `<urls>_list`, `_detail`, `_create`, `_update`, `_delete`, `_history`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse

from opsdesk.core.api import csv_response
from opsdesk.core.errors import PreconditionFailed, ValidationFailed
from opsdesk.core.permissions import has_permission
from opsdesk.core.ui.views import (
    STALE_EDIT_MESSAGE,
    Column,
    filter_values,
    form_page,
    history_page,
    orderings_of,
    render_list,
    require,
    sort_queryset,
    sorted_page,
    ui_view,
    versioned,
)

LIST_TEMPLATE = "core/list.html"
DELETE_TEMPLATE = "core/delete.html"


def bound(request: HttpRequest) -> Any:
    """The form's data on a POST, None (an unbound form) otherwise."""
    return request.POST if request.method == "POST" else None


def int_param(request: HttpRequest, name: str) -> int | None:
    """A whole-number query or form parameter (e.g. ?organisation=3 from an organisation's page)."""
    value = request.GET.get(name) or request.POST.get(name) or ""
    return int(value) if value.isdigit() else None


def _default_form_kwargs(request: HttpRequest, obj: Any) -> dict[str, Any]:
    return {"user": request.user, "creating": obj is None}


@dataclass(frozen=True)
class Pages:
    """What the pages need to know about one kind of object. Leave out what it does not offer."""

    urls: str  # "directory:account": the prefix of its URL names
    noun: str  # "account": in titles, counts and messages
    get: Callable[..., Any]  # restricted selector get(user=, pk=)
    label: Callable[[Any], str] = str  # how one object is named ("Account 123456789012 saved.")
    permission: str | None = None  # to create and edit (the page is gated as the service is)
    view_permission: str | None = None  # to see any of the pages at all (e.g. users)
    # the list
    list: Callable[..., Any] | None = None  # list(user=, **filters) -> QuerySet
    filter_form: type[forms.Form] | None = None  # built with (GET, user=)
    columns: Sequence[Column] = ()  # with their ?sort= keys and the fields each orders by
    default_sort: str = ""
    title: str = ""
    subtitle: str = ""
    create_label: str = ""
    table_template: str = ""
    list_template: str = LIST_TEMPLATE
    list_context: Mapping[str, Any] = field(default_factory=dict)
    csv: Any = None  # the API's Out schema: ?format=csv answers the filtered, sorted list as CSV
    # the detail page
    detail_template: str = ""
    detail_page: str = "detail"  # the page an object's links lead to (its edit page if it has no detail)
    detail_name: str = ""  # the object's name in the template, `noun` unless said otherwise
    detail_context: Callable[[HttpRequest, Any], dict[str, Any]] | None = None
    # the create and edit forms
    form: type[forms.Form] | None = None
    edit_form: type[forms.Form] | None = None  # when editing takes another form than creating
    form_kwargs: Callable[[HttpRequest, Any], dict[str, Any]] = _default_form_kwargs
    create_initial: Callable[[HttpRequest], dict[str, Any]] | None = None
    create: Callable[..., Any] | None = None  # service(actor=, **cleaned)
    update: Callable[..., Any] | None = None  # service(actor=, <target>=, expected_version=, **changes)
    delete: Callable[..., Any] | None = None  # service(actor=, <target>=, expected_version=)
    target: str = ""  # the services' keyword for the object, `noun` unless said otherwise
    create_title: str = ""
    create_submit: str = ""
    create_intro: str = ""
    created: Callable[[Any], str] | None = None  # the message after a create
    edit_title: Callable[[Any], str] | None = None
    edit_intro: str = ""
    edit_submit: str = ""
    after_save: Callable[[Any], str] | None = None  # where a saved object leads; its detail page
    history_title: Callable[[Any], str] | None = None

    # --- names --------------------------------------------------------------------------------

    def url(self, page: str, *args: Any) -> str:
        return reverse(f"{self.urls}_{page}", args=args)

    def detail_url(self, obj: Any) -> str:
        return self.url(self.detail_page, obj.pk)

    def _success(self, obj: Any) -> str:
        return (self.after_save or self.detail_url)(obj)

    def _target(self, obj: Any) -> dict[str, Any]:
        return {self.target or self.noun.replace(" ", "_"): obj}

    def _gate(self, request: HttpRequest) -> None:
        if self.view_permission:
            require(request.user, self.view_permission)

    def _writable(self, request: HttpRequest, pk: int) -> Any:
        """The object as the user may see it (else a 404), then the permission to change it (403)."""
        self._gate(request)
        obj = self.get(user=request.user, pk=pk)
        if self.permission:
            require(request.user, self.permission)
        return obj

    def _links(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """What the object's page links to (core/detail.html): its history, and its edit page for
        who may change it."""
        editable = self.update and (not self.permission or has_permission(request.user, self.permission))
        return {
            "history_url": self.url("history", obj.pk),
            "edit_url": self.url("update", obj.pk) if editable else None,
        }

    # --- views ----------------------------------------------------------------------------------

    def list_view(self) -> Callable[..., HttpResponse]:
        columns, orderings, default = list(self.columns), orderings_of(self.columns), self.default_sort

        @ui_view
        def view(request: HttpRequest) -> HttpResponse:
            self._gate(request)
            form = self.filter_form(request.GET, user=request.user)
            qs = self.list(user=request.user, **filter_values(form))
            if self.csv is not None and request.GET.get("format") == "csv":
                qs, _sort = sort_queryset(request, qs, orderings=orderings, default=default)
                return csv_response(qs, self.csv, self.url("list").strip("/").replace("/", "-"), request)
            listing = sorted_page(request, qs, columns=columns, orderings=orderings, default=default)
            creatable = self.create and (not self.permission or has_permission(request.user, self.permission))
            return render_list(
                request,
                template=self.list_template,
                table_template=self.table_template,
                context={
                    "title": self.title,
                    "subtitle": self.subtitle,
                    "filter_form": form,
                    "listing": listing,
                    "create_label": self.create_label or f"New {self.noun}",
                    "create_url": self.url("create") if creatable else None,
                    "csv_url": "?format=csv" if self.csv is not None else None,
                    **self.list_context,
                },
            )

        return view

    def detail_view(self) -> Callable[..., HttpResponse]:
        @ui_view
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            self._gate(request)
            obj = self.get(user=request.user, pk=pk)
            extra = self.detail_context(request, obj) if self.detail_context else {}
            context = {self.detail_name or self.noun: obj, **self._links(request, obj), **extra}
            return render(request, self.detail_template, context)

        return view

    def create_view(self) -> Callable[..., HttpResponse]:
        @ui_view
        def view(request: HttpRequest) -> HttpResponse:
            self._gate(request)
            if self.permission:
                require(request.user, self.permission)
            initial = self.create_initial(request) if self.create_initial else None
            form = self.form(bound(request), initial=initial, **self.form_kwargs(request, None))
            return form_page(
                request,
                form,
                lambda data: self.create(actor=request.user, **data),
                success=self._success,
                message=self.created or (lambda obj: f"{self.noun.capitalize()} {self.label(obj)} created."),
                title=self.create_title or f"New {self.noun}",
                submit=self.create_submit or f"Create {self.noun}",
                cancel_url=self.url("list"),
                intro=self.create_intro,
            )

        return view

    def update_view(self, **page: Any) -> Callable[..., HttpResponse]:
        """`page`: what `form_page` takes besides (a template of its own and what it needs), each a
        value or a function of the request and the object."""

        @ui_view
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            obj = self._writable(request, pk)
            form_class = self.edit_form or self.form
            form = form_class(
                bound(request), initial=form_class.initial_for(obj), **self.form_kwargs(request, obj)
            )
            extra = {k: v(request, obj) if callable(v) else v for k, v in page.items()}
            return form_page(
                request,
                form,
                versioned(self.update, actor=request.user, **self._target(obj)),
                success=self._success,
                message=lambda saved: f"{self.noun.capitalize()} {self.label(saved)} saved.",
                title=(self.edit_title or (lambda o: f"Edit {self.label(o)}"))(obj),
                submit=self.edit_submit or "Save changes",
                cancel_url=self._success(obj),
                intro=self.edit_intro,
                **extra,
            )

        return view

    def delete_view(self) -> Callable[..., HttpResponse]:
        """GET: a confirmation naming the object; POST (with the version the page was opened at):
        the delete service, then the list. A stale page or a refusal (still referenced) is said on
        the confirmation instead."""

        @ui_view
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            obj = self._writable(request, pk)
            error = ""
            if request.method == "POST":
                version = int_param(request, "version")
                try:
                    self.delete(actor=request.user, **self._target(obj), expected_version=version)
                except PreconditionFailed:
                    error = STALE_EDIT_MESSAGE
                except ValidationFailed as exc:
                    error = "; ".join(e.get("message", "") for e in exc.errors) or exc.detail
                else:
                    messages.success(request, f"{self.noun.capitalize()} {self.label(obj)} deleted.")
                    return redirect(self.url("list"))
            context = {
                "object": obj,
                "title": f"Delete {self.noun} {self.label(obj)}",
                "cancel_url": self.detail_url(obj),
                "error": error,
            }
            return render(request, DELETE_TEMPLATE, context, status=409 if error else 200)

        return view

    def history_view(self) -> Callable[..., HttpResponse]:
        return history_page(
            self.get,
            back=self.detail_url,
            title=self.history_title or self.label,
            permission=self.view_permission,
        )

    def paths(self, prefix: str, **views: Callable[..., HttpResponse] | None) -> list[URLPattern]:
        """The entity's URLs, each named by the convention (`<urls>_list`, `_create`, `_detail`,
        `_update`, `_history`): `prefix`, `prefix`new/, `prefix`<pk>/, …/edit/, …/history/. `views`
        gives a page a view of its own instead of the kit's (`detail=incident_detail`), or none
        (`detail=None`: the entity has no such page)."""
        name = self.urls.split(":", 1)[1]
        pages = [
            ("", "list", self.list_view),
            ("new/", "create", self.create_view),
            ("<int:pk>/", "detail", self.detail_view),
            ("<int:pk>/edit/", "update", self.update_view),
            ("<int:pk>/history/", "history", self.history_view),
        ]
        return [
            path(f"{prefix}{tail}", views[page] if page in views else kit(), name=f"{name}_{page}")
            for tail, page, kit in pages
            if views.get(page, kit) is not None
        ]
