"""A real OpenID Connect provider on loopback for the single sign-on tests.

provider.mjs (npm's oidc-provider, installed by `npm ci` in this folder) runs under Node on a
free port; the accounts file it reads on every request says which claims each login name
carries, so a test can change someone's roles between two sign-ins. OtherApplication is a
second application registered with the same provider, which signs in there for itself and
hands out the tokens it was given.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "provider.mjs"
MODULES = HERE / "node_modules" / "oidc-provider"


def why_not_runnable() -> str | None:
    """Why the provider cannot run on this machine, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs)"
    if not MODULES.is_dir():
        return "oidc-provider is not installed (cd tests/oidc && npm ci)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Client:
    """An application registered with the provider."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = field(default_factory=list)

    def registration(self) -> dict:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
            "post_logout_redirect_uris": self.post_logout_redirect_uris,
            # How mozilla-django-oidc sends its secret to the token endpoint.
            "token_endpoint_auth_method": "client_secret_post",
        }


@dataclass
class RunningProvider:
    """The provider process, where it answers, and the accounts it knows."""

    issuer: str
    accounts_file: Path
    process: subprocess.Popen
    log_file: Path

    def set_accounts(self, accounts: dict[str, dict]) -> None:
        """Login name -> claims, read by the provider at its next request."""
        scratch = self.accounts_file.with_suffix(".writing")
        scratch.write_text(json.dumps(accounts))
        scratch.replace(self.accounts_file)

    def metadata(self) -> dict:
        return requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10).json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start(*, clients: list[Client], folder: Path) -> RunningProvider:
    """Start the provider and wait until it answers its discovery document."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    accounts_file = folder / "accounts.json"
    accounts_file.write_text("{}")
    log_file = folder / "provider.log"
    env = {
        **os.environ,
        "OIDC_TEST_PORT": str(port),
        "OIDC_TEST_ISSUER": issuer,
        "OIDC_TEST_ACCOUNTS": str(accounts_file),
        "OIDC_TEST_CLIENTS": json.dumps([client.registration() for client in clients]),
    }
    with log_file.open("w") as log:
        process = subprocess.Popen(
            ["node", str(SCRIPT)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=HERE,
        )
    provider = RunningProvider(issuer, accounts_file, process, log_file)
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"The test provider stopped:\n{log_file.read_text()}")
        try:
            if provider.metadata().get("issuer") == issuer:
                return provider
        except requests.RequestException:
            time.sleep(0.1)
    provider.stop()
    raise RuntimeError(f"The test provider never answered:\n{log_file.read_text()}")


class OtherApplication:
    """Another application registered with the same provider (client `other-application`).

    It signs in at the provider for itself (the browser visits `sign_in_url()`), exchanging
    its code for tokens issued to it; its token endpoint then hands those tokens to anyone who
    asks, as a compromised or misconfigured endpoint would. Set as the tracker's token
    endpoint, it gives the tracker a genuine token from its own provider, meant for someone
    else."""

    CLIENT_ID = "other-application"
    SECRET = "other-application-secret"

    def __init__(self) -> None:
        self.provider: RunningProvider | None = None
        self.tokens: dict | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def client(self) -> Client:
        return Client(self.CLIENT_ID, self.SECRET, [self.url + "/callback"])

    def sign_in_url(self) -> str:
        query = {
            "client_id": self.CLIENT_ID,
            "response_type": "code",
            "scope": "openid email profile roles",
            "redirect_uri": self.url + "/callback",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
        }
        return f"{self.provider.metadata()['authorization_endpoint']}?{urlencode(query)}"

    def _exchange(self, code: str) -> None:
        response = requests.post(
            self.provider.metadata()["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.url + "/callback",
                "client_id": self.CLIENT_ID,
                "client_secret": self.SECRET,
            },
            timeout=10,
        )
        response.raise_for_status()
        self.tokens = response.json()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        application = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, content_type: str, body: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.end_headers()
                self.wfile.write(body.encode())

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                code = parse_qs(url.query).get("code", [""])[0]
                if url.path != "/callback" or not code:
                    self._answer(404, "text/plain", "Not found")
                    return
                application._exchange(code)
                page = "<!DOCTYPE html><title>Other application</title><h1>Signed in</h1>"
                self._answer(200, "text/html", page)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer(200, "application/json", json.dumps(application.tokens or {}))

            def log_message(self, *args) -> None:
                pass

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
