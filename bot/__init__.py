"""The bot: channel-neutral dialogues in ``flows``, one folder per messaging app in ``handlers``."""

import os

# For the Telegram door (bot/handlers/telegram/): opt in to python-telegram-bot's coming
# timedelta durations now, so its deprecation warnings about int durations (RetryAfter,
# voice notes) stay out of operators' logs. Set here, before any PTB import in the process.
os.environ.setdefault("PTB_TIMEDELTA", "true")
