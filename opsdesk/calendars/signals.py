"""The seam through which the layers above calendars react to a calendar change (README ›
Architecture): calendars imports nothing of them.

Sent by the recomputation task (calendars.tasks.recompute_now) once a change has committed, with
`calendar` (as it is now). A receiver recomputes what it keeps on that calendar and returns how
many rows changed; the task marks the calendar's version recomputed when every receiver is done,
so a worker that dies mid-way leaves it to the minute sweep.
"""

from django.dispatch import Signal

calendar_changed = Signal()
