"""A fault-injecting HTTP proxy in front of an S3 server, for ferry's S3 fault tests.

usage: fault_proxy.py UPSTREAM_PORT SEED [--max-requests N] [--max-seconds S] [--ignore-range]
                     [rates...]

Listens on 127.0.0.1 (a free port, printed on the first line of stdout as "PORT <n>") and forwards
each request to 127.0.0.1:UPSTREAM_PORT unchanged (Host header included, so SigV4 signatures stay
valid). For each request it draws one outcome from a seeded RNG:

  error500    answer 500 InternalError without forwarding
  slowdown    answer 503 SlowDown without forwarding
  drop        read the request, close the connection without an answer
  lost_reply  forward the request (it takes effect), then close without an answer
  truncate    forward, then send the headers and only half of the body, then close
  stall       read the request, send nothing for --stall-seconds, then close
  (otherwise) forward and relay the answer

Rates are given as name=probability (e.g. error500=0.08). With --bucket-region R, a request signed
for another region is answered like AWS does (400 AuthorizationHeaderMalformed naming R), counted
as "wrong_region". With --ignore-range the Range header is dropped before forwarding, so a ranged
GET gets 200 and the whole object, as from a store that does not support ranges (Range is signed:
use it with the server's authentication off); counted as "range_ignored". GET /__fault_stats
answers a JSON object with the counts.

Loopback only; it stops by itself after --max-requests requests or --max-seconds seconds, so a
test that dies cannot leave it running for long.
"""
import http.client
import http.server
import json
import random
import socket
import sys
import threading
import time

KINDS = ["error500", "slowdown", "drop", "lost_reply", "truncate", "stall"]


def main():
    upstream_port = int(sys.argv[1])
    rng = random.Random(int(sys.argv[2]))
    rates = {k: 0.0 for k in KINDS}
    max_requests, max_seconds, stall_seconds, bucket_region = 20000, 300.0, 2.0, None
    ignore_range = False
    args = sys.argv[3:]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--max-requests":
            max_requests, i = int(args[i + 1]), i + 2
        elif a == "--max-seconds":
            max_seconds, i = float(args[i + 1]), i + 2
        elif a == "--bucket-region":
            bucket_region, i = args[i + 1], i + 2
        elif a == "--ignore-range":
            ignore_range, i = True, i + 1
        elif a == "--stall-seconds":
            stall_seconds, i = float(args[i + 1]), i + 2
        else:
            name, value = a.split("=")
            if name not in rates:
                sys.exit("unknown fault kind " + name)
            rates[name], i = float(value), i + 1

    lock = threading.Lock()
    stats = {"requests": 0, "forwarded": 0, "wrong_region": 0, "range_ignored": 0}
    stats.update({k: 0 for k in KINDS})

    def draw():
        with lock:
            stats["requests"] += 1
            u = rng.random()
        for k in KINDS:
            if u < rates[k]:
                return k
            u -= rates[k]
        return None

    def count(kind):
        with lock:
            stats[kind] += 1

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _error(self, status, code, extra="", headers=()):
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
                    "<Message>injected by fault_proxy</Message>%s</Error>" % (code, extra)).encode()
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _drop(self):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/__fault_stats":
                with lock:
                    data = json.dumps(stats).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if bucket_region:
                scope = self.headers.get("Authorization", "").split("Credential=")[-1].split("/")
                if len(scope) > 2 and scope[2] != bucket_region:
                    count("wrong_region")
                    return self._error(400, "AuthorizationHeaderMalformed",
                                       "<Region>%s</Region>" % bucket_region,
                                       [("x-amz-bucket-region", bucket_region)])
            kind = draw()
            if kind and kind != "truncate":
                count(kind)
            if kind == "error500":
                return self._error(500, "InternalError")
            if kind == "slowdown":
                return self._error(503, "SlowDown")
            if kind == "drop":
                return self._drop()
            if kind == "stall":
                time.sleep(stall_seconds)
                return self._drop()
            conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "keep-alive")}
            if ignore_range and any(k.lower() == "range" for k in headers):
                headers = {k: v for k, v in headers.items() if k.lower() != "range"}
                count("range_ignored")
            conn.request(self.command, self.path, body=body if length else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            with lock:
                stats["forwarded"] += 1
            if kind == "lost_reply":
                return self._drop()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("connection", "keep-alive", "transfer-encoding",
                                     "content-length", "server", "date"):
                    self.send_header(k, v)
            if self.command == "HEAD":
                self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
                self.end_headers()
                return
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if kind == "truncate" and len(data) > 1:
                count(kind)
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                return self._drop()
            self.wfile.write(data)

        def do_GET(self):
            self._handle()

        def do_PUT(self):
            self._handle()

        def do_HEAD(self):
            self._handle()

        def do_DELETE(self):
            self._handle()

        def do_POST(self):
            self._handle()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT", server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    deadline = time.time() + max_seconds
    while time.time() < deadline:
        with lock:
            if stats["requests"] >= max_requests:
                break
        time.sleep(0.2)
    server.shutdown()


if __name__ == "__main__":
    main()
