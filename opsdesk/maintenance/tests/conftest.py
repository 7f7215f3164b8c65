from __future__ import annotations

import pytest
from django.test import Client


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def engineer_user(world):
    """A cloud engineer: plans provider maintenance."""
    return world["engineer"]
