"""The task that runs a submission in the labs' worker (same queue, same host lock as lab runs)."""

from django.tasks import task


@task(queue_name="labs")
def run_submission(submission_id: int) -> str:
    """Run one queued Submission in the sandbox and check it; the Submission row is the record."""
    from exercises.runner import execute

    return execute(submission_id)
