"""The scheduler door: APScheduler runs idempotent sweeps that call flows and services."""
