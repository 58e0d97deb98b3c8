"""Background work: the outbox relay, event handlers, periodic jobs and the worker process."""
