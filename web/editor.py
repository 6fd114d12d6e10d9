"""The analysts' query editor: YASGUI over this endpoint, with worked examples.

- ``/sparql`` (a browser asking for HTML) renders :func:`editor_page` (through
  ``competency_kg.web.sparql.render_editor``): YASGUI pointed at the endpoint, the graph's
  prefixes (:data:`competency_kg.namespaces.PREFIXES`) preloaded, a menu of the example
  queries of ``queries/`` (:mod:`competency_kg.examples`). The page carries no inline script:
  its configuration is a JSON data block that ``static/editor.js`` reads.
- ``/assets/yasgui/<file>`` serves YASGUI's built files from ``node_modules/`` (npm package
  ``@zazuko/yasgui``, installed by ``scripts/setup`` from ``package.json``; never copied into
  the repository), cached for a year: the page asks for them with ``?v=<version>``.
- ``/sparql/examples`` lists the examples as JSON (id, title, description, text, order).

Without ``node_modules`` the page says how to install YASGUI and offers a plain query form.
The folder is the ``YASGUI_DIR`` setting of the application, else the first of
:data:`YASGUI_DIRS` that holds a build: the copy an installed wheel carries
(``competency_kg/web/vendor/yasgui``, put there by ``setup.py`` when the wheel is built), then
the checkout's ``node_modules/@zazuko/yasgui`` (an editable install, ``scripts/run``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for

from competency_kg.examples import load_examples
from competency_kg.namespaces import PREFIXES
from competency_kg.web.state import state

bp = Blueprint("editor", __name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: Where YASGUI is looked for, in order: the wheel's copy, then the checkout's npm install.
YASGUI_DIRS = (
    Path(__file__).resolve().parent / "vendor" / "yasgui",
    PROJECT_ROOT / "node_modules" / "@zazuko" / "yasgui",
)
DEFAULT_YASGUI_DIR = YASGUI_DIRS[-1]
INSTALL_HINT = (
    "the query editor (YASGUI, npm package @zazuko/yasgui) is not installed: run scripts/setup "
    "(or 'npm ci' in the project folder), then restart the server"
)

#: The built files served, with their content types.
ASSETS = {
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "yasgui.min.css": "text/css; charset=utf-8",
    "yasgui.min.js.map": "application/json",
}
ONE_YEAR = 365 * 24 * 3600

STARTER_QUERY = """\
# Occupations in the graph, with their O*NET-SOC codes where a source gives one.
# Pick a worked example above, or write your own query; Ctrl-Enter runs it.
SELECT DISTINCT ?occupation ?code WHERE {
  ?o a ckg:Occupation ; skos:prefLabel ?occupation .
  OPTIONAL { ?o skos:notation ?code }
}
ORDER BY ?occupation
"""


@dataclass(frozen=True)
class YasguiBuild:
    """An installed YASGUI: its build folder and version."""

    build: Path
    version: str


def yasgui_build() -> YasguiBuild | None:
    """The installed YASGUI build, or None when neither the wheel nor ``node_modules`` has it."""
    configured = current_app.config.get("YASGUI_DIR")
    for root in [Path(configured)] if configured else YASGUI_DIRS:
        build = root / "build"
        if all((build / name).is_file() for name in ("yasgui.min.js", "yasgui.min.css")):
            break
    else:
        return None
    try:
        version = str(json.loads((root / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        version = "unknown"
    return YasguiBuild(build, version)


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@bp.route("/assets/yasgui/<name>")
def yasgui_asset(name: str) -> Response:
    if name not in ASSETS:
        return _plain(404, f"no such YASGUI file: {name}")
    found = yasgui_build()
    if found is None:
        return _plain(404, INSTALL_HINT)
    path = found.build / name
    if not path.is_file():
        return _plain(404, f"{name} is not in the installed YASGUI {found.version}")
    resp = Response(path.read_bytes(), status=200, content_type=ASSETS[name])
    resp.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/sparql/examples")
def examples_json() -> Response:
    resp = jsonify([e.as_json() for e in load_examples()])
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def editor_page() -> Response:
    """The editor page (HTML) for ``/sparql``."""
    found = yasgui_build()
    endpoint = url_for("sparql.endpoint")
    examples = load_examples()
    config = {
        "endpoint": endpoint,  # editor.js resolves it against the page's own address
        # result IRIs under the data base open their page on this server (same path)
        "dataBase": state().settings.minter.base,
        "prefixes": PREFIXES,
        "starterQuery": "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
        + "\n"
        + STARTER_QUERY,
        "examples": [e.as_json() for e in examples],
        "yasgui": found is not None,
    }
    assets = None
    if found is not None:
        assets = {
            "js": url_for("editor.yasgui_asset", name="yasgui.min.js", v=found.version),
            "css": url_for("editor.yasgui_asset", name="yasgui.min.css", v=found.version),
            "version": found.version,
        }
    html = render_template(
        "editor.html",
        endpoint=endpoint,
        config=config,
        examples=examples,
        yasgui=assets,
        starter_query=config["starterQuery"],
    )
    return Response(html, status=200, content_type="text/html; charset=utf-8")
