from __future__ import annotations

import pytest
from django.test import Client


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(world):
    """The account manager, who takes enquiries and runs the order's steps."""
    return world["account_manager"]
