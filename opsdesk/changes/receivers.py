"""B5: a calendar change that moves a change's deadlines (sla) moves its copies."""

from opsdesk.changes.services import DEADLINE_OWNER, change_due_copy
from opsdesk.sla.signals import copy_when_moved

copy_when_moved(DEADLINE_OWNER, change_due_copy)
