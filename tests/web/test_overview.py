"""The overview page."""

from __future__ import annotations

from tests.factories import make_case


def test_overview_shows_real_counts_by_state(database, client, make_user, login, actor):
    make_case(database, state="closed", actor=actor)
    make_case(database, state="closed", actor=actor)
    make_case(database, state="finding_crux", actor=actor)
    login(make_user("supervisor"))
    response = client.get("/overview", headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 cases in all." in page
    assert '<tr data-state="closed"><td>Closed</td><td class="num">2</td></tr>' in page
    assert "confirm_performance" in page


def test_overview_needs_login(client):
    response = client.get("/overview")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_unknown_url_is_404(client):
    assert client.get("/no-such-page").status_code == 404
