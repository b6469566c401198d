"""The Web Push service worker, served from the site's root so that its scope covers the chat page."""
from flask import current_app, send_from_directory

from blueprints.chat import bp


@bp.get("/sw.js")
def service_worker():
    """static/js/sw.js at /sw.js (a worker's scope is its own folder and below); public, like static files."""
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # browsers check for a new worker on each visit
    return response
