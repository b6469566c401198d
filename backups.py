"""Backups of what Switchboard keeps: the database and, with local storage, the files.

`flask backup DIR` writes into a new folder DIR:

- `database.sqlite3`: SQLite's online backup API (a consistent copy while the server runs), or
  `database.pgdump`: `pg_dump --format=custom` of PostgreSQL (also consistent while it runs);
- `files/`: a copy of STORAGE_LOCAL_PATH (local storage), made before and after the database's so that
  it holds every object the database names (`_copy_files`); S3 objects stay in their bucket, whose
  versioning keeps what is overwritten or deleted (docs/deployment.md);
- `manifest.json`: when, which engine, the schema's migration revision, the storage backend.

`flask restore DIR` puts them back, over the configured database and files (on PostgreSQL every table of
the schema is dropped first, in the restore's transaction, so a backup of an older schema restores over a
newer one): run it with the service stopped, then `flask db upgrade` if the code is newer than the backup.
Job queues are not backed up: they hold work in flight, not data.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from extensions import db
from storage.local import TEMPORARY_PREFIX

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PGDUMP_FILE = "database.pgdump"
FILES_FOLDER = "files"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database: str  # "sqlite" or "postgresql"
    schema_revision: str | None
    storage: str  # "local" or "s3"
    files: int  # objects copied (local storage); 0 with S3


def back_up(app: Flask, folder: Path) -> Manifest:
    """Write a backup of the app's database and local files into `folder`, which must not exist yet."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder")
    engine = _engine_name(app)
    with app.app_context():
        try:
            revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError as error:
            raise BackupError(f"the database cannot be read, or has no schema yet (run `flask db upgrade`): "
                              f"{type(error.orig or error).__name__}") from None
        finally:
            db.session.rollback()
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        files = _write_backup(app, engine, folder)
        manifest = Manifest(datetime.now(UTC).isoformat(timespec="seconds"), engine, revision,
                            app.config["STORAGE_BACKEND"], files)
        # Written last: a folder without it (a backup killed halfway) is no backup (restore refuses it, and the
        # rotation of deploy/systemd/switchboard-backup.service does not count it).
        (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    except BaseException:
        # A backup that failed (pg_dump refused, a full disk, up to its manifest) leaves nothing behind: no
        # folder that would look like a backup, or that the nightly unit's rotation would count as one.
        _remove_contents(folder, remove_folder=made)
        raise
    return manifest


def _write_backup(app: Flask, engine: str, folder: Path) -> int:
    """The database and the local files into `folder`; how many files."""
    local_files = Path(app.config["STORAGE_LOCAL_PATH"]) if app.config["STORAGE_BACKEND"] == "local" else None
    if local_files is not None:
        _copy_files(local_files, folder / FILES_FOLDER)  # before the database: what it names is there...
    _copy_database(app, engine, folder)
    if local_files is None:
        return 0
    _copy_files(local_files, folder / FILES_FOLDER)  # ...and what came meanwhile
    return sum(1 for path in (folder / FILES_FOLDER).rglob("*") if path.is_file())


def _remove_contents(folder: Path, remove_folder: bool) -> None:
    if remove_folder:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in folder.iterdir():  # an empty folder given: left empty, as it was
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _copy_database(app: Flask, engine: str, folder: Path) -> None:
    if engine == "sqlite":
        with sqlite3.connect(_sqlite_path(app)) as source, sqlite3.connect(folder / SQLITE_FILE) as target:
            source.backup(target)
    else:
        _pg_tool("pg_dump", app, ["--format=custom", "--no-owner", "--file", str(folder / PGDUMP_FILE)])


def _copy_files(live: Path, saved: Path) -> None:
    """Copy into `saved` the files of `live` it does not hold yet, while the service writes and deletes
    them: files being written (renamed to their key once complete) are left out, and a file deleted
    between the listing and its copy is skipped, where shutil.copytree failed the whole backup. Called
    before and after the database is copied: an object deleted meanwhile (a replaced avatar, a purged
    group's files) was copied by the first pass, while the database copy may still name it; an object
    stored meanwhile, by the second."""
    saved.mkdir(parents=True, exist_ok=True)
    for directory, _, names in os.walk(live):
        target = saved / os.path.relpath(directory, live)
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            if name.startswith(TEMPORARY_PREFIX) or (target / name).exists():
                continue
            try:
                shutil.copy2(os.path.join(directory, name), target / name)
            except FileNotFoundError:
                pass  # deleted since it was listed


def restore(app: Flask, folder: Path) -> Manifest:
    """Replace the app's database (and local files) with the backup in `folder`. The service must be stopped."""
    folder = Path(folder)
    try:
        manifest = Manifest(**json.loads((folder / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as error:
        raise BackupError(f"{folder} holds no readable backup ({MANIFEST}: {error})") from None
    engine = _engine_name(app)
    if manifest.database != engine:
        raise BackupError(f"the backup is of a {manifest.database} database, DATABASE_URL names {engine}")
    with app.app_context():
        db.engine.dispose()  # this process lets go of the database before it is replaced
    if engine == "sqlite":
        with sqlite3.connect(folder / SQLITE_FILE) as source, sqlite3.connect(_sqlite_path(app)) as target:
            source.backup(target)
    else:
        _pg_restore(app, folder / PGDUMP_FILE)
    if manifest.storage == "local" and app.config["STORAGE_BACKEND"] == "local":
        _replace_folder(Path(app.config["STORAGE_LOCAL_PATH"]), folder / FILES_FOLDER)
    return manifest


def _replace_folder(live: Path, saved: Path) -> None:
    """The live folder becomes the saved one; what it held is kept beside it until the operator removes it."""
    if live.exists():
        live.rename(live.with_name(f"{live.name}.before-restore-{datetime.now(UTC):%Y%m%d%H%M%S}"))
    if saved.exists():
        shutil.copytree(saved, live)
    else:
        live.mkdir(parents=True)


def _engine_name(app: Flask) -> str:
    name = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups know SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_path(app: Flask) -> str:
    """The file the app's engine opens: Flask-SQLAlchemy puts a relative path in the instance folder."""
    with app.app_context():
        path = db.engine.url.database
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return path


# Every table and view of the schema goes before the backup's are made: `pg_restore --clean` drops only
# what the backup holds, and a backup older than the schema (the code upgraded since, as the restore
# then `flask db upgrade` of docs/deployment.md expects) would leave the later tables behind, which
# refuse the drop of the keys they refer to, or make the upgrade fail. An extension's own relations stay.
EMPTY_THE_SCHEMA = """DO $$ DECLARE relation record; BEGIN
  FOR relation IN SELECT c.relname, c.relkind FROM pg_class c
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                                    AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP %s IF EXISTS %I CASCADE',
                   CASE relation.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                   relation.relname);
  END LOOP;
END $$"""


def _pg_restore(app: Flask, dump: Path) -> None:
    """The backup in place of whatever the database holds, all or nothing: psql runs, in one transaction,
    EMPTY_THE_SCHEMA and the script pg_restore makes of the backup (streamed through), and COMMIT only
    once pg_restore has written all of it. If either fails, psql ends without COMMIT: nothing changed."""
    restore_command = [_pg_executable("pg_restore"), "--clean", "--if-exists", "--no-owner", "--file=-", str(dump)]
    psql_command, environment = _pg_command("psql", app, ["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"],
                                            database_option="--dbname")
    with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_errors, \
            subprocess.Popen(psql_command, env=environment, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=psql_errors) as psql, \
            subprocess.Popen(restore_command, stdout=subprocess.PIPE, stderr=restore_errors) as script:
        try:
            psql.stdin.write(f"BEGIN;\n{EMPTY_THE_SCHEMA};\n".encode())
            shutil.copyfileobj(script.stdout, psql.stdin)
            if script.wait() == 0:
                psql.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:  # psql stopped at an error
            pass
        finally:
            script.stdout.close()
            script.wait()
            try:
                psql.stdin.close()
            except BrokenPipeError:
                pass
            psql.wait()
        for tool, process, errors in (("psql", psql, psql_errors), ("pg_restore", script, restore_errors)):
            if process.returncode != 0:
                errors.seek(0)
                raise BackupError(f"{tool} failed: {errors.read().decode(errors='replace').strip()[-2000:]}")


def _pg_executable(tool: str) -> str:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not installed (Debian/Ubuntu: apt install postgresql-client)")
    return executable


def _pg_command(tool: str, app: Flask, arguments: list[str],
                database_option: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The command running `tool` on the configured database, and its environment: the password goes
    there, never on the command line (where `ps` shows it)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = url.password
    target = url.set(password=None).render_as_string(hide_password=False)
    return [_pg_executable(tool), *arguments, f"{database_option}={target}" if database_option else target], environment


def _pg_tool(tool: str, app: Flask, arguments: list[str]) -> None:
    """Run pg_dump on the configured database."""
    command, environment = _pg_command(tool, app, arguments)
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    if finished.returncode != 0:
        raise BackupError(f"{tool} failed: {finished.stderr.strip()[-2000:]}")
