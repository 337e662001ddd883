"""Serves the Git repositories under a directory over smart HTTP, read-only: every request is
handed to `git http-backend` (CGI), as a web server would. Fetch and clone only (upload-pack);
pushes are refused (http-backend enables receive-pack only for authenticated users).

    git-http-server.py --root /srv/git --bind 0.0.0.0 --port 8418
    git clone http://<host>:8418/infra.git
"""
import argparse
import http.server
import os
import subprocess
import sys
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "git-http-server"
    protocol_version = "HTTP/1.1"

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _backend(self):
        url = urllib.parse.urlsplit(self.path)
        body = self._body() if self.command == "POST" else b""
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": self.server.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": urllib.parse.unquote(url.path),
            "QUERY_STRING": url.query,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
        }
        for name in ("GIT_CONFIG_GLOBAL", "HOME"):  # the service's git config
            if name in os.environ:
                env[name] = os.environ[name]
        for header in ("Content-Encoding", "Git-Protocol"):
            if self.headers.get(header):
                env["HTTP_" + header.upper().replace("-", "_")] = self.headers[header]
        proc = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                              check=False, timeout=300)
        head, sep, payload = proc.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = proc.stdout.partition(b"\n\n")
        if proc.returncode != 0 or not sep:
            self.log_error("git http-backend %s: %s", proc.returncode, proc.stderr.decode(errors="replace"))
            self.send_error(500)
            return
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, value = (line.split(":", 1) + [""])[:2]
            if name.lower() == "status":
                status = int(value.split()[0])
            else:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _backend
    do_POST = _backend


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="directory of the bare repositories")
    parser.add_argument("--bind", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8418)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer((args.bind, args.port), Handler)
    server.root = args.root
    server.daemon_threads = True
    sys.stderr.write("serving %s on %s:%d\n" % (args.root, args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
