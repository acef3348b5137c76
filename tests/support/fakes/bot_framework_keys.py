"""Bot Framework signing keys on loopback, and tokens signed with them, as the channel signs them.

The server runs in its own thread, so a test can hold its answers (as a slow or frozen endpoint
would) while the bot's event loop goes on:

    with BotFrameworkKeys() as keys:
        settings.microsoft_openid_metadata_url = keys.metadata_url
        header = keys.authorization(app_id, service_url)

        keys.hold()                            # requests wait ...
        await keys.wait_until(lambda: keys.waiting == 1)
        keys.release()                         # ... until now
        keys.rotate()                          # a new key, listed beside the old, signs tokens
        keys.failing = True                    # answer 500
        keys.listing = False                   # list no keys
        keys.endorsements = ["msteams", "webchat"]  # the channels every key is endorsed for
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
KEY_ID = "placebot-test-key"
HOLD_LIMIT = 10.0  # a held request answers after this anyway, so a blocked bot cannot hang a test


class BotFrameworkKeys:
    def __init__(self) -> None:
        self.signing: list[tuple[str, rsa.RSAPrivateKey]] = []
        self.rotate(KEY_ID)
        self.served = 0  # key sets (JWKS documents) answered
        self.waiting = 0  # requests being held now
        self.held = 0  # requests held, ever
        self.failing = False
        self.listing = True  # False: a key set with no keys in it
        self.endorsements = ["msteams"]
        self._open = threading.Event()
        self._open.set()
        self._changed = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer._wait_if_held()
                documents = {
                    "/openid": {"issuer": ISSUER, "jwks_uri": f"{outer.base}/keys"},
                    "/keys": outer.jwks(),
                }
                status = 200 if self.path in documents else 404
                if outer.failing:
                    status = 500
                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if self.path == "/keys" and status == 200:
                    outer._count_served()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> BotFrameworkKeys:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/openid"

    @property
    def key_id(self) -> str:
        """The id of the key that signs new tokens."""
        return self.signing[-1][0]

    def rotate(self, key_id: str | None = None) -> str:
        """A new signing key, listed with the old ones (as Microsoft lists keys in rotation)."""
        key_id = key_id or f"placebot-test-key-{len(self.signing) + 1}"
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing.append((key_id, private))
        return key_id

    def jwks(self) -> dict[str, Any]:
        keys = []
        for key_id, private in self.signing if self.listing else []:
            public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
            keys.append({**public, "kid": key_id, "use": "sig", "endorsements": self.endorsements})
        return {"keys": keys}

    def hold(self) -> None:
        """Requests from now on wait (up to HOLD_LIMIT seconds) until `release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def _wait_if_held(self) -> None:
        if self._open.is_set():
            return
        with self._changed:
            self.waiting += 1
            self.held += 1
            self._changed.notify_all()
        self._open.wait(HOLD_LIMIT)
        with self._changed:
            self.waiting -= 1
            self._changed.notify_all()

    def _count_served(self) -> None:
        with self._changed:
            self.served += 1
            self._changed.notify_all()

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Until `condition` (about `waiting`, `held` or `served`) holds; TimeoutError after 5 s."""

        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(condition, 5.0)

        if not await asyncio.to_thread(wait):
            raise TimeoutError("the key endpoint never got there")

    def authorization(
        self, app_id: str, service_url: str, key_id: str | None = None, **claims: Any
    ) -> str:
        """A channel's token for `app_id`, signed with the newest key (or the one named)."""
        key_id = key_id or self.key_id
        private = dict(self.signing)[key_id]
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": app_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "serviceurl": service_url,
            **claims,
        }
        token = jwt.encode(payload, private, algorithm="RS256", headers={"kid": key_id})
        return f"Bearer {token}"
