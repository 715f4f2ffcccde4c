"""``pip install .`` gives an operator a working ``circles`` that needs nothing from the repository.

The wheel is built from a copy of the sources without compiled catalogs, installed without
its dependencies into a fresh virtualenv that borrows only the test virtualenv's installed
libraries (its site-packages directory on ``sys.path``, not its ``.pth`` files, so not the
editable install of this repository), and run from an empty directory.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from babel.messages.pofile import read_po

from circles.migrate import alembic_config

REPO = Path(__file__).resolve().parents[1]
FRENCH = REPO / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
MSGID = "There is no such page."
_NOT_SOURCES = shutil.ignore_patterns(
    ".*",  # .git, .venv, tool caches
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    "artifacts",
    "test-artifacts",
    "*.db",
    "*.db-*",
    "*.mo",  # the build must compile the catalogs itself
    "tests",
    "bench",
)


def _run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args], capture_output=True, text=True, timeout=120, **kwargs
    )


def _check(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


class Installed:
    """A fresh virtualenv with the built wheel in it, and a place to run it from."""

    def __init__(self, root: Path) -> None:
        self.venv = root / "venv"
        self.bin = self.venv / "bin"
        self.cwd = root / "empty"
        self.cwd.mkdir()
        self.database = root / "data" / "circles.db"
        self.database.parent.mkdir()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CIRCLES_", "PYTHON", "VIRTUAL_ENV"))
        }
        self.env |= {
            "CIRCLES_DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
            "PYTHONNOUSERSITE": "1",
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def run(self, *args: str | Path) -> str:
        return _check(_run(list(args), cwd=self.cwd, env=self.env))

    def python(self, code: str) -> str:
        return self.run(self.bin / "python", "-c", textwrap.dedent(code))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("packaging")
    source, wheels = root / "source", root / "wheels"
    shutil.copytree(REPO, source, ignore=_NOT_SOURCES)
    pip = [sys.executable, "-m", "pip"]
    offline = ["--no-deps", "--no-index", "--quiet"]
    _check(_run([*pip, "wheel", "--no-build-isolation", *offline, "-w", wheels, source]))
    (wheel,) = wheels.glob("learning_circles-*.whl")
    env = Installed(root)
    _check(_run([sys.executable, "-m", "venv", "--without-pip", env.venv]))
    _check(_run([*pip, "--python", env.bin / "python", "install", *offline, wheel]))
    # The dependencies come from the test virtualenv: its site-packages directories on the
    # path. Being listed in a .pth file, they are not site directories themselves, so their
    # own .pth files (the editable finder of this repository) are never run.
    borrowed = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    site = env.python("import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    (Path(site) / "borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n")
    return env


def test_the_installed_package_is_the_wheel_not_the_repository(installed: Installed) -> None:
    found = json.loads(
        installed.python(
            """
            import json, api, bot, circles, circles_cli, migrations, scheduler
            modules = [api, bot, circles, circles_cli, migrations, scheduler]
            print(json.dumps([module.__file__ for module in modules]))
            """
        )
    )
    venv = installed.venv.resolve()
    assert all(Path(path).resolve().is_relative_to(venv) for path in found), found


def test_operator_checks_the_flows_of_the_installed_package(installed: Installed) -> None:
    output = installed.run("circles", "flows", "check")

    assert "All flows are sound and translated." in output


def test_operator_checks_the_whatsapp_templates_of_the_installed_package(
    installed: Installed,
) -> None:
    output = installed.run("circles", "whatsapp", "templates", "check")

    assert "All 34 templates are complete in 272 language versions" in output


def test_operator_migrates_a_new_database_with_the_installed_package(
    installed: Installed,
) -> None:
    installed.run("circles", "migrate")

    with sqlite3.connect(installed.database) as connection:
        (version,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_french_reader_gets_french_from_the_installed_catalogs(installed: Installed) -> None:
    with FRENCH.open("rb") as handle:
        expected = read_po(handle)[MSGID].string
    output = installed.python(
        f"""
        import json
        from circles.i18n import LOCALES_DIR, translate
        print(json.dumps([str(LOCALES_DIR), translate({MSGID!r}, "fr")]))
        """
    )

    locales, french = json.loads(output)
    assert Path(locales).resolve().is_relative_to(installed.venv.resolve())
    assert expected and french == expected


def test_the_dashboard_sign_in_page_and_its_stylesheet_are_served_from_the_package(
    installed: Installed,
) -> None:
    output = installed.python(
        """
        import json
        from fastapi.testclient import TestClient
        from api.app import create_app
        from circles.db import create_engine
        from circles.settings import load_settings

        settings = load_settings()
        with TestClient(create_app(settings, create_engine(settings.database_url))) as client:
            page = client.get("/dashboard/sign-in")
            sheet = client.get("/web-static/web.css")
        print(json.dumps([page.status_code, page.text, sheet.status_code]))
        """
    )

    page_status, page, sheet_status = json.loads(output)
    assert (page_status, sheet_status) == (200, 200)
    assert '<link rel="stylesheet" href="/web-static/web.css">' in page
