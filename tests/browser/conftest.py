"""Fixtures for the browser test: an isolated JupyterLab server, headless Chromium, a screenshot folder.

The server runs on 127.0.0.1 at a free port without token or password, as root if need be, with its config,
runtime, data, settings and workspace directories in a temporary folder and a temporary copy of the course
notebooks as its root, so the test neither reads a user's Jupyter setup nor touches the committed notebooks.
Without Chromium at /usr/bin/chromium or the Playwright package the test is skipped with what to install,
except in CI (environment variable CI set), where it fails instead.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# JupyterLab user settings for the test: render every cell (no windowing, so all outputs are in the page and
# in the screenshots), no blank space after the last cell, and never fetch news or updates (no network; no
# pop-up over the notebook).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "scrollPastEnd": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}
SERVER_START_TIMEOUT = 90  # seconds
SUMMARY = []  # lines printed at the end of the run: one per notebook tested, notes, or why the test was skipped


def in_ci():
    """True when the environment variable CI says so (CI=true, as CI services and .ci/run set it)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_requirements():
    """What the browser test lacks, with how to install it ([] when everything is there)."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM}: run `make browser-deps` as root, or `sudo apt-get install chromium`")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append(f"the Playwright package: `{sys.executable} -m pip install playwright` (or `make setup`)")
    return missing


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(url, method="GET"):
    """The JSON answer of the Jupyter server's REST API at ``url`` (None for an empty answer)."""
    with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


class Lab:
    """A running JupyterLab: its base ``url``, the ``root`` folder it serves and its ``log`` file."""

    def __init__(self, url, root, log):
        self.url, self.root, self.log = url, root, log

    def kernel_state(self, path):
        """The execution state of the kernel of the notebook at ``path`` (None while it has none)."""
        states = [session["kernel"]["execution_state"] for session in api(f"{self.url}api/sessions")
                  if session["path"] == path and session.get("kernel")]
        return states[0] if states else None

    def shut_down_sessions(self):
        """Shut down every kernel session (one notebook at a time keeps memory and CPU free)."""
        for session in api(f"{self.url}api/sessions"):
            api(f"{self.url}api/sessions/{session['id']}", method="DELETE")


@pytest.fixture(scope="session")
def browser_requirements():
    missing = missing_requirements()
    if missing:
        message = "the browser test needs " + "; and ".join(missing)
        if in_ci():
            pytest.fail(f"{message} (CI is set, so this test must run, not be skipped)", pytrace=False)
        SUMMARY.append(f"SKIPPED: {message}")  # shown at the end of every run, not only with -rs
        pytest.skip(message)


@pytest.fixture(scope="session")
def artifacts():
    """The folder the screenshots go to, emptied at the start of the session."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab(browser_requirements, tmp_path_factory, artifacts):
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "notebooks"
    shutil.copytree(NOTEBOOK_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name, values in LAB_SETTINGS.items():
        (home / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (home / "settings" / name).write_text(json.dumps(values))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), IPYTHONDIR=str(home / "ipython"))
    log = artifacts / "jupyterlab.log"
    try:
        server, url = start_lab(root, home, env, log)
    except RuntimeError as err:
        pytest.fail(f"{err}; the server log {log} ends with:\n{log.read_text()[-3000:]}", pytrace=False)
    yield Lab(url, root, log)
    stop(server)


def start_lab(root, home, env, log):
    """Start JupyterLab serving ``root`` at a free port; (the server process, its URL) once it answers."""
    for _attempt in range(3):  # a free port can be taken between asking for it and binding it
        port = free_port()
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
                   f"--port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
                   "--ServerApp.password=", f"--ServerApp.root_dir={root}", "--ServerApp.disable_check_xsrf=True",
                   "--ServerApp.terminals_enabled=False",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        with open(log, "ab") as out:
            server = subprocess.Popen(command, cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while server.poll() is None:
            try:
                api(f"{url}api/status")
                return server, url
            except OSError:
                if time.monotonic() > deadline:
                    stop(server)
                    raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_TIMEOUT} s") from None
                time.sleep(0.5)
    raise RuntimeError("JupyterLab exited at start three times")


def stop(server):
    """Stop the server (it shuts its kernels down), then anything left in its process group."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait()


@pytest.fixture(scope="session")
def browser(browser_requirements):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def summary():
    """A list to add lines to for the end-of-run summary of the browser test."""
    return SUMMARY


def pytest_terminal_summary(terminalreporter):
    if SUMMARY:
        terminalreporter.write_sep("-", "browser test")
        for line in SUMMARY:
            terminalreporter.write_line(line)
    if ARTIFACTS.is_dir() and any(ARTIFACTS.glob("*.png")):
        terminalreporter.write_line(f"browser test screenshots (one per notebook, after the run): {ARTIFACTS}")
