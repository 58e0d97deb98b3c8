"""Notifications to citizens: one interface, one adapter per way of sending.

A shared service below the domains (it imports no domain): callers resolve who to write to and
how (the citizen's preferred channel and address) and hand over a ``Message``; the adapter named
by the ``NOTIFICATION_ADAPTER`` setting sends it. Call it from a job or event handler, never in a
request: a request writes an outbox event, and its handler sends.
"""
