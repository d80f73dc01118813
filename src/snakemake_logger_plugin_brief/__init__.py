"""A console a person reads: Snakemake's logger plugin ``brief`` (``--logger brief``, set in profiles/default).

A progress bar with the job count and the running rules (on a terminal; elsewhere one line per finished job), a
failed job's one ``ERROR:`` line with its log path (once: not the job's inputs, its temporary script or the
exception Snakemake raises after it), and any other warning or error as Snakemake words it. The full detail still
goes to the log file under .snakemake/log/ (Snakemake's own file handler, beside this one); ``--verbose`` and a dry
run (``-n``) print Snakemake's standard console through this handler. docs/running.md describes both.

Snakemake finds the plugin by its module name (snakemake_logger_plugin_<name>) on the path the project's install
puts src/ on. Only the standard library and Snakemake's interfaces: it runs in Snakemake's process.
"""

from __future__ import annotations

import logging
import os
import re
import sys

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent

# What Snakemake logs around a failed job besides the job's error: the exception of its script's process (which
# names the temporary script; logged just before the job's error), then the shutdown notices and the summary
# exception. The job's own message is printed once, from its log.
_JOB_PROCESS = re.compile(r"CalledProcessError in file|returned non-zero exit status")
_AFTER_FAILURE = re.compile(
    r"WorkflowError|Shutting down|Exiting because|At least one job did not complete|Removing output files of failed"
    r" job|Trying to restart|Will exit after finishing"
)
BAR_WIDTH = 24


def error_line(log_files):
    """The failed job's one message: the last ``ERROR:`` line of its log files, or their last non-empty line."""
    last = ""
    for path in log_files:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = [ln.rstrip() for ln in fh if ln.strip()]
        except OSError:
            continue
        errors = [ln[ln.index("ERROR:"):] for ln in lines if "ERROR:" in ln]
        last = errors[-1] if errors else (lines[-1] if lines else last)
    return last


def _wildcards(wc):
    return ", ".join(f"{k}={v}" for k, v in (wc or {}).items())


class LogHandler(LogHandlerBase):
    def __post_init__(self) -> None:
        self.stream = sys.stdout if self.common_settings.stdout else sys.stderr
        self.full = self.common_settings.verbose or self.common_settings.dryrun
        self.tty = self.stream.isatty() and not self.full
        self.jobs: dict[int, dict] = {}
        self.running: dict[int, str] = {}
        self.total = self.done = 0
        self.failed = False
        self.bar = ""
        if self.full:  # Snakemake's own console, as without the plugin
            from snakemake.logging import DefaultFilter, DefaultFormatter

            s = self.common_settings
            self.setFormatter(DefaultFormatter(s.quiet, s.show_failed_logs))
            self.addFilter(DefaultFilter(s.quiet, s.debug_dag, s.verbose, s.dryrun, s.printshellcmds))

    # ---------------------------------------------------------------------------------------------- output

    def _write(self, text):
        if self.bar:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        if self.bar:
            self.stream.write(self.bar)
        self.stream.flush()

    def _progress(self, finished=None):
        running = sorted(set(self.running.values()))
        if self.tty and not self.failed:  # after a failure the bar is gone: the hooks print below the error
            filled = BAR_WIDTH * self.done // max(self.total, 1)
            self.bar = (f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total} jobs"
                        + (f"  running: {', '.join(running)}" if running else ""))
            self.bar = self.bar[: max(40, os.get_terminal_size(self.stream.fileno()).columns - 1)]
            self.stream.write("\r\033[K" + self.bar)
            if self.total and self.done >= self.total:  # the last job: the bar stays, as one line
                self.stream.write("\n")
                self.bar = ""
            self.stream.flush()
        elif finished:
            self._write(f"{self.done} of {self.total} jobs done: {finished}"
                        + (f"; running {', '.join(running)}" if running else ""))

    def _end_bar(self):
        if self.bar:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.bar = ""

    # ----------------------------------------------------------------------------------------------- events

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.full:
                if self.filter(record):
                    self._write(self.format(record))
                return
            self._brief(record)
        except Exception:  # noqa: BLE001 - a console glitch must not stop the run
            self.handleError(record)

    def _brief(self, record):
        event = getattr(record, "event", None)
        if event == LogEvent.RUN_INFO:
            self.total = record.stats.get("total", 0) if isinstance(getattr(record, "stats", None), dict) else 0
            self._progress()
        elif event == LogEvent.JOB_INFO:
            wc = _wildcards(record.wildcards)
            self.jobs[record.jobid] = {"name": f"{record.rule_name}" + (f" ({wc})" if wc else "")}
            self.running[record.jobid] = record.rule_name
            self._progress()
        elif event == LogEvent.JOB_FINISHED:
            job = self.jobs.get(record.job_id, {"name": str(record.job_id)})
            self.running.pop(record.job_id, None)
            self.done += 1
            self._progress(job["name"])
        elif event == LogEvent.JOB_ERROR:
            self._end_bar()
            self.failed = True
            self.running.pop(record.jobid, None)
            job = self.jobs.get(record.jobid, {"name": record.rule_name})
            logs = [str(p) for p in record.log]
            self._write(f"Error in rule {job['name']}" + (f", log {', '.join(logs)}:" if logs else ":"))
            message = error_line(logs)
            if message:
                self._write(message)
        elif event in (LogEvent.SHELLCMD, LogEvent.JOB_STARTED, LogEvent.PROGRESS, LogEvent.RESOURCES_INFO,
                       LogEvent.WORKFLOW_STARTED, LogEvent.DEBUG_DAG, LogEvent.RULEGRAPH, LogEvent.GROUP_INFO):
            return
        elif record.levelno >= logging.WARNING:
            message = record.getMessage()
            if _JOB_PROCESS.search(message) or (self.failed and _AFTER_FAILURE.search(message)):
                return
            self._write(message.rstrip())
        else:
            message = record.getMessage()
            if message.startswith("Complete log"):
                self._end_bar()
                path = message.split(": ", 1)[-1]
                self._write(f"Full log: {os.path.relpath(path) if os.path.isabs(path) else path}")
            elif message.startswith(("Nothing to be done", "Congratulations")):  # a no-op; a clean --lint
                self._write(message)

    def close(self):
        self._end_bar()
        super().close()

    # ------------------------------------------------------------------------------- what Snakemake asks

    @property
    def writes_to_stream(self) -> bool:
        return True

    @property
    def writes_to_file(self) -> bool:
        return False

    @property
    def has_filter(self) -> bool:
        return True

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False
