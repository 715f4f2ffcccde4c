"""The doors of the bot: one folder per messaging app (``telegram``, ``whatsapp``)."""
