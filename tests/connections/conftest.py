"""Fixtures for the connections tests: an application and a database of the same team and region."""

import pytest


@pytest.fixture
def app(make_application):
    return make_application(name="Storefront", slug="storefront")


@pytest.fixture
def database(make_database):
    return make_database(name="Shop DB", slug="shop-db")


HTMX = {"HX-Request": "true"}
