#!/usr/bin/env python3
"""Slow viewers for bench/viewer_load.sh: one /live WebSocket client that watches
the given streams and then never reads (receive buffer 4 KiB), plus N idle HTTP
keep-alive connections that made one request each. Prints "ready" once all are
connected, then holds them until SIGTERM.
Usage: viewer_clients.py HOST:PORT N STREAM..."""

import json
import signal
import socket
import sys
import time

import websocket


def main():
    address, count, streams = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    host, port = address.rsplit(":", 1)
    stalled = websocket.create_connection(
        "ws://%s/live" % address, timeout=30,
        sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    stalled.send(json.dumps({"watch": [{"stream": s, "palette": "ironbow"} for s in streams]}))
    idle = []
    for _ in range(count):
        s = socket.create_connection((host, int(port)), timeout=30)
        s.sendall(b"GET /streams HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(65536)
        idle.append(s)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
