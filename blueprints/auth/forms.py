"""Forms for the account pages. Validation rules live in actions.validation."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=32)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=128)])


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(min=3, max=32)])
    display_name = StringField("Display name", validators=[Optional(), Length(max=64)])
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(min=8, max=128)])
    confirm = PasswordField("Repeat password", validators=[InputRequired(), EqualTo("password", "Passwords differ.")])
