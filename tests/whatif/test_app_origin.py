"""`make whatif` serves only its own host and origin (issue 21, case 16).

The panel has a tokenless "Save as scenario" button: a page on another site must not
drive it, neither with a foreign ``Origin`` nor through DNS rebinding (its own name
resolving to 127.0.0.1, so that ``Host`` and ``Origin`` agree). The server's settings
come from ``voila.json`` at the project root, which Voilà reads from the folder it runs in.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from alignlib import paths

pytestmark = pytest.mark.slow

APP = paths.PROJECT_ROOT / "notebooks" / "whatif_app.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, host: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    voila = Path(sys.executable).with_name("voila")
    if not voila.exists() and shutil.which("voila") is None:
        pytest.skip("voila is not installed (pip install voila)")
    port = _free_port()
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    with open(log, "w") as out:
        # As `make whatif` runs it: from the project root, where voila.json is.
        proc = subprocess.Popen(
            [str(voila if voila.exists() else "voila"), str(APP), "--no-browser",
             f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
             "--strip_sources=True"],
            stdout=out, stderr=subprocess.STDOUT, cwd=paths.PROJECT_ROOT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.skip(f"voila could not start: {log.read_text()[-800:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip(f"voila did not answer in 60 s: {log.read_text()[-800:]}")
                time.sleep(0.5)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _websocket(port: int, kernel: str, origin: str, host: str) -> str:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async def connect() -> str:
        req = HTTPRequest(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels",
            headers={"Origin": origin, "Host": host},
        )
        try:
            conn = await websocket_connect(req)
        except Exception as exc:
            return f"refused {getattr(exc, 'code', type(exc).__name__)}"
        conn.close()
        return "open"

    return asyncio.run(connect())


def test_a_foreign_host_or_origin_is_refused(served):
    port = served
    own = f"127.0.0.1:{port}"
    status, page = _get(f"http://{own}/")
    assert status == 200
    kernel = re.search(r'"kernelId": *"([^"]+)"', page).group(1)
    # DNS rebinding: the attacker's name, Host and Origin agreeing.
    assert _get(f"http://{own}/", host=f"evil.example:{port}")[0] == 403
    evil = f"http://evil.example:{port}"
    assert _websocket(port, kernel, evil, f"evil.example:{port}") == "refused 403"
    # A page on another site talking to the served host.
    assert _websocket(port, kernel, "http://evil.example", own) == "refused 403"
    # The served host and origin still work, by address and by name.
    assert _websocket(port, kernel, f"http://{own}", own) == "open"
    assert _get(f"http://{own}/", host=f"localhost:{port}")[0] == 200
