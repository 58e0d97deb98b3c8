# The suite runs against real PostgreSQL and Redis (database 15, flushed by the tests).
SECRET_KEY = "test-only-secret-0123456789abcdef0123456789"
DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/15"
JWT_ISSUER = "http://cgcrm.test"
