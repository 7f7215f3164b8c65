"""The public Atom feed of the status page (C8): one entry per posted update of a published
incident, one per public provider-wide maintenance from the schedule (updated in place when it
changes)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.cache import cache_control

from opsdesk.core import humanize
from opsdesk.core.richtext import render_markdown
from opsdesk.schedule.models import Window
from opsdesk.statuspage import selectors
from opsdesk.statuspage.models import StatusUpdate
from opsdesk.statuspage.views import PUBLIC_MAX_AGE


def _window(m: Window) -> str:
    """The human text of an entry in the one format of pages (core.humanize, the provider's zone);
    the feed's machine fields (published, updated) stay RFC 3339."""
    return f"{humanize.when(m.starts_at)} – {humanize.when(m.ends_at)}"


class StatusFeed(Feed):
    feed_type = Atom1Feed
    title = "opsdesk service status"
    subtitle = "Provider-wide incidents and maintenance."

    def __call__(self, request, *args, **kwargs):
        return cache_control(public=True, max_age=PUBLIC_MAX_AGE)(super().__call__)(request, *args, **kwargs)

    def link(self):
        return reverse("statuspage:index")

    def feed_url(self):
        return reverse("statuspage:feed")

    def items(self):
        return selectors.public_feed_entries()

    def item_title(self, item):
        if isinstance(item, StatusUpdate):
            return f"{item.incident.title} — {item.get_state_display()}"
        state = (item.state or item.phase).replace("_", " ")
        return f"Maintenance: {item.title} ({state})"

    def item_description(self, item):
        if isinstance(item, StatusUpdate):
            return render_markdown(item.body)
        window = f"<p><strong>{_window(item)}</strong></p>"
        return window + render_markdown(item.description)

    def item_link(self, item):
        if isinstance(item, StatusUpdate):
            return reverse("statuspage:incident", args=[item.incident_id]) + f"#update-{item.pk}"
        return reverse("statuspage:index") + f"#maintenance-{item.pk}"

    def item_guid(self, item):
        if isinstance(item, StatusUpdate):
            return f"urn:opsdesk:status:update:{item.pk}"
        return f"urn:opsdesk:status:maintenance:{item.source}-{item.source_id}"

    def item_pubdate(self, item):
        return item.posted_at if isinstance(item, StatusUpdate) else item.updated_at

    def item_updateddate(self, item):
        return selectors.feed_entry_date(item)

    def item_categories(self, item):
        return item.incident.components if isinstance(item, StatusUpdate) else item.components
