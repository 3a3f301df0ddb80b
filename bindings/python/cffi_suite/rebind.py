"""pytest plugin: runs cffi's own ABI-mode tests against abicall (or, as the
control, against cffi's own ABI-mode FFI) by rebinding only the names those
test files import: ``cffi.FFI``, ``cffi.CDefError``, ``cffi.FFIError``,
``cffi.VerificationError`` and ``_cffi_backend.FFI``. No test body is edited.

Both sides get the same rebinding: ``cffi.FFI(backend=...)`` becomes an FFI on
the real backend whatever ``backend`` says (abicall has exactly one backend),
so tests written for cffi's fake or ctypes backends fail on both sides and are
not counted as applicable.

Select the side with ``ABICALL_CFFI_SUITE_TARGET=abicall|cffi``; the outcome
of every test is written as JSON lines to ``ABICALL_CFFI_SUITE_RESULTS``.
With ``ABICALL_CFFI_SUITE_FORK=1`` every test runs in a forked child, so a
crash (a signal) is reported as that test's failure and the run goes on.
"""

import json
import os
import signal

import pytest

_TARGET = os.environ.get("ABICALL_CFFI_SUITE_TARGET", "abicall")
_RESULTS = os.environ.get("ABICALL_CFFI_SUITE_RESULTS")
_FORK = os.environ.get("ABICALL_CFFI_SUITE_FORK") == "1"


def _rebind():
    import cffi
    import _cffi_backend

    if _TARGET == "abicall":
        import abicall
        import abicall.backend

        names = {
            "FFI": abicall.FFI,
            "CDefError": abicall.CDefError,
            "FFIError": abicall.FFIError,
            "VerificationError": abicall.VerificationError,
        }
        backend_ffi = abicall.backend.FFI
    elif _TARGET == "cffi":
        real = cffi.FFI

        class FFI(real):
            """cffi's FFI, always on its real (ABI-mode) backend."""

            def __init__(self, backend=None):
                real.__init__(self)

        FFI.__name__ = FFI.__qualname__ = "FFI"
        names = {"FFI": FFI}
        backend_ffi = _cffi_backend.FFI
    else:
        raise pytest.UsageError("ABICALL_CFFI_SUITE_TARGET must be abicall or cffi")
    for name, value in names.items():
        setattr(cffi, name, value)
    _cffi_backend.FFI = backend_ffi


def pytest_configure(config):
    _rebind()


def pytest_runtest_logreport(report):
    if not _RESULTS:
        return
    if report.when == "call" or report.outcome != "passed":
        crashed = report.failed and "CRASHED with signal" in str(report.longrepr)
        with open(_RESULTS, "a") as f:
            f.write(
                json.dumps(
                    {
                        "test": report.nodeid,
                        "when": report.when,
                        "outcome": report.outcome,
                        "crashed": crashed,
                    }
                )
                + "\n"
            )


def pytest_runtest_protocol(item, nextitem):
    """With ABICALL_CFFI_SUITE_FORK=1: the test's setup, call and teardown
    run in a forked child; its reports come back through a pipe."""
    if not _FORK:
        return None
    from _pytest.runner import runtestprotocol

    hook = item.config.hook
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        code = 0
        try:
            reports = runtestprotocol(item, log=False, nextitem=None)
            data = json.dumps([hook.pytest_report_to_serializable(config=item.config, report=r) for r in reports],
                              default=str).encode()
            with os.fdopen(wfd, "wb") as w:
                w.write(data)
        except BaseException:
            code = 3
        os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as r:
        data = r.read()
    _, status = os.waitpid(pid, 0)
    if data:
        reports = [hook.pytest_report_from_serializable(config=item.config, data=d) for d in json.loads(data)]
    else:
        from _pytest.reports import TestReport

        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            why = "CRASHED with signal %d (%s)" % (sig, signal.Signals(sig).name)
        else:
            why = "the forked test process EXITED with status %d" % os.WEXITSTATUS(status)
        reports = [TestReport(item.nodeid, item.location, {}, "failed", "%s: %s" % (item.nodeid, why), "call")]
    for rep in reports:
        item.ihook.pytest_runtest_logreport(report=rep)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
