"""Operator endpoints: the state of background jobs and the outbox relay."""
