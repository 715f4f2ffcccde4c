"""deploy/compose.yaml runs real `circles` commands and checks real routes; the guide
names every service it runs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx
import pytest
import typer
import typer.main
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from bot.handlers.telegram.webhook import webhook_path
from bot.handlers.whatsapp.webhook import PATH as WHATSAPP_PATH
from circles.settings import Settings
from circles_cli.main import app as cli

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
SERVICES = {"db", "migrate", "circles", "scheduler", "proxy"}


@pytest.fixture
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _parses(argv: list[str]) -> None:
    """Parse ``argv`` as the Typer app would, without running it (raises on a bad one)."""
    assert argv[0] == "circles", argv
    command = typer.main.get_command(cli)
    context = command.make_context("circles", argv[1:])
    # Typer carries its own click: a group is what resolves subcommands.
    while hasattr(command, "resolve_command"):
        rest = [*getattr(context, "_protected_args", []), *context.args]
        name, command, args = command.resolve_command(context, rest)
        assert command is not None, argv
        context = command.make_context(name, list(args), parent=context)


def test_the_compose_file_runs_the_services_the_guide_describes(compose: dict) -> None:
    assert set(compose["services"]) == SERVICES
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for service in SERVICES:
        assert f"`{service}`" in guide, service


def test_every_command_is_a_real_circles_command(compose: dict) -> None:
    commands = {
        name: service["command"]
        for name, service in compose["services"].items()
        if "command" in service
    }
    assert set(commands) == {"migrate", "circles", "scheduler"}
    for argv in commands.values():
        _parses(argv)
    assert commands["migrate"] == ["circles", "migrate"]
    with pytest.raises(typer.BadParameter, match="'everything' is not one of"):
        _parses(["circles", "run", "--only", "everything"])


def test_the_replicas_run_the_api_and_the_bot_and_one_scheduler_runs_apart(compose: dict) -> None:
    services = compose["services"]
    assert services["circles"]["command"][2:] == ["--only", "api", "--only", "bot"]
    assert services["scheduler"]["command"][2:] == ["--only", "scheduler"]
    for name in ("circles", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["proxy"]["depends_on"]["circles"]["condition"] == "service_healthy"
    media = {
        services[name]["environment"]["CIRCLES_MEDIA_DIR"] for name in ("circles", "scheduler")
    }
    assert media == {"/data/media"}
    assert services["circles"]["volumes"] == services["scheduler"]["volumes"] == ["media:/data"]


async def test_health_checks_and_webhooks_point_at_real_routes(
    compose: dict, engine: AsyncEngine, tmp_path: Path
) -> None:
    environment = compose["services"]["circles"]["environment"]
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url="sqlite+aiosqlite:///unused.db",
        media_dir=tmp_path,
        webhook_secret="a-secret",
        webhook_url=environment["CIRCLES_WEBHOOK_URL"].replace(
            "${CIRCLES_DOMAIN:?set CIRCLES_DOMAIN in deploy/.env}", "circles.example.org"
        ),
    )
    probe = " ".join(compose["services"]["circles"]["healthcheck"]["test"])
    paths = re.findall(r"http://127\.0\.0\.1:(\d+)(/[a-z]+)", probe)
    assert paths == [(environment["CIRCLES_API_PORT"], "/readyz")]
    transport = httpx.ASGITransport(app=create_app(settings, engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/readyz")).json() == {"status": "ready"}
        assert (await client.get("/healthz")).json() == {"status": "ok"}
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"http://127\.0\.0\.1:8000(/[a-z]+)", dockerfile) == ["/healthz"]
    # The proxy forwards the public webhook URLs to these paths on the replicas' port.
    assert webhook_path(settings) == "/telegram/webhook"
    assert WHATSAPP_PATH == "/whatsapp/webhook"
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert f"dynamic a circles {environment['CIRCLES_API_PORT']}" in caddy
    assert shlex.split(compose["services"]["db"]["healthcheck"]["test"][1])[0] == "pg_isready"
