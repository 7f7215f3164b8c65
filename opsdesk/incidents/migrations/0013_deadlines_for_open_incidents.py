"""Deadlines (sla.Deadline) for the response targets of the incidents still open: their stored
instants, pause state and met times, with the rule of their SLA policy and priority and the
warnings and breaches already recorded (so the sweep records none twice). One INSERT … SELECT per
target: a database of a million incidents is not read into Python."""

from django.db import migrations

OPEN_STATES = ("new", "acknowledged", "investigating", "awaiting_customer")
TARGETS = (("initial", "initial_response"), ("considered", "considered_response"))


def forward(apps, schema_editor):
    table = {
        name: schema_editor.quote_name(apps.get_model(app, model)._meta.db_table)
        for name, (app, model) in {
            "deadline": ("sla", "Deadline"),
            "policy": ("sla", "SlaPolicy"),
            "target": ("sla", "SlaTarget"),
            "incident": ("incidents", "Incident"),
            "event": ("incidents", "SlaEvent"),
            "organisation": ("directory", "Organisation"),
        }.items()
    }
    states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    selects = []
    for target, kind in TARGETS:
        recorded = (
            f"(SELECT MIN(e.at) FROM {table['event']} e WHERE e.incident_id = i.id "
            f"AND e.target = '{target}' AND e.kind = '{{}}')"
        )
        selects.append(
            f"""
            SELECT 'incident' AS owner_type, i.id AS owner_id, '{kind}' AS kind, i.sla_calendar_id,
                i.logged_at, t.{target}_hours, t.{target}_fallback, t.{target}_business_days,
                CAST(NULL AS integer), p.warning_fraction, i.{target}_response_due, i.{target}_warning_at,
                CASE WHEN i.{target}_response_at IS NULL THEN i.paused_at END, i.paused_seconds,
                i.{target}_response_at, CAST(NULL AS timestamp), {recorded.format("warning")},
                {recorded.format("breach")}
            FROM {table["incident"]} i
            JOIN {table["organisation"]} o ON o.id = i.organisation_id
            JOIN {table["policy"]} p ON p.id = COALESCE(
                o.sla_policy_id, (SELECT d.id FROM {table["policy"]} d WHERE d.is_default))
            JOIN {table["target"]} t ON t.policy_id = p.id AND t.priority = i.priority
            WHERE i.state IN ({states})
            """
        )
    # Both deadlines of an incident get neighbouring ids, as the services give them, so that a
    # recomputation's batch (by id) holds both and writes the incident's copies once.
    schema_editor.execute(
        f"""
        INSERT INTO {table["deadline"]} (
            owner_type, owner_id, kind, calendar_id, start_at, hours, fallback, business_days,
            working_days, warning_fraction, due_at, warn_at, paused_at, paused_seconds, met_at,
            closed_at, warned_at, breached_at)
        SELECT * FROM ({" UNION ALL ".join(selects)}) AS d ORDER BY d.owner_id, d.kind
        ON CONFLICT DO NOTHING
        """
    )


def backward(apps, schema_editor):
    apps.get_model("sla", "Deadline").objects.filter(owner_type="incident").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0012_deadlines_for_rcas_and_escalations"),
        ("directory", "0003_organisation_sla_policy"),
    ]

    operations = [migrations.RunPython(forward, backward)]
