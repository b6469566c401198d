from gevent import monkey; monkey.patch_all()  # noqa: E702,I001  (first: before anything imports socket or ssl)

"""gunicorn entry point: `gunicorn -k gevent -w 1 wsgi:app`. See docs/deployment.md.

psycopg 3 (>= 3.1.14) waits cooperatively once gevent has patched the standard library.
Settings come from the environment; a `.env` file beside this one fills in what is unset.
"""
import gc  # noqa: E402

import gevent  # noqa: E402

from app import create_app, load_dotenv_file  # noqa: E402

# gevent records, for every greenlet it makes, the stack that spawned it (up to ten frames, kept as long as
# the greenlet, and a connection's greenlets live as long as the connection), for debugging tools only.
# Off: a spawn costs about 1.0 us instead of 2.4, and the cyclic collector has fewer objects to scan
# (docs/benchmarks.md, "The collector in a reconnect storm").
gevent.config.track_greenlet_tree = False

load_dotenv_file()
app = create_app()

# What exists now (the modules, the app, SQLAlchemy's mappers and statements built once) lives as long
# as the process: frozen, the cyclic garbage collector's full collections no longer scan it again and
# again while connections come in (a third less time in them during a connect storm, issue 15:
# docs/benchmarks.md, "Connects and idle connections").
gc.collect()
gc.freeze()
