"""Demo data of billing reviews (issue 12 item 6): 14 weeks of daily AWS costs (with Environment and
Team tags) for the first two organisations' accounts, imported through the same streamed import as a
file, and a 25% threshold that the last complete week's rise crosses for the first organisation."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from opsdesk.billing import selectors, services
from opsdesk.billing.models import BillingThreshold, CostImport
from opsdesk.core.roles import Role

FILE_NAME = "demo-cur.csv"
PRODUCTS = (
    ("AmazonEC2", Decimal("41.20"), "production"),
    ("AmazonRDS", Decimal("18.75"), "production"),
    ("AmazonS3", Decimal("3.10"), "staging"),
)


def _csv(accounts: list[tuple[str, Decimal]], last_week: dt.date, rise_account: str) -> bytes:
    out = io.StringIO()
    out.write(
        "lineItem/UsageAccountId,lineItem/UsageStartDate,lineItem/ProductCode,lineItem/LineItemType,"
        "lineItem/UnblendedCost,resourceTags/user:Environment,resourceTags/user:Team\n"
    )
    first = last_week - dt.timedelta(weeks=13)
    for offset in range(14 * 7):
        day = first + dt.timedelta(days=offset)
        for account_id, scale in accounts:
            for product, base, env in PRODUCTS:
                amount = base * scale * (1 + Decimal(offset % 7) / 50)
                if account_id == rise_account and day >= last_week and product == "AmazonEC2":
                    amount *= 3  # a forgotten instance fleet: the week the threshold catches
                out.write(f"{account_id},{day}T12:00:00Z,{product},Usage,{amount:.6f},{env},platform\n")
    return out.getvalue().encode()


def build_billing(demo: Any) -> None:
    if CostImport.objects.filter(file_name=FILE_NAME).exists():
        return
    billing = demo.staff.get(Role.BILLING) or demo.admin
    orgs = [o for o in demo.organisations.values() if o.accounts.exists()][:2]
    if not orgs:
        return
    accounts = [
        (a.account_id, Decimal(1 + i) / 2)
        for i, a in enumerate(acct for org in orgs for acct in org.accounts.order_by("account_id")[:2])
    ]
    first_org_account = orgs[0].accounts.order_by("account_id").first()
    if not BillingThreshold.objects.filter(organisation=orgs[0], account__isnull=True).exists():
        services.threshold_create(actor=billing, organisation=orgs[0], percent=Decimal("25"))
        demo.created += 1
    data = _csv(accounts, selectors.last_complete_week(), first_org_account.account_id)
    services.cost_import_run(actor=billing, file=io.BytesIO(data), file_name=FILE_NAME)
    demo.created += 1
