"""Forms of the back office. All derive from FlaskForm (CSRF token); rules live in actions.validation."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from models.conversation import MEMBER_ROLES
from models.user import ROLES


class UserCreateForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(min=3, max=32)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=64)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    role = SelectField(_l("Role"), choices=[(role, role) for role in ROLES], default="user")
    password = PasswordField(_l("First password"), validators=[InputRequired(), Length(min=8, max=128)])
    must_change_password = BooleanField(_l("Must choose a new password at first login"), default=True)


class UserEditForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(min=3, max=32)])
    display_name = StringField(_l("Display name"), validators=[InputRequired(), Length(max=64)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])


class ResetPasswordForm(FlaskForm):
    temporary_password = PasswordField(_l("Temporary password"), validators=[InputRequired(), Length(min=8, max=128)])


class SuspendForm(FlaskForm):
    # The operator's own clock reads it: the page says the time is UTC (actions.user_admin.suspend_user checks it).
    until = DateTimeLocalField(_l("Suspended until (UTC)"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    # One line, as the action takes it (actions.validation: a reason holds no line break), at most 500 characters.
    reason = StringField(_l("Reason (the user is told)"), validators=[InputRequired(), Length(max=500)],
                         render_kw={"maxlength": 500})


class GroupEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000)])


class AddMemberForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=32)])


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(role, role) for role in MEMBER_ROLES])


class ResolveReportForm(FlaskForm):
    hours = IntegerField(_l("Hours"), default=24, validators=[Optional(), NumberRange(min=1, max=24 * 30)])


class BroadcastForm(FlaskForm):
    audience = SelectField(_l("Send to"), choices=[("everyone", _l("Everyone")),
                                                   ("group", _l("The members of a group")),
                                                   ("user", _l("One user"))], default="everyone")
    group_id = IntegerField(_l("Group id"), validators=[Optional(), NumberRange(min=1)])
    username = StringField(_l("Username"), validators=[Optional(), Length(max=32)])
    # Its length is the action's to check (actions.validation.check_message_body): MESSAGE_MAX_LENGTH.
    body = TextAreaField(_l("Message"), validators=[InputRequired()])
    # This form's one-time token, new on each page shown: the same form sent twice is one broadcast
    # (actions.broadcasts.refuse_sent_before).
    once = HiddenField(validators=[Optional(), Length(max=64)])
