"""The models page shows the monitoring's alerts, in French."""

from __future__ import annotations

from pathlib import Path

from tests.serving.conftest import Store, auth
from tests.serving.test_pages import client_of, signed_in
from tests.serving.test_pages_forecast_models import _site
from tests.serving.trained_store import trained_store  # noqa: F401


def test_the_models_page_lists_the_alerts(trained_store: Store, tmp_path: Path) -> None:  # noqa: F811
    settings, keys = _site(trained_store, tmp_path)
    # A threshold nothing stays under: the score's PSI over 90 days raises an alert.
    touchy = settings.model_copy(update={"monitor_psi_alert": 1e-9})
    with client_of(touchy) as client:
        signed_in(client, keys["viewer"])
        page = client.get("/ui/models")
        end = trained_store.ledger.invoices["issue_date"].max().date().isoformat()
        api = client.get("/v1/monitoring", params={"as_of": end}, headers=auth(keys["viewer"]))
    assert page.status_code == 200
    section = page.text.split('id="monitoring"')[1].split("</section>")[0]
    alerts = api.json()["alerts"]
    assert section.count("data-alert=") == len(alerts) > 0
    assert "PSI du score sur les 90 derniers jours" in section
