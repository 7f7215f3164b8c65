"""The seam through which a billing threshold's review reaches the alert pipeline (issue 12 item 6,
F4: "a billing alert ... routed like any other alert") without billing importing alerts: billing
sends, the shell (web/billing_alerts.py) turns what it hears into an alarm on alerts' pipeline.

Receivers run synchronously inside the review's transaction (an import's, or the weekly task's), so
the alert they open or resolve commits with the billing alert or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.dispatch import Signal


@dataclass(frozen=True)
class ThresholdReviewed:
    """One threshold against one reviewed week. `crossed` names what was crossed ("percentage",
    "amount", both) or is "" when the change stayed under; `raised` is the billing alert this review
    raised (None when it raised nothing new: under the threshold, or that week already had one);
    `superseded` is True when a later week already has a billing alert of the same organisation and
    account (a re-run of an older week's review says nothing about now)."""

    threshold_id: int
    organisation: Any  # directory.Organisation
    account: Any  # directory.CloudAccount or None: the organisation's total
    week_start: dt.date
    previous: Decimal
    current: Decimal
    change: Decimal
    change_percent: Decimal | None
    crossed: str
    raised: Any = None  # billing.BillingAlert
    superseded: bool = False

    @property
    def week_end(self) -> dt.date:
        """The Sunday that ends the reviewed week (Europe/London)."""
        return self.week_start + dt.timedelta(days=6)


#: Sent by `billing_alerts_evaluate` inside its transaction, once per threshold the review has a
#: figure for, with `review`: a ThresholdReviewed.
threshold_reviewed = Signal()

#: Sent by `threshold_delete` inside its transaction, with `threshold_id`, `organisation` and
#: `account` (None: the organisation's total): nothing will review it again.
threshold_removed = Signal()
