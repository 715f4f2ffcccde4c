"""Learning Circles domain core: settings, database, models and services.

Nothing in this package imports the Telegram or HTTP doors (`bot`, `api`).
"""
