"""Start, find and stop LocalStack for local runs and tests.

There is no Docker engine on every machine, so LocalStack can run in *host mode*: its Python package
started as a plain process from its own virtual environment (`.venv-localstack`, Python 3.13; its
pins clash with the project's). If something already answers on the endpoint (the official Docker
image, or a LocalStack started earlier) it is used as it is.

State lives in `.localstack/` at the repository root: `pid` names the LocalStack *we* started, so
`stop_localstack()` never touches one it did not start, and a second `ensure_localstack()` finds
the running one instead of starting another.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = REPO_ROOT / ".localstack"
VENV_ENV_VAR = "ANGO_BATCH_LOCALSTACK_VENV"
INSTALL_HINT = "make .venv-localstack/.installed"

# What the template and the code use; cloudwatch for the template's alarms. Lambda is left out:
# in host mode it cannot run functions (it downloads runtimes), and the template skips it here.
SERVICES = (
    "sqs",
    "s3",
    "kms",
    "sts",
    "iam",
    "cloudformation",
    "logs",
    "secretsmanager",
    "ssm",
    "cloudwatch",
)
_READY_STATES = frozenset({"available", "running"})
_POLL_SECONDS = 0.25


class LocalStackError(RuntimeError):
    """LocalStack could not be started, found or stopped."""


@dataclass(frozen=True)
class LocalStackProcess:
    """A LocalStack that this process started (and is therefore allowed to stop)."""

    pid: int
    endpoint: str
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop this process (and its process group); forget it if the state still names it."""
        with _state_lock(timeout):
            if self.popen is None or self.popen.poll() is None:
                _terminate(self.pid, timeout, self.popen)
            if _recorded_pid() == self.pid:
                _clear_state()


def local_aws_env(endpoint: str = DEFAULT_ENDPOINT) -> dict[str, str]:
    """The AWS settings that point boto3 (and the AWS CLI) at LocalStack."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }


def health(endpoint: str = DEFAULT_ENDPOINT) -> dict[str, object] | None:
    """LocalStack's health document, or None when nothing answers on the endpoint."""
    url = endpoint.rstrip("/") + "/_localstack/health"
    if urlsplit(url).scheme not in ("http", "https"):
        raise LocalStackError(f"endpoint must be http(s): {endpoint!r}")
    try:
        with urllib.request.urlopen(url, timeout=2.0) as response:  # noqa: S310 (scheme checked above)
            document = json.load(response)
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def missing_services(document: Mapping[str, object], services: Sequence[str] = SERVICES) -> list[str]:
    """The services that the health document does not report as usable."""
    states = document.get("services")
    if not isinstance(states, dict):
        return list(services)
    return [name for name in services if states.get(name) not in _READY_STATES]


def ensure_localstack(endpoint: str = DEFAULT_ENDPOINT, timeout: float = 90.0) -> LocalStackProcess | None:
    """Make sure LocalStack answers on `endpoint`; start it in host mode if nothing does.

    Returns the process when this call started it (the caller stops it), None when one was
    already there (ours from an earlier call, or someone else's).
    """
    deadline = time.monotonic() + timeout
    # Held until LocalStack is ready: a concurrent caller waits here, then finds this one running.
    with _state_lock(timeout):
        ours = _running_endpoint()
        if ours is not None and ours != endpoint:
            raise LocalStackError(
                f"a LocalStack started by ango-batch is running at {ours}, not {endpoint}; "
                "stop it first (`ango-batch localstack stop`)"
            )
        if ours is not None or health(endpoint) is not None:
            _wait_until_ready(endpoint, deadline, started=None)
            return None
        _check_port_free(endpoint)
        started = _start(endpoint)
        try:
            _wait_until_ready(endpoint, deadline, started=started)
        except BaseException:
            _terminate(started.pid, 5.0, started.popen)
            _clear_state()
            raise
    logger.info("LocalStack ready at %s (pid %d, log %s)", endpoint, started.pid, started.log_path)
    return started


def stop_localstack(timeout: float = 15.0) -> bool:
    """Stop the LocalStack that ango-batch started (named in `.localstack/pid`); True if one was."""
    with _state_lock(timeout):
        pid = _running_pid()
        if pid is not None:
            _terminate(pid, timeout, None)
        _clear_state()
    return pid is not None


def _terminate(pid: int, timeout: float, popen: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM the process group, SIGKILL it if it is still there after `timeout`."""
    _signal_group(pid, signal.SIGTERM)
    if not _wait_for_exit(pid, timeout, popen):
        logger.warning("LocalStack (pid %d) ignored SIGTERM for %.0f s; killing it", pid, timeout)
        _signal_group(pid, signal.SIGKILL)
        _wait_for_exit(pid, 5.0, popen)
    logger.info("LocalStack (pid %d) stopped", pid)


@contextlib.contextmanager
def _state_lock(timeout: float) -> Iterator[None]:
    """Serialise start and stop across processes (parallel test runs, the demo, the CLI)."""
    STATE_DIR.mkdir(exist_ok=True)
    deadline = time.monotonic() + timeout
    with (STATE_DIR / "lock").open("w") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LocalStackError(f"{STATE_DIR / 'lock'} is held by another process") from None
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _start(endpoint: str) -> LocalStackProcess:
    python = _venv_dir() / "bin" / "python"
    if not python.exists():
        raise LocalStackError(
            f"LocalStack is not installed: {python} is missing. Install it with `{INSTALL_HINT}` "
            f"(or set {VENV_ENV_VAR}), or run the official Docker image on {endpoint}."
        )
    STATE_DIR.mkdir(exist_ok=True)
    volume_dir = Path(tempfile.mkdtemp(prefix="ango-batch-localstack-"))
    log_path = STATE_DIR / "localstack.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            [str(python), "-m", "localstack.runtime.main"],
            env=_process_env(endpoint, volume_dir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=volume_dir,
            # Its own process group: Ctrl-C in a test run does not kill it half-way, and stopping
            # it takes its children along.
            start_new_session=True,
        )
    (STATE_DIR / "volume").write_text(f"{volume_dir}\n")
    (STATE_DIR / "endpoint").write_text(f"{endpoint}\n")
    (STATE_DIR / "pid").write_text(f"{popen.pid}\n")
    logger.info("starting LocalStack in host mode (pid %d, log %s)", popen.pid, log_path)
    return LocalStackProcess(pid=popen.pid, endpoint=endpoint, log_path=log_path, popen=popen)


def _check_port_free(endpoint: str) -> None:
    # LocalStack that cannot bind its port logs the error and keeps running; fail fast instead.
    host, port = _host_port(endpoint)
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1.0):
        raise LocalStackError(f"{host}:{port} is taken by something that is not LocalStack")


def _host_port(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    return parts.hostname or "127.0.0.1", parts.port or 4566


def _process_env(endpoint: str, volume_dir: Path) -> dict[str, str]:
    host, port = _host_port(endpoint)
    host_port = f"{host}:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT_URL")}
    env.update(
        GATEWAY_LISTEN=host_port,
        # Resource URLs (queue URLs in stack outputs) then name the address we listen on instead of
        # *.localhost.localstack.cloud, which needs public DNS.
        LOCALSTACK_HOST=host_port,
        SQS_ENDPOINT_STRATEGY="path",
        SERVICES=",".join(SERVICES),
        SKIP_SSL_CERT_DOWNLOAD="1",
        DISABLE_EVENTS="1",
        LOCALSTACK_VOLUME_DIR=str(volume_dir),
    )
    return env


def _wait_until_ready(endpoint: str, deadline: float, started: LocalStackProcess | None) -> None:
    missing: list[str] = list(SERVICES)
    while time.monotonic() < deadline:
        if started is not None and started.popen is not None and started.popen.poll() is not None:
            raise LocalStackError(
                f"LocalStack exited with code {started.popen.returncode} while starting.\n"
                f"{_log_tail(started.log_path)}"
            )
        document = health(endpoint)
        if document is not None:
            missing = missing_services(document)
            if not missing:
                return
        time.sleep(_POLL_SECONDS)
    tail = _log_tail(started.log_path) if started is not None else ""
    raise LocalStackError(
        f"LocalStack at {endpoint} was not ready in time; services not available: "
        f"{', '.join(missing)}.\n{tail}"
    )


def _venv_dir() -> Path:
    configured = os.environ.get(VENV_ENV_VAR)
    return Path(configured) if configured else REPO_ROOT / ".venv-localstack"


def _recorded_pid() -> int | None:
    try:
        return int((STATE_DIR / "pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _running_pid() -> int | None:
    """The pid in `.localstack/pid` if that process is still a live LocalStack."""
    pid = _recorded_pid()
    return pid if pid is not None and _is_alive(pid) and _looks_like_localstack(pid) else None


def _running_endpoint() -> str | None:
    """The endpoint of the LocalStack we started, if it is still running."""
    if _running_pid() is None:
        return None
    try:
        return (STATE_DIR / "endpoint").read_text().strip() or DEFAULT_ENDPOINT
    except OSError:
        return DEFAULT_ENDPOINT


def _is_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        # Our own child: reap it if it has exited, so that it does not linger as a zombie.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _looks_like_localstack(pid: int) -> bool:
    # The pid file may outlive the process and its pid be reused; check the command line.
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no procfs (macOS): trust the pid file
    with contextlib.suppress(OSError):
        return b"localstack" in cmdline.read_bytes()
    return False


def _signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def _wait_for_exit(pid: int, timeout: float, popen: subprocess.Popen[bytes] | None) -> bool:
    if popen is not None:
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _is_alive(pid):
            return True
        time.sleep(_POLL_SECONDS)
    return not _is_alive(pid)


def _clear_state() -> None:
    with contextlib.suppress(OSError):
        volume = (STATE_DIR / "volume").read_text().strip()
        if volume:
            shutil.rmtree(volume, ignore_errors=True)
    for name in ("pid", "volume", "endpoint"):
        (STATE_DIR / name).unlink(missing_ok=True)


def _log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return f"(no log at {log_path})"
    tail = "\n".join(text.splitlines()[-lines:])
    return f"--- last lines of {log_path} ---\n{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    """`ango-batch localstack start|stop|status`."""
    parser = argparse.ArgumentParser(prog="ango-batch localstack", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help="default: %(default)s")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for start-up")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.action == "start":
            started = ensure_localstack(args.endpoint, args.timeout)
            how = f"started (pid {started.pid}, log {started.log_path})" if started else "already running"
            print(f"LocalStack at {args.endpoint}: {how}")
        elif args.action == "stop":
            print("stopped" if stop_localstack() else "no LocalStack started by ango-batch is running")
        else:
            return _print_status(args.endpoint)
    except LocalStackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _print_status(endpoint: str) -> int:
    document = health(endpoint)
    if document is None:
        print(f"LocalStack at {endpoint}: not running")
        return 1
    pid = _running_pid()
    owner = f"started by ango-batch (pid {pid})" if pid else "not started by ango-batch"
    missing = missing_services(document)
    print(f"LocalStack {document.get('version', '?')} at {endpoint}: {owner}")
    print("services not available: " + ", ".join(missing) if missing else "all services available")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
