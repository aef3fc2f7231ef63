"""HTML pages: linked-data pages at the entity IRIs, the query page, company and validation pages."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")
