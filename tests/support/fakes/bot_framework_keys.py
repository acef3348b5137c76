"""Bot Framework signing keys on loopback, and tokens signed with them, as the channel signs them.

The SDK fetches the keys with a blocking HTTP call, so this server runs in its own thread.

    with BotFrameworkKeys() as keys:
        settings.microsoft_openid_metadata_url = keys.metadata_url
        header = keys.authorization(app_id, service_url)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
KEY_ID = "placebot-test-key"


class BotFrameworkKeys:
    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwks = {"keys": [{**public, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {
                    "/openid": {"issuer": ISSUER, "jwks_uri": f"{outer.base}/keys"},
                    "/keys": jwks,
                }
                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> BotFrameworkKeys:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def metadata_url(self) -> str:
        return f"{self.base}/openid"

    def authorization(self, app_id: str, service_url: str, **claims: Any) -> str:
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
        token = jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": KEY_ID})
        return f"Bearer {token}"
