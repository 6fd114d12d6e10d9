"""Build steps pyproject.toml cannot say: package discovery through the package-dir mapping, and
the query editor's browser files copied from ``node_modules/`` into a wheel.

Everything else (metadata, dependencies, the mapping itself, package data) is in
``pyproject.toml``. Read ``docs/packaging.md`` for why.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PACKAGE_DIR: dict[str, str] = tomllib.loads((HERE / "pyproject.toml").read_text("utf-8"))[
    "tool"
]["setuptools"]["package-dir"]

#: The npm package the editor page serves, and the files of it a wheel carries.
YASGUI_NPM = Path("node_modules") / "@zazuko" / "yasgui"
YASGUI_FILES = ("package.json", "build/yasgui.min.js", "build/yasgui.min.css",
                "build/yasgui.min.js.map")  # fmt: skip
#: Where they go inside the installed package (``competency_kg.web.editor`` looks there first).
YASGUI_IN_WHEEL = Path("competency_kg") / "web" / "vendor" / "yasgui"


def mapped_packages() -> list[str]:
    """Every package under each folder of the mapping, named by the package it maps to.

    Folders without Python (templates, static, compare_queries, contexts) are namespace
    packages holding package data: listing them is what setuptools asks for, so the build
    prints no "Package would be ignored" warnings; new sub-packages are found without editing.
    """
    found: set[str] = set()
    for package, folder in PACKAGE_DIR.items():
        found.add(package)
        for sub in find_namespace_packages(where=str(HERE / folder), exclude=["*__pycache__*"]):
            found.add(f"{package}.{sub}")
    return sorted(found)


class BuildPyWithEditorAssets(build_py):
    """``build_py`` that also puts YASGUI's built files into the wheel (not in editable mode,
    where the editor reads them from ``node_modules/`` itself)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        source = HERE / YASGUI_NPM
        missing = [f for f in YASGUI_FILES if not (source / f).is_file()]
        if missing:
            raise SystemExit(
                f"{YASGUI_NPM} lacks {', '.join(missing)}: run 'npm ci' (or scripts/run) "
                "before building a wheel; the query editor serves these files"
            )
        target = Path(self.build_lib) / YASGUI_IN_WHEEL
        for name in YASGUI_FILES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, target / name)


setup(packages=mapped_packages(), cmdclass={"build_py": BuildPyWithEditorAssets})
