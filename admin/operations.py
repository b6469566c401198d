"""Operations: the live figures of this instance and the readiness of each dependency
(ops.figures), refreshed by static/js/admin-live.js every few seconds from figures.json."""
from __future__ import annotations

from flask import current_app, jsonify, url_for
from flask_admin import expose

from admin.security import SecureView
from ops.figures import flat, operations_figures

REFRESH_SECONDS = 5


class OperationsView(SecureView):
    @property
    def extra_js(self) -> list[str]:
        return [*super().extra_js, url_for("static", filename="js/admin-live.js")]

    @expose("/")
    def index(self):
        """Sockets, online users, messages per minute, send->ack, errors, jobs, readiness."""
        figures = operations_figures(current_app._get_current_object())
        return self.render("admin/switchboard/operations.html", figures=figures, texts=flat(figures),
                           refresh_seconds=REFRESH_SECONDS)

    @expose("/figures.json")
    def figures(self):
        """The same figures, as the page's script reads them."""
        response = jsonify(flat(operations_figures(current_app._get_current_object())))
        response.headers["Cache-Control"] = "no-store"
        return response
