"""The benchmark's store is built through the domain and served like any other; its ceiling
view lives in its own URLs only. (Its speed is measured by running it, never here.)"""

import pytest
from django.urls import Resolver404, resolve

from connections.models import Application, Variable
from tests.benchmark.team import build_team


def test_the_benchmarks_team_is_what_it_claims_and_served(db, client):
    built = build_team("bench", 3)
    assert Application.objects.filter(team=built.team).count() == 3
    assert Variable.objects.filter(application__team=built.team).count() == 3 * 20
    assert built.database.connections.count() == 3
    assert not built.spare.connections.exists()
    slug, secret = built.applications[0]
    url = f"/api/applications/bench/{slug}/environment"
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content
    assert len(response.json()["variables"]) == 1 + 20 - 1  # PORT; BUILD_CACHE is build-only
    built.rotate_password()
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}").json()["version"] > 1


def test_the_ceiling_is_not_among_the_dashboards_urls():
    with pytest.raises(Resolver404):
        resolve("/benchmark/ceiling")
