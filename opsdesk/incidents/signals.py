"""The seams through which the parts of incident handling that are not the incident itself
(escalations, RCAs, and later on-call paging) react to an incident, without the incident's
services importing them (README › Architecture).

Receivers run synchronously inside the sender's transaction, so what they write commits with the
change or not at all; a receiver calls one service of its own package and holds no rule of its own.
"""

from django.dispatch import Signal

#: Sent by `incident_close` inside its transaction, with `incident` (closed) and `actor`.
incident_closed = Signal()
