"""The logs of an execution: stored in the row once tasks end, on the agent's sandbox while a task runs."""
from node.agent import download_files


def with_live_logs(execution):
    """Return `execution` with stdout/stderr extended by its running task's live logs, where they can be read.

    The row holds the logs of the tasks that already ended; the current task's logs are only on the agent.
    If the agent cannot be read, the stored logs are answered as they are.
    """
    urls = [execution.current_stdout_url, execution.current_stderr_url]
    if execution.is_finished or not all(urls):
        return execution
    live_stdout, live_stderr = download_files(execution.node, urls)
    if live_stdout is not None:
        execution.stdout = (execution.stdout or '') + live_stdout
    if live_stderr is not None:
        execution.stderr = (execution.stderr or '') + live_stderr
    return execution
