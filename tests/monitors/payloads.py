"""Payloads captured from real senders, verbatim from shared/reference/formats.md section 3:
Alertmanager 0.25 (webhook v4 and its PagerDuty sender), the official PagerDuty Python client,
and the Grafana documentation's example. A pair one sender sends for the same alert (firing, then
resolved) is built from what the two share, so the difference between them is what reads here;
each built payload is equal, key for key and in order, to the captured one."""

from __future__ import annotations

import copy
from typing import Any

AM_FIRING: dict[str, Any] = {
    "receiver": "statuspage",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "ApiDown",
                "component": "api",
                "service": "api",
                "severity": "critical",
            },
            "annotations": {
                "description": "Error rate above 50% for 5m",
                "summary": "API is returning 5xx",
            },
            "startsAt": "2026-11-23T05:37:11Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=up%3D%3D0",
            "fingerprint": "c4f8abd9bbb36f28",
        }
    ],
    "groupLabels": {"alertname": "ApiDown", "service": "api"},
    "commonLabels": {
        "alertname": "ApiDown",
        "component": "api",
        "service": "api",
        "severity": "critical",
    },
    "commonAnnotations": {
        "description": "Error rate above 50% for 5m",
        "summary": "API is returning 5xx",
    },
    "externalURL": "http://vm:19093",
    "version": "4",
    "groupKey": '{}:{alertname="ApiDown", service="api"}',
    "truncatedAlerts": 0,
}

AM_WARNING: dict[str, Any] = {
    "receiver": "statuspage",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "DbSlow", "service": "db", "severity": "warning"},
            "annotations": {"summary": "DB latency high"},
            "startsAt": "2026-11-23T05:37:19.558906685Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph",
            "fingerprint": "ce2e4c79be43229d",
        }
    ],
    "groupLabels": {"alertname": "DbSlow", "service": "db"},
    "commonLabels": {"alertname": "DbSlow", "service": "db", "severity": "warning"},
    "commonAnnotations": {"summary": "DB latency high"},
    "externalURL": "http://vm:19093",
    "version": "4",
    "groupKey": '{}:{alertname="DbSlow", service="db"}',
    "truncatedAlerts": 0,
}


def _resolved(firing: dict[str, Any], ends_at: str) -> dict[str, Any]:
    """What Alertmanager sends when a firing group resolves: the same payload with its status,
    and each alert's, set to "resolved", and the alert's endsAt set to when it resolved."""
    resolved = copy.deepcopy(firing)
    resolved["status"] = "resolved"
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = ends_at
    return resolved


AM_RESOLVED = _resolved(AM_FIRING, ends_at="2026-11-23T05:37:26Z")

#: The alert as Alertmanager's PagerDuty sender describes it in custom_details.
_PD_AM_ALERT = "Labels:\n - alertname = ApiDown\n - service = api\n - severity = critical\nAnnotations:\n - summary = API is returning 5xx\nSource: http://127.0.0.1:9090/graph\n"


def _pd_from_alertmanager(action: str, summary: str, firing: int) -> dict[str, Any]:
    """An event of Alertmanager's PagerDuty sender for the one ApiDown alert: a trigger while it
    fires, a resolve once it resolved; the alert's text moves between the two lists."""
    return {
        "routing_key": "0123456789abcdef0123456789abcdef",
        "dedup_key": "20246c7462f7e8ef9a8746969f75aed203b57b2d66d74a13b114003172fe3557",
        "event_action": action,
        "payload": {
            "summary": summary,
            "source": "Alertmanager",
            "severity": "error",
            "custom_details": {
                "firing": _PD_AM_ALERT if firing else "",
                "num_firing": str(firing),
                "num_resolved": str(1 - firing),
                "resolved": "" if firing else _PD_AM_ALERT,
            },
        },
        "client": "Alertmanager",
        "client_url": "http://127.0.0.1:19093/#/alerts?receiver=pd",
    }


PD_AM_TRIGGER = _pd_from_alertmanager("trigger", "[FIRING:1] ApiDown (api critical)", firing=1)
PD_AM_RESOLVE = _pd_from_alertmanager("resolve", "[RESOLVED] ApiDown (api critical)", firing=0)

PD_CLIENT_TRIGGER: dict[str, Any] = {
    "event_action": "trigger",
    "payload": {
        "summary": "API is returning 5xx",
        "source": "api.example.internal",
        "severity": "critical",
        "custom_details": {"error_rate": "52%"},
    },
    "dedup_key": "api-5xx",
    "routing_key": "0123456789abcdef0123456789abcdef",
}

GRAFANA: dict[str, Any] = {
    "receiver": "My Super Webhook",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
        }
    ],
    "groupLabels": {},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://play.grafana.org/",
    "version": "1",
    "groupKey": "{}:{}",
    "truncatedAlerts": 0,
    "title": "[FIRING:2]  (blue)",
    "state": "alerting",
    "message": "**Firing**\n\nValue: B=44.23943737541908, C=1 ...",
}

PD_CLIENT_RESOLVE: dict[str, Any] = {
    "event_action": "resolve",
    "dedup_key": "api-5xx",
    "routing_key": "0123456789abcdef0123456789abcdef",
}
