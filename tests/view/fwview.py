"""Shared pieces of the live view's tests (tests/view/*_test.py): starting and
stopping `framewire serve --http` and `framewire send`, HTTP and WebSocket
clients over real loopback sockets, a PNG decoder for screenshots, and the
/live preview message decoder (src/view/live_messages.hpp).

Every process a test starts is registered here and stopped at exit, whatever
happens (assertion, exception, SIGTERM from ctest's timeout).
"""

import atexit
import http.client
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SKIP = 77  # ctest SKIP_RETURN_CODE

_processes = []


def log(*args):
    print("[%s %s]" % (time.strftime("%H:%M:%S"), os.path.basename(sys.argv[0])), *args,
          flush=True)


def _stop_all():
    for proc in reversed(_processes):
        stop_process(proc)


atexit.register(_stop_all)


def _on_signal(signum, _frame):
    _stop_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def start_process(argv, stdout_path, stderr_path=None, new_group=False):
    out = open(stdout_path, "wb")
    err = open(stderr_path, "wb") if stderr_path else subprocess.STDOUT
    proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                            start_new_session=new_group)
    proc.fw_group = new_group
    _processes.append(proc)
    return proc


def stop_process(proc, timeout=20):
    """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
    if proc.poll() is None:
        try:
            if proc.fw_group:
                os.killpg(proc.pid, signal.SIGTERM)
            else:
                proc.terminate()
            proc.wait(timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                if proc.fw_group:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
            except ProcessLookupError:
                pass
            proc.wait()
    if proc in _processes:
        _processes.remove(proc)
    return proc.returncode


def wait_until(what, predicate, timeout, interval=0.2):
    """Polls `predicate` until it returns a true value (returned) or `timeout` s pass."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s (last: %r)" % (timeout, what, last))


class Work:
    """A temporary folder, removed at exit unless the test failed (kept for its logs)."""

    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix="framewire-%s." % name)
        self.failed = True
        atexit.register(self._cleanup)

    def _cleanup(self):
        if self.failed:
            log("kept %s for its logs" % self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)

    def file(self, name):
        return os.path.join(self.path, name)


class Serve:
    """`framewire serve --root ROOT --listen 127.0.0.1:0 --http 127.0.0.1:0 [extra]`."""

    def __init__(self, framewire, work, extra=(), name="serve"):
        self.root = work.file(name + "-root")
        self.stdout = work.file(name + ".out")
        self.stderr = work.file(name + ".err")
        argv = [framewire, "serve", "--root", self.root, "--listen", "127.0.0.1:0",
                "--http", "127.0.0.1:0"] + list(extra)
        self.proc = start_process(argv, self.stdout, self.stderr)
        text = wait_until("the receiver's startup lines", self._started, 60)
        self.port = int(re.search(r"listening on [^ ]+:(\d+)", text).group(1))
        self.http = re.search(r"live view on http://([^/ ]+)/", text).group(1)
        self.http_host, http_port = self.http.rsplit(":", 1)
        self.http_port = int(http_port)
        log("receiver pid %d: frames on %d, http on %s" % (self.proc.pid, self.port, self.http))

    def _started(self):
        if self.proc.poll() is not None:
            raise AssertionError("framewire serve exited %d: %s" %
                                 (self.proc.returncode, open(self.stderr).read()))
        text = open(self.stdout).read()
        return text if "live view on http://" in text and "listening on" in text else None

    def url(self, path):
        return "http://%s%s" % (self.http, path)

    def get(self, path, method="GET", headers=None):
        """(status, headers dict lower-cased, body bytes) over a new connection."""
        conn = http.client.HTTPConnection(self.http_host, self.http_port, timeout=30)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()

    def get_json(self, path):
        status, _, body = self.get(path)
        assert status == 200, "%s: HTTP %d %r" % (path, status, body[:200])
        return json.loads(body)

    def metrics(self):
        status, headers, body = self.get("/metrics")
        assert status == 200, body
        return headers, body.decode()

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS for pid %d" % self.proc.pid)

    def stop(self):
        code = stop_process(self.proc)
        assert code == 0, "framewire serve exited %d: %s" % (code, open(self.stderr).read()[-2000:])


def send(framewire, serve, args, work, name="send"):
    """Starts `framewire send --to 127.0.0.1:PORT ARGS`; returns the Popen."""
    argv = [framewire, "send", "--to", "127.0.0.1:%d" % serve.port] + list(args)
    log("starting", " ".join(argv[1:]))
    return start_process(argv, work.file(name + ".out"), work.file(name + ".err"))


def metric_value(text, name):
    """The value of an unlabelled sample `name` in Prometheus text."""
    match = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    assert match, "no %s in /metrics" % name
    return float(match.group(1))


def decode_preview(message):
    """(stream, sequence, jpeg bytes) of a binary /live message."""
    (name_length,) = struct.unpack(">H", message[:2])
    name = message[2:2 + name_length].decode()
    (sequence,) = struct.unpack(">Q", message[2 + name_length:10 + name_length])
    return name, sequence, message[10 + name_length:]


def decode_png(data):
    """(width, height, channels, rows): an 8-bit, non-interlaced RGB or RGBA PNG
    (what Chromium's screenshots are) as rows of bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos = 8
    idat = b""
    width = height = channels = None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = []
    previous = bytearray(stride)
    offset = 0
    for _ in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def colourfulness(png):
    """Mean of max(r,g,b) - min(r,g,b) over the picture: 0 for grey pixels."""
    width, height, channels, rows = decode_png(png)
    total = 0
    for row in rows:
        for x in range(0, width * channels, channels):
            r, g, b = row[x], row[x + 1], row[x + 2]
            total += max(r, g, b) - min(r, g, b)
    return total / float(width * height)


def pixel_difference(png_a, png_b):
    """Mean absolute difference per channel of two same-sized PNGs."""
    wa, ha, ca, rows_a = decode_png(png_a)
    wb, hb, cb, rows_b = decode_png(png_b)
    assert (wa, ha) == (wb, hb), ((wa, ha), (wb, hb))
    total = 0
    for row_a, row_b in zip(rows_a, rows_b):
        for x in range(wa):
            for k in range(3):
                total += abs(row_a[x * ca + k] - row_b[x * cb + k])
    return total / float(wa * ha * 3)


def arguments(require_gen=False):
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--framewire", required=True)
    parser.add_argument("--gen", required=require_gen)
    return parser.parse_known_args()[0]
