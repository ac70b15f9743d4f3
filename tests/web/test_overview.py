"""The read-only overview page served by ``mediation serve``."""

from __future__ import annotations

from tests.factories import make_case


def test_overview_shows_real_counts_by_state(database, client, actor) -> None:
    make_case(database, state="closed", actor=actor)
    make_case(database, state="closed", actor=actor)
    make_case(database, state="finding_crux", actor=actor)
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "共 3 件案件" in page
    assert '<td>结案</td><td><code>closed</code></td><td class="num">2</td>' in page
    assert "confirm_performance" in page


def test_unknown_url_is_404(client) -> None:
    assert client.get("/no-such-page").status_code == 404
