"""What the command-line tests share: the CLI run in-process."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from circles_cli.main import app


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch):
    """Run ``circles …`` in-process against this test's database."""
    monkeypatch.setenv("CIRCLES_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke
