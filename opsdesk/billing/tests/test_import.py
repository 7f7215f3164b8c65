"""Cost imports (issue 12 item 6, F4): exact Decimal totals per (account, day, product, tags),
streaming with bounded memory, bad files named by line and column with nothing imported, and
re-imports replacing instead of doubling."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.billing import services
from opsdesk.billing.models import CostImport, DailyCost
from opsdesk.core.errors import PermissionDenied, ValidationFailed

HEADER = (
    "identity/LineItemId,lineItem/UsageAccountId,lineItem/UsageStartDate,lineItem/ProductCode,"
    "lineItem/LineItemType,lineItem/UnblendedCost,resourceTags/user:Environment,resourceTags/user:Team\n"
)


def cur(*lines: str) -> io.BytesIO:
    return io.BytesIO((HEADER + "".join(f"{line}\n" for line in lines)).encode())


def run(world, data, name="cur.csv"):
    return services.cost_import_run(actor=world["billing"], file=data, file_name=name)


def test_a_cur_file_is_added_up_per_day_product_and_tags_exactly(world):
    a = world["account_a"].account_id
    record = run(
        world,
        cur(
            f"1,{a},2026-11-02T00:00:00Z,AmazonEC2,Usage,0.1,production,web",
            f"2,{a},2026-11-02T13:00:00Z,AmazonEC2,Usage,0.2,production,web",
            f"3,{a},2026-11-02T14:00:00Z,AmazonS3,Usage,1.000001,,",
            f"4,{a},2026-11-03T00:00:00Z,AmazonEC2,Usage,0.3,staging,web",
        ),
    )
    assert (record.rows, record.cost_lines, record.accounts) == (4, 3, [a])
    assert (record.period_start, record.period_end) == (dt.date(2026, 11, 2), dt.date(2026, 11, 3))
    assert record.total == Decimal("1.600001") and record.imported_by == world["billing"]
    assert len(record.sha256) == 64
    ec2 = DailyCost.objects.get(day=dt.date(2026, 11, 2), product="AmazonEC2")
    assert ec2.amount == Decimal("0.3")  # 0.1 + 0.2 exactly, not 0.30000000000000004
    assert ec2.tags == {"Environment": "production", "Team": "web"}
    assert ec2.organisation == world["org_a"]
    assert DailyCost.objects.get(product="AmazonS3").tags == {}


def test_a_cost_explorer_export_is_accepted(world):
    b = world["account_b"].account_id
    data = io.BytesIO(
        f"LinkedAccount,Date,Service,Cost,Tag:Environment\n{b},2026-11-04,EC2,12.50,prod\n".encode()
    )
    run(world, data, "ce.csv")
    row = DailyCost.objects.get()
    assert (row.organisation, row.amount, row.tags) == (
        world["org_b"],
        Decimal("12.50"),
        {"Environment": "prod"},
    )


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("3,{a},2026-11-02T00:00:00Z,AmazonEC2,Usage,1.2.3,,", "lineItem/UnblendedCost", "Line 4, column"),
        ("3,{a},2026-13-45T00:00:00Z,AmazonEC2,Usage,1,,", "lineItem/UsageStartDate", "Line 4, column"),
        ("3,{a},0001-01-01T00:00:00+00:00,AmazonEC2,Usage,1,,", "lineItem/UsageStartDate", "Line 4, column"),
        ("3,{a},9999-12-31T23:59:59Z,AmazonEC2,Usage,1,,", "lineItem/UsageStartDate", "Line 4, column"),
        (
            "3,999999999999,2026-11-02T00:00:00Z,AmazonEC2,Usage,1,,",
            "lineItem/UsageAccountId",
            "Line 4, column",
        ),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_imported(world, line, column, message):
    a = world["account_a"].account_id
    data = cur(
        f"1,{a},2026-11-02T00:00:00Z,AmazonEC2,Usage,1,,",
        f"2,{a},2026-11-02T00:00:00Z,AmazonEC2,Usage,2,,",
        line.format(a=a),
    )
    with pytest.raises(ValidationFailed) as caught:
        run(world, data)
    assert caught.value.errors[0]["field"] == column
    assert caught.value.detail.startswith(f"{column}: {message} {column}")
    assert not DailyCost.objects.exists() and not CostImport.objects.exists()


def test_a_missing_required_column_is_named(world):
    data = io.BytesIO(b"lineItem/UsageAccountId,lineItem/UsageStartDate,lineItem/ProductCode\n1,2,3\n")
    with pytest.raises(ValidationFailed) as caught:
        run(world, data)
    assert caught.value.errors[0]["field"] == "lineItem/UnblendedCost"
    assert "Line 1" in caught.value.detail
    assert not CostImport.objects.exists()


def test_only_billing_staff_and_administrators_import(world):
    for role in ("engineer", "service_desk", "csdm"):
        with pytest.raises(PermissionDenied):
            run({"billing": world[role]}, cur())
    with pytest.raises(PermissionDenied):
        run({"billing": world["customer_a"]}, cur())


def test_re_importing_replaces_the_accounts_days_instead_of_doubling(world):
    a, b = world["account_a"].account_id, world["account_b"].account_id
    lines = [
        f"1,{a},2026-11-02T00:00:00Z,AmazonEC2,Usage,5,,",
        f"2,{a},2026-11-03T00:00:00Z,AmazonEC2,Usage,5,,",
        f"3,{b},2026-11-03T00:00:00Z,AmazonEC2,Usage,7,,",
    ]
    run(world, cur(*lines))
    second = run(world, cur(*lines))
    assert second.replaced == 3
    assert sum(c.amount for c in DailyCost.objects.all()) == Decimal("17")
    # A corrected file for account a on 3 November only: that day is replaced, the 2nd and b kept.
    third = run(world, cur(f"1,{a},2026-11-03T09:00:00Z,AmazonEC2,Usage,6,,"))
    assert third.replaced == 1
    assert {(c.account.account_id, c.day.day, c.amount) for c in DailyCost.objects.all()} == {
        (a, 2, Decimal("5")),
        (a, 3, Decimal("6")),
        (b, 3, Decimal("7")),
    }


def test_a_large_file_is_streamed_with_bounded_memory(world, tmp_path):
    """20,000 lines (about 1.4 MB) import with a memory peak far below the file's own size as rows:
    nothing holds the file (held as parsed rows it would take tens of MB)."""
    a, m = world["account_a"].account_id, world["member_a"].account_id
    path = tmp_path / "big.csv"
    with path.open("w") as out:
        out.write(HEADER)
        for i in range(20_000):
            account = a if i % 2 else m
            day = 1 + i % 28
            out.write(
                f"{i},{account},2026-10-{day:02d}T{i % 24:02d}:00:00Z,Amazon{'EC2' if i % 3 else 'S3'},"
                f"Usage,0.0001,env{i % 4},team\n"
            )
    assert path.stat().st_size > 1_300_000
    tracemalloc.start()
    with path.open("rb") as handle:
        record = run(world, handle, "big.csv")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert record.rows == 20_000
    assert record.total == Decimal("2.0000")
    assert DailyCost.objects.count() == record.cost_lines < 1000
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_the_cli_imports_and_refuses_a_bad_file_with_its_line(world, tmp_path, capsys):
    a = world["account_a"].account_id
    good = tmp_path / "good.csv"
    good.write_text(HEADER + f"1,{a},2026-11-02T00:00:00Z,AmazonEC2,Usage,2.5,,\n")
    call_command("billing", "import", str(good))
    assert "Imported 1 lines" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"1,{a},2026-11-02T00:00:00Z,AmazonEC2,Usage,2.5,,\n2,{a},2026-11-02,X,U,abc,,\n")
    with pytest.raises(CommandError, match="Line 3, column lineItem/UnblendedCost: 'abc' is not a number"):
        call_command("billing", "import", str(bad))
    assert CostImport.objects.count() == 1


def test_a_binary_file_is_refused_as_not_text(world):
    """A PNG uploaded by mistake: its first byte is not UTF-8, answered on the file, nothing stored."""
    with pytest.raises(ValidationFailed) as caught:
        run(world, io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(range(256))))
    assert caught.value.errors[0]["field"] == "file" and "not UTF-8" in caught.value.detail
    assert not CostImport.objects.exists()
