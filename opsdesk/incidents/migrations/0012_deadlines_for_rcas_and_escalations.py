"""Deadlines (sla.Deadline) for the RCAs still in draft and the escalations still in force, whose due
times until now were computed once and stored on the row. The stored due times are kept as they
are (they are the truth the owner has shown); the warning instant is placed at the organisation's
B6 fraction by the calendar engine."""

import datetime as dt

from django.db import migrations

RCA_WORKING_DAYS = 10


def _fraction(organisation, default):
    policy = organisation.sla_policy
    return policy.warning_fraction if policy is not None else default


def forward(apps, schema_editor):
    from opsdesk.calendars.models import Calendar as LiveCalendar
    from opsdesk.calendars.services import business_calendar
    from opsdesk.sla.deadlines import warning_instant

    Deadline = apps.get_model("sla", "Deadline")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    RootCauseAnalysis = apps.get_model("incidents", "RootCauseAnalysis")
    Escalation = apps.get_model("incidents", "Escalation")
    Calendar = apps.get_model("calendars", "Calendar")
    default = SlaPolicy.objects.filter(is_default=True).first()
    default_fraction = default.warning_fraction if default is not None else 0.8
    clocks = {}

    def clock(calendar_id):
        if calendar_id not in clocks:
            clocks[calendar_id] = business_calendar(LiveCalendar.objects.get(pk=calendar_id))
        return clocks[calendar_id]

    def whole(at):
        return at.astimezone(dt.UTC).replace(microsecond=0)

    rows = []
    for rca in RootCauseAnalysis.objects.filter(state="draft").select_related(
        "incident__organisation__sla_policy"
    ):
        organisation = rca.incident.organisation
        start = whole(rca.created_at if rca.chargeable else (rca.incident.closed_at or rca.created_at))
        fraction = _fraction(organisation, default_fraction)
        due = whole(rca.due_at)
        rows.append(
            Deadline(
                owner_type="rca",
                owner_id=rca.pk,
                kind="rca_due",
                calendar_id=organisation.calendar_id,
                start_at=start,
                working_days=RCA_WORKING_DAYS,
                warning_fraction=fraction,
                due_at=due,
                warn_at=warning_instant(clock(organisation.calendar_id), start, due, fraction).astimezone(
                    dt.UTC
                ),
            )
        )
    uk = Calendar.objects.filter(name="uk").first()
    targets = (
        ("escalation_acknowledgement", "acknowledgement_hours", "acknowledgement_due", "acknowledged_at"),
        (
            "escalation_response",
            "considered_response_hours",
            "considered_response_due",
            "considered_response_at",
        ),
    )
    for escalation in Escalation.objects.filter(
        state__in=["open", "acknowledged", "responded"]
    ).select_related("level", "incident__organisation__sla_policy"):
        fraction = _fraction(escalation.incident.organisation, default_fraction)
        start = whole(escalation.raised_at)
        for kind, hours, copy, met in targets:
            due = getattr(escalation, copy)
            if due is None or not getattr(escalation.level, hours) or uk is None:
                continue
            due = whole(due)
            rows.append(
                Deadline(
                    owner_type="escalation",
                    owner_id=escalation.pk,
                    kind=kind,
                    calendar_id=uk.pk,
                    start_at=start,
                    hours=getattr(escalation.level, hours),
                    warning_fraction=fraction,
                    due_at=due,
                    warn_at=warning_instant(clock(uk.pk), start, due, fraction).astimezone(dt.UTC),
                    met_at=getattr(escalation, met),
                )
            )
    Deadline.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def backward(apps, schema_editor):
    apps.get_model("sla", "Deadline").objects.filter(owner_type__in=["rca", "escalation"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0011_search_word_indexes"),
        ("sla", "0003_deadline"),
        ("calendars", "0005_calendar_recomputed_version"),
    ]

    operations = [migrations.RunPython(forward, backward)]
