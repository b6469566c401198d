"""Forms of the back office. All derive from FlaskForm (CSRF token); rules live in actions.validation."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from models.conversation import MEMBER_ROLES
from models.user import ROLES


class UserCreateForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(min=3, max=32)])
    display_name = StringField("Display name", validators=[Optional(), Length(max=64)])
    email = EmailField("Email", validators=[Optional(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=32)])
    role = SelectField("Role", choices=[(role, role) for role in ROLES], default="user")
    password = PasswordField("First password", validators=[InputRequired(), Length(min=8, max=128)])
    must_change_password = BooleanField("Must choose a new password at first login", default=True)


class UserEditForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(min=3, max=32)])
    display_name = StringField("Display name", validators=[InputRequired(), Length(max=64)])
    email = EmailField("Email", validators=[Optional(), Length(max=254)])
    phone = StringField("Phone", validators=[Optional(), Length(max=32)])


class ResetPasswordForm(FlaskForm):
    temporary_password = PasswordField("Temporary password", validators=[InputRequired(), Length(min=8, max=128)])


class GroupEditForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=1000)])


class AddMemberForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=32)])


class MemberRoleForm(FlaskForm):
    role = SelectField("Role", choices=[(role, role) for role in MEMBER_ROLES])


class ResolveReportForm(FlaskForm):
    hours = IntegerField("Hours", default=24, validators=[Optional(), NumberRange(min=1, max=24 * 30)])


class BroadcastForm(FlaskForm):
    audience = SelectField("Send to", choices=[("everyone", "Everyone"), ("group", "The members of a group"),
                                               ("user", "One user")], default="everyone")
    group_id = IntegerField("Group id", validators=[Optional(), NumberRange(min=1)])
    username = StringField("Username", validators=[Optional(), Length(max=32)])
    # Its length is the action's to check (actions.validation.check_message_body): MESSAGE_MAX_LENGTH.
    body = TextAreaField("Message", validators=[InputRequired()])
