"""`flask` CLI commands: create-admin, create-user, create-invite, seed-demo, purge-uploads, sweep-storage, backup,
restore, seal-two-factor-secrets."""
from __future__ import annotations

import secrets
from pathlib import Path

import click
from flask import Flask, current_app

from actions.accounts import register_user
from actions.errors import ActionError
from events import atomic
from extensions import db
from models import User
from ops.readiness import needs_current_schema

DEMO_USERS = [("alice", "Alice Liddell"), ("bob", "Bob Marley"), ("carol", "Carol Danvers")]
DEMO_GROUP = "General"


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--password", default=None, help="Asked for (twice, not shown) when not given.")
    @click.option("--display-name", default=None)
    @needs_current_schema
    def create_admin(username: str, password: str | None, display_name: str | None) -> None:
        """Create an operator account (role admin)."""
        if password is None:
            password = _ask_password()
        try:
            user = register_user(username, password, display_name=display_name, role="admin")
        except ActionError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Created admin {user.username}.")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--password", default=None, help="Asked for (twice, not shown) when not given.")
    @click.option("--display-name", default=None)
    @click.option("--email", default=None, help="Counts as confirmed (password reset codes go there).")
    @click.option("--phone", default=None, help="With + and the country code; counts as confirmed.")
    @needs_current_schema
    def create_user(username: str, password: str | None, display_name: str | None, email: str | None,
                    phone: str | None) -> None:
        """Create a confirmed account (role user), whatever REGISTRATION says."""
        if password is None:
            password = _ask_password()
        try:
            user = register_user(username, password, display_name=display_name, email=email, phone=phone)
        except ActionError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Created user {user.username}.")

    @app.cli.command("create-invite")
    @click.option("--uses", default=1, show_default=True, help="How many accounts it may open.")
    @click.option("--days", default=None, type=int, help="How long it works (default: INVITE_DAYS).")
    @click.option("--note", default="", help="For the operators: whom it is for.")
    @needs_current_schema
    def create_invite_command(uses: int, days: int | None, note: str) -> None:
        """Issue an invitation (REGISTRATION=invite): a code, and the registration link that holds it."""
        from actions.registration import create_invite

        try:
            with atomic():
                issued = create_invite(None, uses, days, note)
        except ActionError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Invitation code: {issued.code}\nLink: /register?invite={issued.code} (on this site)\n"
                   f"Works for {uses} account(s) until {issued.record.expires_at:%Y-%m-%d %H:%M} UTC.")

    @app.cli.command("backup")
    @click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
    def backup(folder: Path) -> None:
        """Back up the database and the local files into FOLDER, a new folder (safe while serving)."""
        from backups import BackupError, back_up

        try:
            manifest = back_up(current_app._get_current_object(), folder)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        files = f"{manifest.files} files" if manifest.storage == "local" else "no files (they stay in the S3 bucket)"
        click.echo(f"Backed up the {manifest.database} database (schema {manifest.schema_revision}) and {files} "
                   f"into {folder}.")

    @app.cli.command("restore")
    @click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.confirmation_option(prompt="Replace this deployment's database and files with the backup? "
                                      "(stop the service first)")
    def restore_backup(folder: Path) -> None:
        """Replace the database and the local files with the backup in FOLDER; stop the service first."""
        from backups import BackupError, restore

        try:
            manifest = restore(current_app._get_current_object(), folder)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Restored the backup of {manifest.created_at} (schema {manifest.schema_revision}). "
                   "Run `flask db upgrade` if this code is newer, then start the service.")

    @app.cli.command("purge-uploads")
    @click.option("--hours", default=24, show_default=True, help="Only uploads older than this.")
    @needs_current_schema
    def purge_uploads(hours: int) -> None:
        """Delete uploads never sent in a message (abandoned or never completed)."""
        from datetime import timedelta

        from actions.file_cleanup import purge_unsent_uploads

        click.echo(f"Deleted {purge_unsent_uploads(timedelta(hours=hours))} unsent uploads.")

    @app.cli.command("sweep-storage")
    @click.option("--hours", default=24, show_default=True, type=click.IntRange(min=1),
                  help="Only objects written longer ago than this (at least 1: an upload may be on its way).")
    @needs_current_schema
    def sweep_storage(hours: int) -> None:
        """Delete stored objects no row refers to (left by a crash or a failed delete) and unfinished writes."""
        from datetime import timedelta

        from actions.file_cleanup import sweep_storage

        click.echo(f"Deleted {sweep_storage(timedelta(hours=hours))} objects that nothing refers to.")

    @app.cli.command("seal-two-factor-secrets")
    @click.option("--unseal", is_flag=True, help="Write them plain again instead (only to downgrade below "
                                                 "migration 0028_two_factor_secret_sealed).")
    @needs_current_schema
    def seal_two_factor_secrets(unseal: bool) -> None:
        """Seal every stored two-factor secret with the current key (TWO_FACTOR_KEY, else from SECRET_KEY): plain
        ones and ones sealed with an older key, which TWO_FACTOR_OLD_KEYS may then drop."""
        from actions.two_factor import reseal_secrets

        done = reseal_secrets(unseal_them=unseal)
        click.echo(f"{'Unsealed' if unseal else 'Sealed'} {done.written} two-factor secrets; "
                   f"{done.kept} were {'plain' if unseal else 'sealed with the current key'} already.")
        if done.unreadable:
            raise click.ClickException(
                f"{len(done.unreadable)} secrets (of the accounts {', '.join(map(str, done.unreadable))}) open with "
                "no configured key: add the key that sealed them to TWO_FACTOR_OLD_KEYS (or put back the SECRET_KEY "
                "that sealed them), or reset those accounts' two-factor in the back office")

    @app.cli.command("seed-demo")
    @atomic()
    @needs_current_schema
    def seed_demo() -> None:
        """Create demo users, an operator and a public group, once; print their passwords."""
        from actions.groups import create_group

        if db.session.execute(db.select(User.id).where(User.username == "alice")).first():
            click.echo("Demo data exists already (accounts in instance/demo-accounts.txt).")
            return
        lines = []
        users = []
        for username, name in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            users.append(register_user(username, password, display_name=name))
            lines.append(f"  user   {username:8} password {password}")
        password = secrets.token_urlsafe(9)
        register_user("operator", password, display_name="Operator", role="admin")
        lines.append(f"  admin  {'operator':8} password {password}")
        create_group(users[0], DEMO_GROUP, "Everyone's first group", "public", [u.id for u in users[1:]])
        notice = "Demo accounts (change these passwords before real use):\n" + "\n".join(lines) + "\n"
        accounts_file = Path(current_app.instance_path) / "demo-accounts.txt"
        accounts_file.write_text(notice)
        accounts_file.chmod(0o600)
        click.echo(notice + f"(also written to {accounts_file})")


def _ask_password() -> str:
    """The password typed twice, not shown: asked in the command, after needs_current_schema's check (an option's
    `prompt=True` asks while click reads the arguments, before any check: typed twice, then refused)."""
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)
