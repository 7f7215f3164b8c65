"""The escalation matrix page (C7): through the Django client, as a customer, as staff, anonymous."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from opsdesk.incidents.tests.conftest import client_for

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"incidents:{name}", args=args)


def test_escalation_matrix_lists_four_levels_and_five_criteria(world):
    response = client_for(world["customer_a"]).get(url("escalation_matrix"))
    assert response.status_code == 200
    text = response.content.decode()
    assert len(response.context["levels"]) == 4
    assert len(response.context["criteria"]) == 5
    for level in range(1, 5):
        assert f'data-testid="level-{level}"' in text
    assert text.count('data-testid="criterion"') == 5
    assert "Customer experience director" in text
    assert "considered response within 4 working hours" in text.lower()
    assert client_for(world["engineer"]).get(url("escalation_matrix")).status_code == 200
    assert Client().get(url("escalation_matrix")).status_code == 302
