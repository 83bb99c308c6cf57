"""/docs: the API reference, read from /openapi.json by Swagger UI.

The viewer's files come from the flask-swagger-ui package (Swagger UI's own dist, Apache 2.0,
its LICENSE served beside it at /docs/static/LICENSE), so the page works without internet and
runs no script from another host on this origin, where the back office lives too. Our page and
its start-up script are our own: the Content-Security-Policy allows scripts from this server only.
"""
from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, send_from_directory

VIEWER = files("flask_swagger_ui") / "dist"

bp = Blueprint("docs", __name__, url_prefix="/docs")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>bnpl merchant API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui" data-document="/openapi.json"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"""

# validatorUrl null: Swagger UI would otherwise send our document to validator.swagger.io.
INIT = """window.addEventListener("load", function () {
  var url = document.getElementById("swagger-ui").dataset.document;
  window.ui = SwaggerUIBundle({url: url, dom_id: "#swagger-ui", deepLinking: true,
                               validatorUrl: null, presets: [SwaggerUIBundle.presets.apis]});
});
"""

# Swagger UI sets styles inline and draws icons as data: images; everything comes from here.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'none'")


@bp.get("")
def page():
    return Response(PAGE, mimetype="text/html", headers={"Content-Security-Policy": CSP})


@bp.get("/init.js")
def init():
    return Response(INIT, mimetype="text/javascript")


@bp.get("/static/<path:name>")
def viewer(name: str):
    return send_from_directory(str(VIEWER), name, max_age=86400)
