"""SDK 11 server for btauth/1 interop: a standard-library HTTP server that authenticates every request with the
real `bittensor.http_auth.verify` (default window, default in-memory replay store) and answers like an axon
(a synapse-shaped JSON body), so our dendrite can call it.

Usage: btauth_server.py PORT SELF_URI ALLOWED_SS58[,ALLOWED_SS58...]
Prints READY when listening; exits when stdin closes. 401 {"message": "<AuthError class>: ..."} for auth
failures, 403 for a verified hotkey that is not allowed (unknown hotkey), 200 with compressed_context otherwise.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import bittensor_core
from bittensor import http_auth

port, me = int(sys.argv[1]), bittensor_core.Keypair.create_from_uri(sys.argv[2])
allowed = set(sys.argv[3].split(","))


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            caller = http_auth.verify(dict(self.headers.items()), body, method=self.command, path=self.path, self_hotkey_ss58=me.ss58_address)
        except http_auth.AuthError as e:
            return self._answer(401, {"message": f"{type(e).__name__}: {e}"})
        if caller.hotkey_ss58 not in allowed:
            return self._answer(403, {"message": "Forbidden. Key is blacklisted: unknown hotkey."})
        syn = json.loads(body)
        syn["compressed_context"] = f"{caller.hotkey_ss58}:{syn.get('context', '').upper()}"
        syn["axon"] = {"status_code": 200, "status_message": "Success", "hotkey": me.ss58_address}
        self._answer(200, syn)


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("READY", flush=True)
sys.stdin.read()
server.shutdown()
