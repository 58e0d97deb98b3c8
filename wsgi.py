"""The WSGI entry point: ``gunicorn wsgi:app``."""

from cgcrm import create_app

app = create_app()
