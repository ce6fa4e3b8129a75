#!/usr/bin/env python3
"""Slow consumers of the live view cost the receiver bounded memory and
nothing else: a /live WebSocket client that watches every stream and then
never reads (its receive buffer shrunk to 4 KiB), plus 100 idle HTTP
keep-alive connections, while a sender captures a visible and an infrared
stream. The sender runs until the server has had to drop previews for the
stalled client (at least MIN_LOST, polled on /metrics: how long that takes
depends on the machine, e.g. a ThreadSanitizer build converts slowly), at
least SECONDS, and is then stopped with SIGTERM, which it must complete
(exit 0: every captured frame stored). The receiver's VmRSS must stay within
a generous bound of what it was before, and the accounting must show
previews dropped, not queued: previews_lost is above previews_sent, which
stays what the socket buffers took. (The speed side, throughput with and without such viewers, is
measured by bench/viewer_load.sh, not asserted here.)"""

import json
import os
import socket
import time

import websocket

import fwview
from fwview import log

IDLE_CLIENTS = 100
SECONDS = 12
MIN_LOST = 30
MAX_SECONDS = 240
RSS_GROWTH_LIMIT_KIB = 96 * 1024  # generous: storage buffers, allocator slack
STREAMS = ["rig1/visible", "rig1/infrared"]


def open_idle_clients(serve, count):
    """Keep-alive connections that made one request each and then say nothing."""
    clients = []
    for _ in range(count):
        s = socket.create_connection((serve.http_host, serve.http_port), timeout=30)
        s.sendall(b"GET /streams HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        clients.append(s)
    for s in clients:
        # Read the one answer's head; the body may still be in flight, which is fine.
        head = s.recv(65536)
        assert head.startswith(b"HTTP/1.1 200"), head[:100]
    return clients


def main():
    args = fwview.arguments()
    # Under AddressSanitizer (scripts/test --sanitize) freed memory waits in a 256 MiB
    # quarantine that counts in RSS: keep it small, so RSS measures what the receiver holds.
    if "ASAN_OPTIONS" in os.environ:
        os.environ["ASAN_OPTIONS"] += ":quarantine_size_mb=1"
    work = fwview.Work("slow-consumers")
    serve = fwview.Serve(args.framewire, work)
    rss_before = serve.rss_kib()

    stalled = websocket.create_connection(
        "ws://%s/live" % serve.http, timeout=30,
        sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    stalled.send(json.dumps({"watch": [{"stream": s, "palette": "ironbow"} for s in STREAMS]}))
    idle = open_idle_clients(serve, IDLE_CLIENTS)
    headers, text = serve.metrics()
    clients = fwview.metric_value(text, "framewire_view_clients")
    # The stalled WebSocket, the 100 idle ones, and this /metrics request.
    assert clients >= IDLE_CLIENTS + 1, clients
    log("%d clients connected, receiver VmRSS %d KiB" % (clients, rss_before))

    sender = fwview.send(args.framewire, serve, [
        "--duration", str(MAX_SECONDS),
        "--stream", STREAMS[0], "--source", "visible", "--capture", "testsrc:1280x720@30",
        "--stream", STREAMS[1], "--source", "infrared", "--capture", "irsrc:640x512@30"], work)
    started = time.monotonic()

    def dropped_enough():
        if sender.poll() is not None:
            raise AssertionError("sender ended early (%d): %s" %
                                 (sender.returncode, open(work.file("send.err")).read()[-2000:]))
        lost = fwview.metric_value(serve.metrics()[1], "framewire_view_previews_lost_total")
        return lost >= MIN_LOST and time.monotonic() - started >= SECONDS

    fwview.wait_until("%d previews dropped for the stalled client" % MIN_LOST, dropped_enough,
                      MAX_SECONDS - 10, interval=1.0)
    code = fwview.stop_process(sender, timeout=120)
    assert code == 0, "sender exited %d: %s" % (code, open(work.file("send.err")).read()[-2000:])
    summary = open(work.file("send.out")).read()
    log("sender done:", summary.strip().splitlines()[-1] if summary.strip() else "")

    rss_after = serve.rss_kib()
    _, text = serve.metrics()
    lost = fwview.metric_value(text, "framewire_view_previews_lost_total")
    sent = fwview.metric_value(text, "framewire_view_previews_sent_total")
    live = fwview.metric_value(text, "framewire_view_live_clients")
    log("VmRSS %d -> %d KiB; previews sent %d, lost %d; live clients %d" %
        (rss_before, rss_after, sent, lost, live))
    assert live == 1, "the stalled client should still be connected (%d)" % live
    assert lost >= MIN_LOST, "the stalled client's previews were not dropped (lost %d)" % lost
    assert lost > sent, "more previews were written (%d) than dropped (%d)" % (sent, lost)
    assert rss_after - rss_before < RSS_GROWTH_LIMIT_KIB, (rss_before, rss_after)

    streams = {s["name"]: s for s in serve.get_json("/streams")["streams"]}
    for name in STREAMS:
        assert name in streams and streams[name]["frames_stored"] > 0, streams.get(name)

    for s in idle:
        s.close()
    stalled.close()
    serve.stop()
    work.failed = False
    log("passed")


if __name__ == "__main__":
    main()
