"""Change levels (D3), the level-2 workflow of D4 as explicit states, and who may move a change from
which state to which. The approval matrix itself (D5) is data: changes.ApprovalRule."""

from django.db import models


class ChangeLevel(models.IntegerChoices):
    STANDARD = 1, "Level 1 — pre-approved (standard)"
    PLANNED = 2, "Level 2 — planned"
    EMERGENCY = 3, "Level 3 — emergency"


class ChangeState(models.TextChoices):
    """D4: the ten steps of a level-2 change, each the state the change is in while that step is
    done; plus consultation (a rejected approval, D5) and withdrawn.

    D3/D6 add two: `scheduled`, the step between approval and implementation in which the schedule
    is agreed with the customer (a level-2 change arrives there on approval and leaves for
    implementation only with an agreed window; a level-1 or -3 change may be scheduled too, and a
    halted one of any level comes back there when rescheduled); and `halted`, implementation stopped
    because it ran past its window or deviated from plan, until it is rescheduled or withdrawn."""

    CONFIRM_NEED = "confirm_need", "Confirm need"
    IDENTIFY = "identify", "Identify what changes"
    IMPACT_ASSESSMENT = "impact_assessment", "Impact assessment"
    ENGAGEMENT = "engagement", "Identify who is engaged"
    PLANNING = "planning", "Plan and document"
    APPROVAL = "approval", "Approval"
    SCHEDULED = "scheduled", "Schedule"
    CONSULTATION = "consultation", "Consultation (rejected)"
    IMPLEMENTATION = "implementation", "Implement"
    TESTING = "testing", "Test"
    HALTED = "halted", "Halted"
    CLOSED = "closed", "Closed"
    REVIEWED = "reviewed", "Reviewed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Urgency(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class EmergencyReason(models.TextChoices):
    """D3 level 3: why a change is an emergency."""

    INCIDENT = "incident", "Ongoing incident with loss of service"
    VULNERABILITY_EXPLOITED = "vulnerability_exploited", "Security vulnerability actively exploited"
    VULNERABILITY_HIGH_RISK = "vulnerability_high_risk", "Security vulnerability at high risk of exploitation"


class ApprovalSide(models.TextChoices):
    PROVIDER = "provider", "Provider"
    CUSTOMER = "customer", "Customer"
    INCIDENT_OWNER = "incident_owner", "Incident owner"


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


#: Where a change starts, by level: a level-2 RFC at the first step of D4; a standard or emergency
#: change waits for its one approval (the service desk's, the incident owner's decision).
INITIAL_STATE = {
    ChangeLevel.STANDARD: ChangeState.APPROVAL,
    ChangeLevel.PLANNED: ChangeState.CONFIRM_NEED,
    ChangeLevel.EMERGENCY: ChangeState.APPROVAL,
}

#: The forward steps by hand (approval moves a change out of APPROVAL, rejection into CONSULTATION,
#: both through the approval services). (level, from) -> the states it may go to.
_L2_STEPS = {
    ChangeState.CONFIRM_NEED: (ChangeState.IDENTIFY,),
    ChangeState.IDENTIFY: (ChangeState.IMPACT_ASSESSMENT,),
    ChangeState.IMPACT_ASSESSMENT: (ChangeState.ENGAGEMENT,),
    ChangeState.ENGAGEMENT: (ChangeState.PLANNING,),
    ChangeState.PLANNING: (ChangeState.APPROVAL,),
    ChangeState.CONSULTATION: (ChangeState.PLANNING, ChangeState.APPROVAL),
    ChangeState.SCHEDULED: (ChangeState.IMPLEMENTATION,),
    ChangeState.IMPLEMENTATION: (ChangeState.TESTING,),
    ChangeState.TESTING: (ChangeState.CLOSED, ChangeState.IMPLEMENTATION),
    ChangeState.CLOSED: (ChangeState.REVIEWED,),
}
_SHORT_STEPS = {
    ChangeState.CONSULTATION: (ChangeState.APPROVAL,),
    ChangeState.SCHEDULED: (ChangeState.IMPLEMENTATION,),
    ChangeState.IMPLEMENTATION: (ChangeState.TESTING,),
    ChangeState.TESTING: (ChangeState.CLOSED, ChangeState.IMPLEMENTATION),
    ChangeState.CLOSED: (ChangeState.REVIEWED,),
}
TRANSITIONS: dict[int, dict[str, tuple[str, ...]]] = {
    ChangeLevel.STANDARD: _SHORT_STEPS,
    ChangeLevel.PLANNED: _L2_STEPS,
    ChangeLevel.EMERGENCY: _SHORT_STEPS,
}
#: No step applies any more (a post-change review may still be recorded on a closed change).
FINAL_STATES = frozenset({ChangeState.REVIEWED, ChangeState.WITHDRAWN})
#: D6: where the agreed window is set. A level-2 change is scheduled after approval (its schedule is
#: agreed with the customer), a level-1 or -3 change once approved and before its work is under way
#: (it may be scheduled while still waiting for its one approval); a halted one is rescheduled.
_SHORT_SCHEDULABLE = frozenset({ChangeState.APPROVAL, ChangeState.SCHEDULED, ChangeState.IMPLEMENTATION})
SCHEDULABLE = {
    ChangeLevel.STANDARD: _SHORT_SCHEDULABLE,
    ChangeLevel.PLANNED: frozenset({ChangeState.SCHEDULED}),
    ChangeLevel.EMERGENCY: _SHORT_SCHEDULABLE,
}
#: D6: work under way, halted when it runs past its window or deviates from plan.
UNDER_WAY = frozenset({ChangeState.IMPLEMENTATION, ChangeState.TESTING})
#: The change board's columns, left to right (withdrawn changes are not on it).
BOARD = [s for s in ChangeState if s != ChangeState.WITHDRAWN]
