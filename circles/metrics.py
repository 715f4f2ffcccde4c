"""Prometheus metrics shared by the doors (served at ``/metrics`` by the API)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter(
    "circles_updates_handled",
    "Updates from any app (messages, button presses) handled, once each",
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "circles_updates_duplicate", "Updates from any app seen again and skipped", registry=REGISTRY
)
SENT = Counter("circles_messages_sent", "Outbox messages sent", ["priority"], registry=REGISTRY)
RETRY_AFTER = Counter("circles_telegram_429", "429 answers from Telegram", registry=REGISTRY)
FAILED = Counter(
    "circles_messages_failed",
    "Outbox messages that failed or were unreachable",
    ["state"],
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "circles_outbox_pending", "Outbox messages waiting to be sent", registry=REGISTRY
)
SCHEDULER_LAG = Gauge(
    "circles_scheduler_lag_seconds",
    "Seconds between when a sweep was due and when it ran",
    registry=REGISTRY,
)
