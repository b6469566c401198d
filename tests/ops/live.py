"""Reading a live server's /metrics, for the operations tests."""
from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

METRICS_TOKEN = "metrics-token-of-the-live-tests"
Sample = tuple[str, frozenset]


def scrape(url: str, token: str = METRICS_TOKEN) -> dict[Sample, float]:
    """Every sample of /metrics by (name, labels)."""
    response = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    response.raise_for_status()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    """A sample's value, 0 when the series does not exist yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape_until(url: str, condition, what: str) -> dict[Sample, float]:
    """Scrape until `condition(samples)` holds; those samples."""
    from tests.servers import wait_for

    def attempt():
        samples = scrape(url)
        return samples if condition(samples) else None

    return wait_for(attempt, what=what)
