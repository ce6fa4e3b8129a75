#!/usr/bin/env python3
"""The receiver's HTTP routes over real sockets (framewire serve --http):
/streams lists a stream once frames were sent; /streams/NAME/latest answers the
newest stored file byte for byte with its Content-Type; 400 for a name that
breaks the name rules, 404 for unknown routes and streams, 405 for a non-GET,
413 for an oversized request; /metrics is Prometheus text that Prometheus's
own parser reads, its counters matching what was sent; /live gives figures and a preview of a watched stream; and
a non-loopback --http without --http-public is refused with exit code 2."""

import json
import os
import socket
import subprocess

import websocket
from prometheus_client.parser import text_string_to_metric_families

import fwview
from fwview import log

FRAMES = 6


def newest_stored_file(root, stream):
    folder = os.path.join(root, stream)
    names = [n for n in os.listdir(folder) if n != "manifest.jsonl" and not n.startswith(".")]
    # framewire-gen names frames by number (0.png, 1.png, ...): the highest is the newest.
    return os.path.join(folder, max(names, key=lambda n: int(n.split(".")[0])))


def samples_of(text):
    """{(sample name, frozenset of labels): value} as Prometheus's own parser reads them."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def check_counters(serve, frames_folder):
    """The counters say what was sent: FRAMES frames of these bytes, one connection, no reject."""
    sent_bytes = sum(os.path.getsize(os.path.join(frames_folder, n))
                     for n in os.listdir(frames_folder))
    stream = frozenset({"stream": "rig1/visible", "source": "visible"}.items())
    # The sender has gone: its connection's close is counted once the receiver saw it.
    samples = fwview.wait_until(
        "no active connection in /metrics",
        lambda: (lambda s: s if s.get(("framewire_connections",
                                       frozenset({"state": "active"}.items()))) == 0 else None)(
            samples_of(serve.metrics()[1])),
        30)
    expected = {
        ("framewire_frames_stored_total", frozenset()): FRAMES,
        ("framewire_stored_bytes_total", frozenset()): sent_bytes,
        ("framewire_connections_opened_total", frozenset()): 1,
        ("framewire_stream_frames_stored_total", stream): FRAMES,
        ("framewire_stream_stored_bytes_total", stream): sent_bytes,
        ("framewire_stream_frames_rejected_total", stream): 0,
        ("framewire_stream_frames_dropped_total", stream): 0,
        ("framewire_stream_open", stream): 0,
    }
    for key, value in expected.items():
        assert samples.get(key) == value, (key, samples.get(key), value)
    assert not [k for k in samples if k[0] == "framewire_frames_rejected_total"], samples
    assert not [k for k in samples if k[0] == "framewire_connection_errors_total"], samples
    # Every frame went through a group commit, and the histogram's +Inf bucket is its count.
    commits = samples[("framewire_commit_duration_seconds_count", frozenset())]
    assert 1 <= commits <= FRAMES, commits
    assert samples[("framewire_commit_duration_seconds_bucket",
                    frozenset({"le": "+Inf"}.items()))] == commits
    log("/metrics counters match what was sent: %d frames, %d bytes, %d group commits"
        % (FRAMES, sent_bytes, commits))


def test_public_address_refused(framewire, work):
    argv = [framewire, "serve", "--root", work.file("public-root"), "--listen", "127.0.0.1:0",
            "--http", "0.0.0.0:0"]
    result = subprocess.run(argv, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert b"--http-public" in result.stderr, result.stderr
    assert b"live view on" not in result.stdout, result.stdout
    log("non-loopback --http refused with exit 2:", result.stderr.decode().strip())


def test_routes(framewire, gen, work):
    serve = fwview.Serve(framewire, work)

    status, _, body = serve.get("/streams/rig1/visible/latest")
    assert status == 404, (status, body)

    frames = work.file("visible")
    subprocess.run([gen, "--kind", "visible", "--count", str(FRAMES), "--out", frames],
                   check=True, timeout=120, stdout=subprocess.DEVNULL)
    sender = fwview.send(framewire, serve, ["--stream", "rig1/visible", "--source", "visible",
                                            frames], work)
    assert sender.wait(120) == 0, open(work.file("send.err")).read()

    streams = fwview.wait_until(
        "rig1/visible in /streams",
        lambda: [s for s in serve.get_json("/streams")["streams"] if s["name"] == "rig1/visible"],
        30)
    log("/streams:", json.dumps(streams[0])[:300])

    status, headers, body = serve.get("/streams/rig1/visible/latest")
    assert status == 200, (status, body[:200])
    newest = newest_stored_file(serve.root, "rig1/visible")
    with open(newest, "rb") as f:
        assert body == f.read(), "latest differs from %s" % newest
    assert headers["content-type"] == "image/png", headers
    log("latest: %d bytes, byte-identical to %s" % (len(body), os.path.basename(newest)))

    for path, expected in [("/streams/rig1/.hidden/latest", 400),
                           ("/streams/rig1//visible/latest", 400),
                           ("/streams/rig1/vis%2Fible/latest", 400),
                           ("/streams/rig9/none/latest", 404),
                           ("/nothing-here", 404),
                           ("/streams/rig1/visible", 404)]:
        status, _, body = serve.get(path)
        assert status == expected, (path, status, body)
    for method in ["POST", "PUT", "DELETE"]:
        status, headers, _ = serve.get("/metrics", method=method)
        assert status == 405, (method, status)
    status, _, _ = serve.get("/streams", headers={"X-Big": "x" * 20000})
    assert status == 413, status

    headers, text = serve.metrics()
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in ["framewire_view_clients", "framewire_view_previews_lost"]:
        assert name in families, (name, sorted(families))
    log("/metrics: %d families parsed by prometheus_client" % len(families))
    check_counters(serve, frames)

    status, headers, body = serve.get("/")
    assert status == 200 and headers["content-type"].startswith("text/html"), status
    assert b"new WebSocket" in body, body[:200]
    for outside in [b'src="http', b"href=\"http", b"@import", b"url(http"]:
        assert outside not in body, "the page must load nothing from elsewhere: %r" % outside

    # /live: the first message is figures; a watched stream gets its newest frame at once.
    ws = websocket.create_connection("ws://%s/live" % serve.http, timeout=30)
    try:
        figures = json.loads(ws.recv())
        assert figures["type"] == "figures" and figures["lost"] == 0, figures
        assert any(s["name"] == "rig1/visible" for s in figures["streams"]), figures
        ws.send(json.dumps({"watch": [{"stream": "rig1/visible", "palette": "grey"}]}))
        while True:
            opcode, data = ws.recv_data()
            if opcode == websocket.ABNF.OPCODE_BINARY:
                break
        name, sequence, jpeg = fwview.decode_preview(data)
        assert name == "rig1/visible" and sequence == FRAMES - 1, (name, sequence)
        assert jpeg[:2] == b"\xff\xd8", jpeg[:4]
        log("/live preview: %s #%d, %d bytes of JPEG" % (name, sequence, len(jpeg)))
    finally:
        ws.close()

    # Plain HTTP on /live without the upgrade.
    status, _, _ = serve.get("/live")
    assert status == 400, status
    serve.stop()


def main():
    args = fwview.arguments(require_gen=True)
    work = fwview.Work("http-routes")
    test_public_address_refused(args.framewire, work)
    test_routes(args.framewire, args.gen, work)
    work.failed = False
    log("passed")


if __name__ == "__main__":
    main()
