"""Serves moto's S3 (and IAM) API one request at a time.

moto's in-memory models are not safe when several threads write the same key at once (the
threaded moto_server answers 500 "I/O operation on closed file" for concurrent PUTs to one key),
so the tests serialise requests on the server side. HTTP/1.0 responses close each connection,
so one idle keep-alive client cannot block the others.

Usage: python moto_single.py HOST PORT
"""
import sys

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


class Http10Handler(MotoRequestHandler):
    protocol_version = "HTTP/1.0"


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, use_reloader=False, request_handler=Http10Handler)


if __name__ == "__main__":
    main()
