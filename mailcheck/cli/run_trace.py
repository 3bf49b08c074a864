"""Runs `mailcheck trace`: check the options, resolve through the engine, talk, render."""

from __future__ import annotations

import dataclasses

from mailcheck.cli.common import DnsFlags, OutputOptions, progress
from mailcheck.cli.output import check_selection, open_writer, refuse_regression
from mailcheck.cli.secrets import read_password, refuse_command_line_password
from mailcheck.model import ExitCode, select_findings
from mailcheck.net.dns import build_engine
from mailcheck.outcome import exit_code
from mailcheck.services.trace import TraceRequest, run_trace
from mailcheck.services.trace_request import TraceOptions, trace_request


def _request(opts: TraceOptions, flags: DnsFlags) -> TraceRequest:
    login = opts.conn.login
    refuse_command_line_password(login.password)
    request = trace_request(opts, None, flags.timeout, flags.deadline)
    # asked for only once every other value is known to be good
    password = read_password(opts.user, login.password_env, login.password_file)
    return dataclasses.replace(request, password=password)


def run(opts: TraceOptions, *, flags: DnsFlags, out: OutputOptions) -> ExitCode:
    check_selection(out.only, out.skip)
    refuse_regression(out, "trace")
    request = _request(opts, flags)
    engine = build_engine(flags.options())
    with engine, progress(True) as bar:
        report = run_trace(engine, request, bar.status)
    full = report
    report = select_findings(report, out.only, out.skip)
    # a server that could not be reached is inconclusive, whatever else was shown
    code = exit_code([report], out.threshold, full=[full])
    writer = open_writer("trace", out)
    writer.report(report)
    writer.finish(code)
    return code
