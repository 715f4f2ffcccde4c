"""The Telegram door: PTB glue in ``handlers``, the conversation engine in ``flows``."""
