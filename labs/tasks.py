"""The task that executes a lab run in the worker (`manage.py labs_worker`, see quizsite/supervise.py)."""

from django.tasks import task


@task(queue_name="labs")
def run_lab(run_id: int) -> str:
    """Run one queued LabRun to its end; the LabRun row, not this result, is the record of what happened."""
    from labs.runner import execute

    return execute(run_id)
