# `make run`: an SQLite file under instance/ unless CGCRM_DATABASE_URL says otherwise.
# The secret is for local use only; production refuses to start without its own.
SECRET_KEY = "development-only-secret-do-not-deploy-0123456789"
REDIS_URL = "redis://127.0.0.1:6379/0"
