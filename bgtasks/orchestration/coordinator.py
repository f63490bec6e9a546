"""The run coordinator every launch path goes through: web UI, GraphQL, ``dagster job launch``,
schedules, sensors, the CLI and the REST API.

It pins each task run to its resolved spec, tags it, and then launches it at once while the
system has room (so an idle system starts a run without waiting for a queue tick), or queues it
behind the runs already waiting (Dagster's queue daemon then applies ``max_concurrent_runs``).
"""

from __future__ import annotations

from dagster import DagsterRun, DagsterRunStatus, RunsFilter
from dagster._core.run_coordinator import QueuedRunCoordinator, SubmitRunContext

from bgtasks.errors import BgtasksError
from bgtasks.orchestration.pinning import pin_run, spec_tags
from bgtasks.orchestration.tags import JOB_NAME, PARTITION_TAG, TRIGGER_TAG
from bgtasks.services import services_for

IN_FLIGHT = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


class TaskRunCoordinator(QueuedRunCoordinator):
    """QueuedRunCoordinator with pinning and a fast path. Configured like Dagster's own."""

    def submit_run(self, context: SubmitRunContext) -> DagsterRun:
        run = context.dagster_run
        if run.status == DagsterRunStatus.NOT_STARTED:
            extra = self.admit(context)
            if run.job_name == JOB_NAME:
                self._pin(run, extra)
            elif extra:
                self._instance.add_run_tags(run.run_id, extra)
        if run.status == DagsterRunStatus.NOT_STARTED and self._has_room():
            self._instance.launch_run(run.run_id, context.workspace)
            launched = self._instance.get_run_by_id(run.run_id)
            assert launched is not None
            return launched
        return super().submit_run(context)

    def admit(self, context: SubmitRunContext) -> dict[str, str]:
        """Decide whether the run may start; return tags to add to it. Raising refuses the run.

        Admits everything here; the permission layer's subclass (bgtasks.permissions.launch_guard)
        checks the launcher's identity against the policy.
        """
        return {}

    def _pin(self, run: DagsterRun, extra: dict[str, str]) -> None:
        try:
            spec = pin_run(
                services_for(self._instance), run.run_id, run.tags.get(PARTITION_TAG), run.run_config
            )
        except BgtasksError as exc:
            # Raising here makes Dagster mark the run failed and hand this message to the caller.
            raise BgtasksError(f"bgtasks refused run {run.run_id}: {exc}") from exc
        tags = {**extra, **spec_tags(spec)}
        if TRIGGER_TAG not in run.tags:
            tags[TRIGGER_TAG] = "manual"
        if any(run.tags.get(key) != value for key, value in tags.items()):
            self._instance.add_run_tags(run.run_id, tags)

    def _has_room(self) -> bool:
        if self.get_run_queue_config().tag_concurrency_limits:
            return False  # tag limits are the queue daemon's to apply
        if self._instance.get_runs_count(RunsFilter(statuses=[DagsterRunStatus.QUEUED])) > 0:
            return False  # keep first-in, first-out
        limit = self.get_run_queue_config().max_concurrent_runs
        if limit == -1:
            return True
        return self._instance.get_runs_count(RunsFilter(statuses=IN_FLIGHT)) < limit
