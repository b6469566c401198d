from gevent import monkey; monkey.patch_all()  # noqa: E702,I001  (first: before anything imports socket or ssl)

"""gunicorn entry point: `gunicorn -k gevent -w 1 wsgi:app`. See docs/deployment.md.

psycopg 3 (>= 3.1.14) waits cooperatively once gevent has patched the standard library.
"""
from app import create_app  # noqa: E402

app = create_app()
