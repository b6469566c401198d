"""The operator back office at /admin (Flask-Admin). Only the admin role gets in."""
from flask import Flask, abort, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_login import current_user


def operator_only():
    """None when the current user is an operator; otherwise the response to send."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if not current_user.is_admin:
        abort(403)
    return None


class SecureIndexView(AdminIndexView):
    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_admin

    def inaccessible_callback(self, name, **kwargs):
        return operator_only()

    @expose("/")
    def index(self):
        return self.render("admin/index.html")


def init_admin(app: Flask) -> Admin:
    admin = Admin(app, name="Switchboard", index_view=SecureIndexView(url="/admin"))
    return admin
