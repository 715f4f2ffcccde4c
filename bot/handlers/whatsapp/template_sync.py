"""``circles whatsapp templates sync``: the repository's templates at Meta, and their review.

Meta reviews every template before it can be sent. This lists the templates of the
WhatsApp Business Account (``GET <api url>/<account id>/message_templates``, page by
page), creates each one of the catalog that is missing there (``POST`` to the same path:
its body with a sample per parameter, its quick replies) and reports every template's
review status: approved, pending, rejected with Meta's reason, paused or disabled.

A template that exists is never changed: Meta allows only a few edits of an approved
template and sends the approved text meanwhile. When its text in the repository changed,
it is reported as differing; give the changed template a new name (``…_v2``) to have it
reviewed anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from bot.handlers.whatsapp.templates import Catalog, Template

#: Templates asked for per page.
PAGE = 200


class SyncError(Exception):
    """Meta could not be asked (network, token, account): one line saying why."""


@dataclass(frozen=True)
class Reviewed:
    """One template of the catalog as Meta has it."""

    name: str
    language: str
    #: approved, pending, rejected, paused, disabled … (Meta's status, lower case), or
    #: "not created" when creating it failed.
    status: str
    #: Why it was rejected or not created.
    reason: str | None = None
    created: bool = False
    #: Meta's text is not the repository's.
    differs: bool = False

    def line(self) -> str:
        """One line for the operator."""
        text = f"{self.name} ({self.language}): {self.status}"
        if self.reason:
            text += f": {self.reason}"
        if self.created:
            text += " (created now)"
        if self.differs:
            text += " (differs from the repository: give the new text a new name)"
        return text


def components(template: Template) -> list[dict[str, Any]]:
    """The components of a template to create: its body with samples, its quick replies."""
    body: dict[str, Any] = {"type": "BODY", "text": template.body}
    if template.examples:
        body["example"] = {"body_text": [list(template.examples)]}
    parts: list[dict[str, Any]] = [body]
    if template.buttons:
        parts.append(
            {
                "type": "BUTTONS",
                "buttons": [{"type": "QUICK_REPLY", "text": label} for label in template.buttons],
            }
        )
    return parts


def _error(response: httpx.Response) -> str:
    """Meta's error message (never the request, which carries the token)."""
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    message = error.get("error_user_msg") or error.get("message") or response.reason_phrase
    code = error.get("code")
    return f"HTTP {response.status_code}" + (f", code {code}" if code else "") + f": {message}"


async def existing_templates(
    client: httpx.AsyncClient, *, api_url: str, account_id: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every template of the account by (name, language)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    url: str | None = f"{api_url}/{account_id}/message_templates"
    params: dict[str, Any] | None = {
        "fields": "name,language,status,category,rejected_reason,components",
        "limit": PAGE,
    }
    while url:
        try:
            response = await client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise SyncError(f"could not reach {api_url}: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise SyncError(f"listing the templates failed ({_error(response)})")
        page = response.json()
        for item in page.get("data", []):
            found[(item.get("name", ""), item.get("language", ""))] = item
        # The next page's URL carries the query already (and a cursor).
        url, params = (page.get("paging") or {}).get("next"), None
    return found


def _body(item: dict[str, Any]) -> str | None:
    for component in item.get("components") or []:
        if str(component.get("type", "")).upper() == "BODY":
            return component.get("text")
    return None


async def sync_templates(
    found: Catalog,
    *,
    api_url: str,
    account_id: str,
    token: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Reviewed]:
    """Create the catalog's templates Meta lacks; every template's review status."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30, transport=transport) as client:
        existing = await existing_templates(client, api_url=api_url, account_id=account_id)
        reviewed = []
        for key in sorted(found.templates):
            template = found.templates[key]
            item = existing.get(key)
            if item is not None:
                body = _body(item)
                reviewed.append(
                    Reviewed(
                        template.name,
                        template.language,
                        str(item.get("status", "unknown")).lower(),
                        _reason(item),
                        differs=body is not None and body != template.body,
                    )
                )
                continue
            reviewed.append(await _create(client, template, api_url, account_id))
    return reviewed


def _reason(item: dict[str, Any]) -> str | None:
    reason = item.get("rejected_reason")
    status = str(item.get("status", "")).lower()
    return str(reason) if status == "rejected" and reason and reason != "NONE" else None


async def _create(
    client: httpx.AsyncClient, template: Template, api_url: str, account_id: str
) -> Reviewed:
    request = {
        "name": template.name,
        "language": template.language,
        "category": template.category.upper(),
        "components": components(template),
    }
    try:
        response = await client.post(f"{api_url}/{account_id}/message_templates", json=request)
    except httpx.HTTPError as exc:
        raise SyncError(f"could not reach {api_url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        return Reviewed(template.name, template.language, "not created", _error(response))
    answer = response.json()
    return Reviewed(
        template.name,
        template.language,
        str(answer.get("status", "pending")).lower(),
        _reason(answer),
        created=True,
    )


__all__ = ["Reviewed", "SyncError", "components", "existing_templates", "sync_templates"]
