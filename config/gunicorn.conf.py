# gunicorn settings for serving cgcrm: `gunicorn -c config/gunicorn.conf.py wsgi:app`.
# `make run` and the benchmark scripts use this file; command-line options override it.

# The sync worker, answering gunicorn's own refusals (request line or headers too long, invalid
# header characters, malformed requests) with problem+json, and not naming gunicorn in `Server`.
worker_class = "cgcrm.core.http_server.ProblemWorker"
workers = 2
timeout = 30
# gunicorn's defaults, stated so that the limits the API documents are visible here.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
