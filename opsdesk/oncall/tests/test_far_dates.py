"""Dates in year 1 or 9999 reach the rota maths from the pages as well as the API: refused on the
field by the service (core.limits), never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opsdesk.oncall.models import Rota, RotaOverride
from opsdesk.oncall.tests.conftest import client_for


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_rota_starting_in_a_far_off_year_is_refused_on_the_field(oncall, day):
    client = client_for(oncall["admin"])
    response = client.post(
        reverse("oncall:rota_create"),
        {
            "team": oncall["oncall_team"].pk,
            "name": "Far",
            "handover": "daily",
            "handover_time": "09:00",
            "starts_on": day,
            "participants": oncall["manager"].email,
        },
    )
    assert response.status_code == 200
    assert "out of range" in response.context["form"].errors["starts_on"][0]
    assert Rota.objects.count() == 1


@pytest.mark.parametrize("day", ["0001-01-01T09:00", "9999-12-31T09:00"])
def test_an_override_in_a_far_off_year_is_refused_on_the_field(oncall, day):
    client = client_for(oncall["admin"])
    response = client.post(
        reverse("oncall:override_create"),
        {
            "rota": oncall["rota"].pk,
            "user": oncall["manager"].pk,
            "starts_at": "2026-12-02T09:00",
            "ends_at": day,
        },
    )
    assert response.status_code == 200
    assert "out of range" in response.context["form"].errors["ends_at"][0]
    assert not RotaOverride.objects.exists()
