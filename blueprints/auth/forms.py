"""Forms for the account pages. Validation rules live in actions.validation."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TelField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from actions.validation import PASSWORD_MIN_LENGTH
from i18n.errors import error_text


class LoginForm(FlaskForm):
    username = StringField(_l("Username, email or phone"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=128)])


class RegisterForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(min=3, max=32)],
                           description=_l("3 to 32 characters: letters, digits, “_”, “.” or “-”."))
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=64)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Phone (optional)"), validators=[Optional(), Length(max=32)])
    invite = StringField(_l("Invitation code"), validators=[Optional(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(min=PASSWORD_MIN_LENGTH, max=128)],
                             description=_l("At least %(count)s characters; not a common password, nor the username.",
                                            count=PASSWORD_MIN_LENGTH))
    confirm = PasswordField(_l("Repeat password"),
                            validators=[InputRequired(), EqualTo("password", _l("Passwords differ."))])


class ConfirmForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=16)])


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("Username, email or phone"), validators=[InputRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    login = StringField(_l("Username, email or phone"), validators=[InputRequired(), Length(max=254)])
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=16)])
    password = PasswordField(_l("New password"), validators=[InputRequired(), Length(min=PASSWORD_MIN_LENGTH, max=128)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[InputRequired(), EqualTo("password", _l("Passwords differ."))])
    # Shown to everyone (it tells nothing about the account); needed for an account with two-factor.
    totp = StringField(_l("Code (app or recovery)"), validators=[Optional(), Length(max=20)],
                       description=_l("Only if your account has two-factor authentication."))


# Where a refusal's message goes on the page: next to the field it is about (else a banner).
FIELD_OF_ERROR = {
    "invalid_username": "username", "username_taken": "username", "invalid_display_name": "display_name",
    "invalid_email": "email", "email_taken": "email", "invalid_phone": "phone", "phone_taken": "phone",
    "invalid_address": "email", "address_required": "email",
    "invalid_invite": "invite", "invalid_password": "password", "common_password": "password",
    "password_contains_username": "password", "invalid_code": "code", "wrong_code": "code", "code_expired": "code",
    "code_exhausted": "code", "invalid_login": "login",
}


def show_error(form: FlaskForm, error) -> bool:
    """Put an action's refusal next to its field; False if the form has no such field."""
    field = getattr(form, FIELD_OF_ERROR.get(error.code, ""), None)
    if field is None:
        return False
    field.errors = [*field.errors, error_text(error.code, error.message)]
    return True
