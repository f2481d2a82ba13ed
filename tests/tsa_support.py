"""A real RFC 3161 time-stamping authority on loopback: OpenSSL's `openssl ts -reply` behind a threaded
http.server, with a CA and a TSA certificate made here with the `openssl` command."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_CONF = """
[req]
distinguished_name = dn
prompt = no
[dn]
CN = {cn}
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
[tsa_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
[tsa]
default_tsa = tsa_config
[tsa_config]
dir = {dir}
serial = $dir/serial
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
ess_cert_id_chain = no
ordering = no
tsa_name = no
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_tsa(folder: Path) -> Path:
    """A CA (`ca.pem`) and a TSA certificate it signed (`tsa.pem`, `tsa.key`), and `openssl.cnf`; the config."""
    conf = folder / "openssl.cnf"
    conf.write_text(TSA_CONF.format(cn="Test TSA", dir=folder), encoding="utf-8")
    (folder / "serial").write_text("01\n", encoding="ascii")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
             "-subj", "/CN=Test TSA CA", "-config", str(conf), "-extensions", "ca_ext", cwd=folder)  # fmt: skip
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
             "-subj", "/CN=Test TSA", "-config", str(conf), cwd=folder)  # fmt: skip
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "tsa.pem", "-days", "30", "-extfile", str(conf), "-extensions", "tsa_ext", cwd=folder)  # fmt: skip
    return conf


class _Handler(BaseHTTPRequestHandler):
    conf: Path
    requests: list[bytes]

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.requests.append(body)
        with tempfile.TemporaryDirectory() as tmp:
            query = Path(tmp) / "request.tsq"
            query.write_bytes(body)
            reply = Path(tmp) / "reply.tsr"
            _openssl("ts", "-reply", "-config", str(self.conf), "-queryfile", str(query), "-out", str(reply),
                     cwd=self.conf.parent)  # fmt: skip
            data = reply.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        pass


@contextmanager
def running_tsa(conf: Path) -> Iterator[tuple[str, list[bytes]]]:
    """Serve `conf`'s TSA on loopback; its URL and the requests it answered."""
    requests: list[bytes] = []
    handler = type("Handler", (_Handler,), {"conf": conf, "requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", requests
    finally:
        server.shutdown()
        server.server_close()
