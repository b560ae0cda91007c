"""A small HTTPS server for HttpClient's TLS tests: PUT stores the body under the path, GET
answers it (Content-Length), HEAD its length; HTTP/1.1 with keep-alive.

usage: tls_echo_server.py CERT_PEM KEY_PEM [--max-seconds S]

Listens on 127.0.0.1 (a free port, printed on the first line of stdout as "PORT <n>"). GET of a
path never put answers 404 with a chunked body. Stops by itself after --max-seconds (default 60).
"""
import http.server
import ssl
import sys
import threading
import time


def main():
    cert, key = sys.argv[1], sys.argv[2]
    max_seconds = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--max-seconds" else 60.0
    store = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_PUT(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                store[self.path] = body
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            with lock:
                body = store.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                msg = b"<Error><Code>NoSuchKey</Code></Error>"
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(msg), msg))
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self):
            with lock:
                body = store.get(self.path, b"")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("PORT", server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(max_seconds)
    server.shutdown()


if __name__ == "__main__":
    main()
