"""Administrators watch and requeue background jobs."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from cgcrm.admin import service
from cgcrm.admin.schemas import JobSchema, JobsOverviewSchema, JobsQuerySchema, RequeueSchema
from cgcrm.core import scopes
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import requires

blp = Blueprint(
    "admin", __name__, url_prefix="/api/v1/admin", description="Background jobs and the relay."
)


@blp.route("/jobs")
class JobsView(MethodView):
    @requires(scopes.ADMIN)
    @blp.arguments(JobsQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, JobsOverviewSchema)
    def get(self, state: str | None = None, queue: str | None = None) -> Any:
        """Jobs per queue (queued, started, failed, waiting for retry) and the relay backlog."""
        return service.list_jobs(state=state, queue=queue)


@blp.route("/jobs/<string:job_id>/requeue")
class JobRequeueView(MethodView):
    @requires(scopes.ADMIN)
    @blp.doc(operationId="requeueJob")
    @blp.arguments(RequeueSchema)
    @blp.response(200, JobSchema)
    def post(self, _body: dict[str, Any], job_id: str) -> Any:
        """Put a failed job back on its queue with a fresh retry allowance."""
        return service.requeue_failed_job(job_id)
