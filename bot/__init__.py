"""The Telegram door: PTB glue in ``handlers``, the conversation engine in ``flows``."""

import os

# Opt in to python-telegram-bot's coming timedelta durations now, so its deprecation
# warnings about int durations (RetryAfter, voice notes) stay out of operators' logs.
os.environ.setdefault("PTB_TIMEDELTA", "true")
