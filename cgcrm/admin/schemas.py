"""Shapes of the job-visibility endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from cgcrm.admin.service import STATES
from cgcrm.jobs import QUEUE_NAMES


class JobsQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    queue = fields.String(validate=validate.OneOf(QUEUE_NAMES))


class RequeueSchema(Schema):
    """An empty JSON object: API writes always carry a JSON body."""


class JobSchema(Schema):
    id = fields.String()
    queue = fields.String()
    state = fields.String()
    function = fields.String(allow_none=True)
    arguments = fields.List(fields.String(), metadata={"description": "Shapes, not values."})
    enqueued_at = fields.AwareDateTime(allow_none=True)
    started_at = fields.AwareDateTime(allow_none=True)
    failed_at = fields.AwareDateTime(allow_none=True)
    scheduled_for = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When a retry will be queued."}
    )
    retries_left = fields.Integer(allow_none=True)
    error = fields.List(fields.String(), metadata={"description": "Last lines of the failure."})


class JobCountsSchema(Schema):
    queued = fields.Integer()
    started = fields.Integer()
    failed = fields.Integer()
    scheduled = fields.Integer()


class QueueOverviewSchema(Schema):
    queue = fields.String()
    counts = fields.Nested(JobCountsSchema)
    started = fields.List(fields.Nested(JobSchema))
    failed = fields.List(fields.Nested(JobSchema))
    scheduled = fields.List(fields.Nested(JobSchema))


class RelayBacklogSchema(Schema):
    unpublished = fields.Integer(metadata={"description": "Outbox events not yet published."})
    oldest_unpublished_at = fields.AwareDateTime(allow_none=True)
    oldest_unpublished_age_seconds = fields.Float(allow_none=True)


class PeriodicJobSchema(Schema):
    name = fields.String()
    interval_seconds = fields.Integer()
    last_enqueued_at = fields.AwareDateTime(allow_none=True)
    last_succeeded_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "When the job last ran to completion."}
    )
    last_failed_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean(
        metadata={
            "description": "No success within interval_seconds + PERIODIC_GRACE (or never): "
            "no worker leads the scheduler, the queue is stuck, or the job keeps failing."
        }
    )


class ParkedEventSchema(Schema):
    event_id = fields.UUID()
    event_type = fields.String()
    handler = fields.String()
    parked_at = fields.AwareDateTime()
    reason = fields.String(metadata={"description": "Last lines of the error, without values."})


class ParkedEventsSchema(Schema):
    count = fields.Integer(metadata={"description": "Events set aside; none is retried alone."})
    latest = fields.List(fields.Nested(ParkedEventSchema))


class JobsOverviewSchema(Schema):
    queues = fields.List(fields.Nested(QueueOverviewSchema))
    relay = fields.Nested(RelayBacklogSchema)
    periodic = fields.List(fields.Nested(PeriodicJobSchema))
    parked = fields.Nested(
        ParkedEventsSchema,
        metadata={
            "description": "Events a handler could not process for a reason retrying cannot "
            "cure; `flask unpark EVENT_ID…` (or `--all`) hands them back once the cause is fixed."
        },
    )
