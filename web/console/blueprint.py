"""The console's blueprint; the modules of :mod:`web.console` add their routes to it."""

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")  # templates: web/templates/console/
