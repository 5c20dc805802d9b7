"""Opening a page in a real headless Chromium and collecting what a person would see: text, errors, a screenshot.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages ended by a NUL
byte, commands on fd 3, replies and events on fd 4), which needs no browser driver or websocket package. Errors are
console messages of type error or assert, uncaught exceptions, and log entries of level error (failed loads).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# No sandbox (root in CI), no GPU; every host name resolves to nothing, so the browser never sends a request off this
# machine and never waits on a resolver (which hangs start-up where DNS is blocked). Without site isolation, frames
# (the report shows each result in one) run in the page's process and their errors reach the page's session.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-extensions", "--disable-component-update", "--no-pings", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--disable-site-isolation-trials", "--remote-debugging-pipe"]


def chromium() -> str:
    """The Chromium binary; installed with apt-get when missing and this is root, else the test is skipped."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("Chromium is not installed and cannot be installed here (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode:
            pytest.skip(f"installing Chromium failed: {result.stderr[-500:]}")
    return shutil.which("chromium")


@dataclass
class Page:
    text: str = ""
    errors: list[str] = field(default_factory=list)


class DevTools:
    """A minimal DevTools protocol client over Chromium's debugging pipe."""

    def __init__(self, binary: str, user_dir: Path):
        to_browser_r, self._write = os.pipe()
        self._read, from_browser_w = os.pipe()
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}', binary, *FLAGS,
             f"--user-data-dir={user_dir}", "about:blank"],
            pass_fds=(to_browser_r, from_browser_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer, self._next_id, self.events = b"", 0, []

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the debugging pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        """Send a command and wait for its reply; events that arrive meanwhile are kept in ``events``."""
        self._next_id += 1
        command = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        os.write(self._write, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._read)
        os.close(self._write)


def errors_in(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}")
    return errors


def open_page(path: Path, screenshot: Path, ready: str, steps: list[tuple[str, str]] = (), width: int = 1400,
              height: int = 1000, timeout: float = 60) -> Page:
    """Load ``path`` and wait until the JavaScript condition ``ready`` holds (scripts have rendered); then, for each
    ``(action, condition)`` of ``steps``, run the action (a click, say) and wait for its condition; finally take a
    screenshot. Errors are collected from the whole visit, frames included."""
    browser = DevTools(chromium(), screenshot.parent / "chromium-profile")
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            browser.call(domain, session=session)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)

        def evaluate(expression: str):
            result = browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                  session=session)
            if "exceptionDetails" in result:  # a broken step is the test's fault, not the page's
                raise RuntimeError(f"{expression!r} failed: {result['exceptionDetails']}")
            return result["result"].get("value")

        def wait_until(condition: str) -> None:
            deadline = time.monotonic() + timeout
            while not evaluate(f"Boolean({condition})"):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the page never met {condition!r}")
                time.sleep(0.25)

        browser.call("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        wait_until(ready)
        for action, condition in steps:
            evaluate(action)
            wait_until(condition)
        time.sleep(1.0)  # let late errors (after the last render) arrive
        page = Page(text=evaluate("document.body.innerText"))
        shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        page.errors = errors_in(browser.events)
        return page
    finally:
        browser.close()


def contains_text(text: str) -> str:
    """A condition: the page shows ``text``."""
    return f"document.body && document.body.innerText.includes({json.dumps(text)})"


def click_text(text: str) -> str:
    """An action: click the innermost element whose whole text is ``text`` (the first one in the page)."""
    return (
        f"(() => {{ const label = {json.dumps(text)};"
        " const hits = Array.from(document.querySelectorAll('body *')).filter(e => e.textContent.trim() === label"
        " && !Array.from(e.children).some(c => c.textContent.trim() === label));"
        " if (hits.length) hits[0].click(); })()"
    )
