"""The order lifecycle of H1 as explicit states, and what each step may start from."""

from django.db import models


class OrderState(models.TextChoices):
    ENQUIRY = "enquiry", "Enquiry"
    REQUIREMENTS = "requirements", "Requirements capture"
    PROJECT_MANAGEMENT = "project_management", "Project manager assigned"
    QUOTED = "quoted", "Quoted"
    RECEIVED = "received", "Order form received"
    VALIDATED = "validated", "Validated"
    ACCEPTED = "accepted", "Accepted"
    BUILD = "build", "Build"
    ENABLED = "enabled", "Service enabled"
    CANCELLED = "cancelled", "Cancelled"


#: The owner type of an order's deadline (sla.Deadline.owner_type).
DEADLINE_OWNER = "order"

#: The order board's columns, left to right (cancelled orders are not on the board).
PIPELINE = [s for s in OrderState if s != OrderState.CANCELLED]
#: Orders that are finished: no step applies to them any more.
FINAL_STATES = frozenset({OrderState.ENABLED, OrderState.CANCELLED})


class QuoteCategory(models.TextChoices):
    """H1: "quote (including project management, licensing, network integration)", and the services
    themselves."""

    PROJECT_MANAGEMENT = "project_management", "Project management"
    LICENSING = "licensing", "Licensing"
    NETWORK_INTEGRATION = "network_integration", "Network integration"
    SERVICES = "services", "Services"


#: Step name -> the states it may start from (and the state it leads to, in services.py).
STEP_FROM: dict[str, tuple[str, ...]] = {
    "capture": (OrderState.ENQUIRY,),
    "assign_project_manager": (OrderState.REQUIREMENTS,),
    "quote": (OrderState.REQUIREMENTS, OrderState.PROJECT_MANAGEMENT, OrderState.QUOTED),
    "accept_quote": (OrderState.QUOTED,),
    "update_form": (OrderState.RECEIVED,),
    "validate": (OrderState.RECEIVED,),
    "accept": (OrderState.RECEIVED, OrderState.VALIDATED),
    "start_build": (OrderState.ACCEPTED,),
    "enable": (OrderState.BUILD,),
    "cancel": tuple(s for s in OrderState if s not in FINAL_STATES),
}

STEP_LABELS = {
    "capture": "capture requirements",
    "assign_project_manager": "assign a project manager",
    "quote": "quote",
    "accept_quote": "accept the quote",
    "update_form": "correct the order form",
    "validate": "validate",
    "accept": "accept",
    "start_build": "start the build",
    "enable": "enable the service",
    "cancel": "cancel",
}

CURRENCIES = ("GBP", "EUR", "USD")
