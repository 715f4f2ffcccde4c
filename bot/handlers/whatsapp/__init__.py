"""The WhatsApp door (WhatsApp Business Cloud API).

- ``webhook``: ``GET``/``POST /whatsapp/webhook`` on the API's port; signed calls are
  stored in the inbox before the 200;
- ``inbound``: a webhook call's messages, each as the door's ``Inbound``;
- ``worker``: the inbox handled once per message id, one person's messages in order;
- ``render``: events fitted to WhatsApp (buttons, lists, numbered choices) and sent;
- ``client``: the thin Graph API client; ``sender``: the outbox rows of ``whatsapp``;
- ``runner``: start-up for ``circles run``.
"""
