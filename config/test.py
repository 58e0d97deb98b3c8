import os

# The suite runs against real PostgreSQL and Redis (database 15, shared with other runs).
SECRET_KEY = "test-only-secret-0123456789abcdef0123456789"
DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/15"
JWT_ISSUER = "http://cgcrm.test"
# Several suites share Redis database 15 (xdist workers, other checkouts): each process gets
# queues of its own, so a burst worker never takes another run's jobs. Nothing flushes the
# database; tests remove only their own namespace's keys.
QUEUE_NAMESPACE = f"test{os.getpid()}."
# The suite sends thousands of requests from one address: limits far above what it sends, so
# that only the rate-limit tests (which set their own low ones) ever see a 429.
RATE_LIMIT_API_PER_CLIENT = "1000000/60"
RATE_LIMIT_API_PER_ADDRESS = "1000000/60"
RATE_LIMIT_OAUTH_PER_CLIENT = "1000000/60"
RATE_LIMIT_OAUTH_PER_ADDRESS = "1000000/60"
RATE_LIMIT_PUBLIC_PER_ADDRESS = "1000000/60"
