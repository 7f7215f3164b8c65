"""B5: a calendar change that moves an order's acceptance deadline (sla) moves its copy."""

from opsdesk.orders.services import DEADLINE_OWNER, order_due_copy
from opsdesk.sla.signals import copy_when_moved

copy_when_moved(DEADLINE_OWNER, order_due_copy)
