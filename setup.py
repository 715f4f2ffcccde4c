"""Build step that puts the translations into the wheel; everything else is in pyproject.toml.

The catalogs live in the repository's top-level ``locales/`` (the layout translators and
``make messages`` use). A built package has no repository next to it, so ``build_py``
copies every ``locales/<language>/LC_MESSAGES/messages.po`` into ``circles/locales/`` of
the build and compiles it to ``messages.mo`` with Babel. The ``.po`` goes along because
``circles flows check`` reads it (it needs the fuzzy flags the ``.mo`` drops).
``circles.i18n`` prefers those packaged catalogs and falls back to ``locales/`` in an
editable install, where this step does nothing.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
CATALOG = Path("LC_MESSAGES") / "messages.po"


class BuildPyWithCatalogs(build_py):
    """``build_py``, plus the compiled catalogs as package data of ``circles``."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            self._compile_catalogs()

    def _targets(self) -> list[tuple[Path, Path]]:
        target = Path(self.build_lib) / "circles" / "locales"
        return [
            (po, target / po.relative_to(ROOT / "locales"))
            for po in sorted((ROOT / "locales").glob(f"*/{CATALOG}"))
        ]

    def _compile_catalogs(self) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        targets = self._targets()
        if not targets:
            raise SystemExit("no catalogs in locales/*/LC_MESSAGES/messages.po to package")
        for source, po in targets:
            po.parent.mkdir(parents=True, exist_ok=True)
            self.copy_file(str(source), str(po))
            with source.open("rb") as handle:
                catalog = read_po(handle, locale=source.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalog)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        for _, po in self._targets():
            outputs += [str(po), str(po.with_suffix(".mo"))]
        return outputs


setup(cmdclass={"build_py": BuildPyWithCatalogs})
