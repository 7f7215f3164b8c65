"""The small kit every server-rendered page uses (L4): error translation, form errors from services,
sortable/filterable/paginated lists that htmx refreshes in place, and the audit history page.

Views stay thin: parse a form, call one service or selector, render. What is common to all of
them (how a NotFound becomes a 404 page, how a ValidationFailed lands on a form) lives here once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from opsdesk.core.api import capped_count
from opsdesk.core.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.selectors import object_history
from opsdesk.core.ui.history import readable_changes

PAGE_SIZE = 25
#: The one create/edit page: title, intro, the form with its errors, submit and cancel.
FORM_TEMPLATE = "core/form.html"
HISTORY_TEMPLATE = "core/history.html"

STALE_EDIT_MESSAGE = (
    "This record was changed by someone else since you opened it. "
    "Reload the page to see the current values, then apply your changes again."
)


def page_errors(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NotFound from a selector is a 404 page, PermissionDenied from a service a 403 page."""

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return func(request, *args, **kwargs)
        except NotFound:
            raise Http404()
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.detail)

    return wrapper


def ui_view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required, and the errors of `page_errors`."""
    return login_required(page_errors(func))


def require(user: Any, permission: str) -> None:
    """Gate a page (e.g. an empty create form) with the same permission table the service uses."""
    require_permission(user, permission)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def apply_service_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Each {"field", "message"} of a service error becomes an inline error (or a form-wide one)."""
    if not exc.errors:
        form.add_error(None, exc.detail)
    for error in exc.errors:
        field = error.get("field")
        form.add_error(field if field in form.fields else None, error.get("message") or exc.detail)


def run_form(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[Mapping[str, Any]], Any],
    *,
    success: Callable[[Any], str],
    message: str | Callable[[Any], str],
) -> HttpResponse | None:
    """POST: validate, call the one service, redirect with a message. Returns None when the form must be
    shown again (GET, invalid input, a service validation error, a stale version or a conflict)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        obj = action(form.cleaned_data)
    except ValidationFailed as exc:
        apply_service_errors(form, exc)
        return None
    except PreconditionFailed:
        form.add_error(None, STALE_EDIT_MESSAGE)
        return None
    except Conflict as exc:  # the state forbids it now (e.g. an RCA already requested)
        form.add_error(None, exc.detail)
        return None
    messages.success(request, message(obj) if callable(message) else message)
    return redirect(success(obj))


def form_page(
    request: HttpRequest,
    form: forms.Form,
    action: Callable[[Mapping[str, Any]], Any],
    /,
    *,
    success: Callable[[Any], str],
    message: str | Callable[[Any], str],
    title: str,
    submit: str,
    cancel_url: str,
    intro: str = "",
    template: str = FORM_TEMPLATE,
    **context: Any,
) -> HttpResponse:
    """A whole create/edit page: `run_form`, or else the form (again, with its errors). Every such
    page names the same things, so it is declared once per view instead of written out each time;
    a page with a template of its own passes it, and what that template needs besides, here."""
    done = run_form(request, form, action, success=success, message=message)
    return done or render(
        request,
        template,
        {
            "form": form,
            "title": title,
            "cancel_url": cancel_url,
            "submit_label": submit,
            "intro": intro,
            **context,
        },
    )


def versioned(
    service: Callable[..., Any], /, *, actor: Any, **target: Any
) -> Callable[[Mapping[str, Any]], Any]:
    """The action of an edit form: the service gets the version the form was opened at as
    `expected_version` (a stale edit fails with STALE_EDIT_MESSAGE instead of overwriting someone
    else's change) and the other cleaned fields as the changes."""

    def action(data: Mapping[str, Any]) -> Any:
        changes = {k: v for k, v in data.items() if k != "version"}
        return service(actor=actor, **target, expected_version=data["version"], **changes)

    return action


# --- lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A table column; `sort` is the public ?sort= key, mapped to ORDER BY fields by the list."""

    label: str
    sort: str | None = None
    css: str = ""
    #: the fields `sort` orders by, when not the field of that name (e.g. a name, then an id)
    order: tuple[Any, ...] = ()


def orderings_of(columns: Sequence[Column]) -> dict[str, tuple[Any, ...]]:
    """The ?sort= keys of a table and the fields each orders by."""
    return {c.sort: c.order or (c.sort,) for c in columns if c.sort}


@dataclass
class ListPage:
    page: Any
    sort: str
    columns: list[Column]
    total: int
    total_exact: bool = True


@dataclass(frozen=True)
class NullsLast:
    """An ordering on a nullable column with the empty values last whichever way it is sorted
    (NULLS LAST ascending, NULLS FIRST descending: the reverse order). Unlike a CASE expression,
    it is an ORDER BY that an index on the column can answer."""

    field: str


class CappedPaginator(Paginator):
    """Counts exactly up to core.api.COUNT_CAP rows, then stops: a page of a million-row list
    should not cost a count of a million rows."""

    @functools.cached_property
    def count(self) -> int:
        total, self.count_exact = capped_count(self.object_list)
        return total


def sort_queryset(
    request: HttpRequest, qs: QuerySet, *, orderings: Mapping[str, tuple[str, ...]], default: str
) -> tuple[QuerySet, str]:
    """?sort=key or -key, whitelisted by `orderings` (anything else falls back to the default)."""
    sort = request.GET.get("sort", "") or default
    key = sort.removeprefix("-")
    if key not in orderings:
        sort, key = default, default.removeprefix("-")
    fields = orderings[key]
    descending = sort.startswith("-")
    order: list[Any] = []
    for f in fields:
        if isinstance(f, NullsLast):
            order.append(F(f.field).desc(nulls_first=True) if descending else F(f.field).asc(nulls_last=True))
        else:
            order.append(f"-{f}" if descending else f)
    order.append("-pk" if descending else "pk")
    return qs.order_by(*order), sort


def sorted_page(
    request: HttpRequest,
    qs: QuerySet,
    *,
    columns: list[Column],
    orderings: Mapping[str, tuple[str, ...]],
    default: str,
) -> ListPage:
    """The sorted list (`sort_queryset`), one page of it: ?page=n."""
    qs, sort = sort_queryset(request, qs, orderings=orderings, default=default)
    paginator = CappedPaginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return ListPage(
        page=page, sort=sort, columns=columns, total=paginator.count, total_exact=paginator.count_exact
    )


def render_list(
    request: HttpRequest,
    *,
    template: str,
    table_template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The full page, or only the table partial for an htmx request from the filter form/sort links."""
    context = {**context, "table_template": table_template}
    response = render(request, table_template if is_htmx(request) else template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def filter_values(form: forms.Form) -> dict[str, Any]:
    """The cleaned filters, empty ones dropped; an invalid filter form filters nothing."""
    if not form.is_valid():
        return {}
    return {k: v for k, v in form.cleaned_data.items() if v not in (None, "", [])}


# --- audit history (L1) ---------------------------------------------------------------------


def history_page(
    get: Callable[..., Any],
    *,
    back: Callable[[Any], str],
    title: Callable[[Any], str],
    permission: str | None = None,
    customer_fields: Collection[str] | None = None,
) -> Callable[..., HttpResponse]:
    """The audit history page (L1) of one kind of object, as the user may see it: staff every
    event, customers the public ones (core.selectors.object_history) and of those only the fields
    their page of the object shows (`customer_fields`, when given). `get` is the object's
    restricted selector (another tenant's object is a 404), `back` its page, `title` what the
    history is of. Changes are shown in words (core.ui.history)."""

    @ui_view
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        if permission:
            require(request.user, permission)
        obj = get(user=request.user, pk=pk)
        events = object_history(user=request.user, obj=obj)
        staff = getattr(request.user, "is_provider_staff", False)
        page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = readable_changes(page, type(obj), customer_fields=None if staff else customer_fields)
        context = {"object": obj, "page": page, "rows": rows, "back_url": back(obj), "title": title(obj)}
        return render(request, HISTORY_TEMPLATE, context)

    return view
