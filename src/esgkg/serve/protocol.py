"""The SPARQL 1.1 Protocol endpoint (``/sparql``) and the named queries over HTTP (``/api/queries``)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("protocol", __name__)
