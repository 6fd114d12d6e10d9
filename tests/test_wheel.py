"""The package as a wheel: built, installed in a fresh venv, run from a folder outside the checkout.

What a deployment gets with ``pip install competency_kg-….whl``: the ontology, the shapes, the
JSON-LD contexts, the comparison's and the editor's queries, templates, static files and
YASGUI's built files must all come from the installed package, never from the checkout.

- The wheel is built from a copy of the project's sources (``pip wheel --no-deps
  --no-build-isolation``: offline, with the setuptools of the test venv, the ``dev`` extra), so
  the checkout gets no ``build/`` or ``*.egg-info``; ``node_modules`` is linked into the copy, as
  ``setup.py`` copies YASGUI's files from it.
- The fresh venv gets the wheel only (``--no-deps --no-index``); the dependencies come from the
  test venv's ``site-packages`` through a ``.pth`` line (nothing downloaded), which does not run
  that folder's own ``.pth`` files, so the checkout's editable install stays out of reach:
  :func:`test_the_package_comes_from_the_wheel` checks it.
- Then, in an empty working folder, ``competency-kg load`` (a framework, an overview, a CTDL-ASN
  file) and ``competency-kg serve``; every request below goes over HTTP.

How these tests were checked to fail: with ``"competency_kg.queries" = ["*.rq"]`` taken out of
``pyproject.toml``'s package data, ``/sparql/examples`` answered ``[]`` and the examples test
failed; with ``setup.py``'s YASGUI copy turned off, ``/assets/yasgui/yasgui.min.js`` answered
404 (the editor fell back to its plain form) and the editor test failed; with the templates'
package data taken out, the pages and the editor tests failed; run from the checkout's folder,
the import check failed (the checkout's ``competency_kg`` shadowed the wheel's).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sparql_support import Reply, fetch

from support import FIXTURES, FRAMEWORK_SEED, OVERVIEW_SEED, ROOT, serving

sys.path.insert(0, str(ROOT))  # the bench package lives at the project root, beside tests/

from bench.servers import free_port

YASGUI_NPM = ROOT / "node_modules" / "@zazuko" / "yasgui"


@dataclass
class Installed:
    venv: Path
    workdir: Path
    url: str
    log: Path

    def get(self, path: str, accept: str = "text/html") -> Reply:
        return fetch(self.url, path, headers={"Accept": accept}, timeout=60)


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _sources(into: Path) -> Path:
    """A copy of what a wheel is built from: the build files and every mapped package folder."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    folders = set(pyproject["tool"]["setuptools"]["package-dir"].values())
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in sorted(folders):
        shutil.copytree(ROOT / folder, into / folder, ignore=skip)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, into / name)
    (into / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    return into


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPETENCY_KG_", "PYTHON"))}
    env["COMPETENCY_KG_WARM_PAGES"] = "0"  # no background page rendering on a shared machine
    env["COMPETENCY_KG_WARM_REPORT"] = "0"  # nor the validation report
    env["COMPETENCY_KG_WARM_TRANSITIONS"] = "0"  # nor the transition graph
    src = _sources(tmp / "src")
    dist = tmp / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, src, cwd=tmp, env=env)
    (wheel,) = dist.glob("competency_kg-*.whl")

    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp, env=env)
    python = venv / "bin" / "python"
    _run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp, env=env)
    purelib = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
             cwd=tmp, env=env).strip()
    )  # fmt: skip
    (purelib / "zz-test-venv-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )

    workdir = tmp / "work"  # outside the checkout: nothing found relative to it
    workdir.mkdir()
    kg = venv / "bin" / "competency-kg"
    ctdl = FIXTURES / "ctdl" / "welding-framework.jsonld"
    _run(kg, "load", FRAMEWORK_SEED, OVERVIEW_SEED, ctdl, "--store", "store", cwd=workdir, env=env)
    port = free_port()
    s = Installed(venv, workdir, f"http://127.0.0.1:{port}", workdir / "serve.log")
    serve = [kg, "serve", "--store", "store", "--port", str(port), "--query-workers", "2"]
    with serving(serve, cwd=workdir, env=env, log=s.log, url=s.url):
        yield s


def test_the_package_comes_from_the_wheel(installed: Installed) -> None:
    """Not the checkout: otherwise every other test here would prove nothing."""
    where = _run(
        installed.venv / "bin" / "python", "-c",
        "import competency_kg.web.editor as e, competency_kg.examples as x;"
        " print(e.__file__); print(x.QUERIES_DIR)",
        cwd=installed.workdir, env={"PATH": os.environ.get("PATH", "")},
    ).split()  # fmt: skip
    for path in where:
        assert Path(path).is_relative_to(installed.venv), where
        assert not Path(path).is_relative_to(ROOT), where


def test_pages_render_from_the_installed_templates(installed: Installed) -> None:
    home = installed.get("/")
    assert home.status == 200 and home.content_type == "text/html", home.text[:500]
    assert "Computer User Support Specialists" in home.text
    occupation = installed.get("/occupation/15-1299.00")
    assert occupation.status == 200, occupation.text[:500]
    assert "<html" in occupation.text and "15-1299.00" in occupation.text
    css = installed.get("/static/site.css", "text/css")
    assert css.status == 200 and css.body == (ROOT / "web" / "static" / "site.css").read_bytes()
    ontology = installed.get("/ontology", "text/turtle")  # the ontology file, as package data
    assert ontology.status == 200
    assert ontology.body == (ROOT / "ontology" / "competency-kg.ttl").read_bytes()
    welding = installed.get("/search?q=welding&format=json", "application/json")
    assert welding.status == 200 and json.loads(welding.body)["count"] > 0  # CTDL-ASN context


def test_the_editor_serves_yasgui_from_the_wheel(installed: Installed) -> None:
    page = installed.get("/sparql")
    assert page.status == 200 and "/assets/yasgui/yasgui.min.js" in page.text, page.text[:800]
    assert "not installed" not in page.text
    for name, mime in (("yasgui.min.js", "text/javascript"), ("yasgui.min.css", "text/css")):
        asset = installed.get(f"/assets/yasgui/{name}?v=1", "*/*")
        assert asset.status == 200, asset.text[:300]
        assert asset.content_type == mime
        assert asset.body == (YASGUI_NPM / "build" / name).read_bytes()


def test_a_worked_query_runs_from_the_installed_examples(installed: Installed) -> None:
    listed = installed.get("/sparql/examples", "application/json")
    assert listed.status == 200
    examples = {e["id"]: e for e in json.loads(listed.body)}
    assert set(examples) == {p.stem for p in (ROOT / "queries").glob("*.rq")}
    query = examples["competencies-by-level"]["text"]
    answer = fetch(
        installed.url, "/sparql", method="POST", body=f"query={quote(query)}", timeout=60,
        headers={"Accept": "application/sparql-results+json",
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert answer.status == 200, answer.text[:500]
    assert len(json.loads(answer.body)["results"]["bindings"]) > 0


def test_a_comparison_runs_from_the_installed_queries(installed: Installed) -> None:
    reply = installed.get(
        "/compare?a=15-1299.00&b=Computer+User+Support+Specialists&format=json", "*/*"
    )
    assert reply.status == 200, reply.text[:500]
    doc = json.loads(reply.body)
    assert doc["a"]["code"] == "15-1299.00", doc["a"]
    assert "Computer User Support Specialists" in json.dumps(doc["b"]), doc["b"]
