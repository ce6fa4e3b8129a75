#!/usr/bin/python3
"""Pushing 1080p NumPy frames from Python: framewire against imagezmq-style ZeroMQ.

One process (this one) holds pre-generated frames and sends them; a receiver process on the same
machine stores every frame as a file in a folder under --work (the same folder for all):

  framewire   framewire.Sender + stream.send(array) (encoded in C++ by the stream's worker
              threads) or stream.send_bytes(data), to `framewire serve --sync none|batch` (the CLI).
              Stream policy "archive" (never drops; send() waits for room), default queue and
              workers (4, 2).
  reqrep      ZeroMQ REQ/REP, imagezmq's default: the sender encodes, sends [header, data] and
              waits for the reply; the receiver (`python_push.py recv`) writes the frame to a file
              and replies.
  pushpull    ZeroMQ PUSH/PULL (imagezmq's REQ_REP=False): the sender encodes and sends, never
              waits for the receiver (ZeroMQ queues up to the high-water mark, 1000 messages); the
              receiver writes each frame to a file.
  pushpull-2t PUSH/PULL with encoding on a pool of --zmq-threads threads, sent in order: what a
              careful user adds to go faster (OpenCV releases the GIL while it encodes; Debian's
              PIL 9.4 does not when saving to a BytesIO, so with PIL this gains nothing).
  pushpull-pil PUSH/PULL encoding with PIL, added when the ZeroMQ encoder is OpenCV (the encoder
              a Python user has without python3-opencv).

Cases (--cases):
  jpeg    1920x1080x3 uint8 BGR arrays -> JPEG quality --quality (4:2:0). framewire: TurboJPEG in
          C++; ZeroMQ: OpenCV's cv2.imencode when importable, else PIL (Image.save to BytesIO,
          libjpeg-turbo through Debian's python3-pil): OpenCV is the faster of the two here.
  bytes   the same frames JPEG-encoded once beforehand: framewire send_bytes() against ZeroMQ
          sending the same bytes (transport and storage only).
  ir      1920x1080 uint16 arrays -> lossless 16-bit PNG (zlib level 1). framewire: libpng in
          C++; ZeroMQ: the same through cv2 or PIL (compress_level=1); plus `pushpull-raw`, the
          array's 4 MB sent as it is (no encoding, what many imagezmq users do with send_image).

Latency handed -> stored: framewire's stream.stats()["handed_to_stored"] (send() until the
receiver's ACK that the frame is stored: encoding, queue, network, write, rename, manifest, ACK
back; the time send() waits for room in an archive stream's queue is before "handed"). ZeroMQ: the
sender stamps time.monotonic_ns() (CLOCK_MONOTONIC, one clock for all processes of this machine)
into the header when it is handed the frame, before encoding; the receiver takes it again after
the file is written (and fsync'ed with --durable) and closed. Percentiles: framewire's in 1%-wide
logarithmic buckets; ZeroMQ's exact (nearest rank).

frames/s: frames stored / (first frame handed -> last frame stored; for framewire until flush()
returned, i.e. every frame acknowledged). Each run sends for --duration seconds (or until
--max-frames, or --max-mb of frame data, whichever comes first), at full speed (rate 0) or paced at
N frames/s (--rates for jpeg and bytes, --ir-rates for ir: no Python encoder here makes 30 fps of
1080p PNG16); runs alternate the transports, and each figure is the median over --runs runs.
At full speed, latency is mostly queueing: what each transport lets wait between the send call
and the disk (framewire: the stream's queue of 4 and the receiver's 32 MiB window; ZeroMQ PUSH:
up to 1000 messages; REQ/REP: one frame).

Usage:
  python_push.py --framewire BIN [--work DIR] [--runs 3] [--duration 10] [--rates 0,30]
                 [--ir-rates 0,10] [--cases jpeg,bytes,ir]
                 [--transports framewire,reqrep,pushpull,pushpull-2t,pushpull-pil]
                 [--durable] [--json FILE]
  python_push.py recv --pattern pushpull|reqrep --out DIR --port-file FILE [--fsync]
(PYTHONPATH must reach the framewire module unless --transports leaves framewire out.)
"""

import argparse
import io
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

# header: sequence number, handed-at CLOCK_MONOTONIC ns, file extension (NUL-padded)
HEADER = struct.Struct("<QQ8s")
END = b"end"
WIDTH, HEIGHT = 1920, 1080


def now_ns():
    return time.monotonic_ns()  # CLOCK_MONOTONIC on Linux


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the ZeroMQ receiver (a process of its own)

def receive(args):
    import zmq

    os.makedirs(args.out, exist_ok=True)
    context = zmq.Context()
    reply = args.pattern == "reqrep"
    sock = context.socket(zmq.REP if reply else zmq.PULL)
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(args.port_file + ".tmp", args.port_file)

    cpu_start = cpu_seconds()
    latencies_ms = []
    total_bytes = 0
    first_handed_ns = last_written_ns = 0
    while True:
        parts = sock.recv_multipart(copy=False)
        header = parts[0].bytes
        if header == END:
            if reply:
                sock.send(b"bye")
            break
        seq, handed_ns, ext = HEADER.unpack(header)
        data = parts[1].buffer
        path = os.path.join(args.out, "%06d%s" % (seq, ext.rstrip(b"\0").decode()))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if args.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        written_ns = now_ns()
        if reply:
            sock.send(b"OK")  # imagezmq's ImageHub.send_reply(b"OK"), after the frame is handled
        if not latencies_ms:
            first_handed_ns = handed_ns
        last_written_ns = written_ns
        latencies_ms.append((written_ns - handed_ns) / 1e6)
        total_bytes += len(data)

    cpu = cpu_seconds() - cpu_start
    latencies_ms.sort()
    print(json.dumps({
        "frames": len(latencies_ms),
        "bytes": total_bytes,
        "first_handed_ns": first_handed_ns,
        "last_written_ns": last_written_ns,
        "cpu_s": cpu,
        "p50_ms": percentile(latencies_ms, 0.50),
        "p95_ms": percentile(latencies_ms, 0.95),
        "p99_ms": percentile(latencies_ms, 0.99),
        "max_ms": latencies_ms[-1] if latencies_ms else 0.0,
    }), flush=True)
    sock.close(linger=0)
    context.term()


# --- frames

def make_frames(count, kind, seed=1):
    """`count` varied 1080p frames: smooth gradients that change from frame to frame, a moving
    disc and mild sensor-like noise (camera-like JPEG sizes, not worst-case noise)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    frames = []
    for i in range(count):
        cx, cy = (240 + 73 * i) % WIDTH, (160 + 41 * i) % HEIGHT
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 < 140.0 ** 2
        if kind == "bgr":
            img = np.empty((HEIGHT, WIDTH, 3), np.float32)
            img[..., 0] = 128 + 100 * np.sin(xx / (180 + 7 * i) + 0.3 * i)
            img[..., 1] = 128 + 100 * np.cos(yy / (120 + 5 * i) - 0.2 * i)
            img[..., 2] = (xx * 0.5 + yy * 0.25 + 37 * i) % 256
            img[disc] = (40, 200, 90)
            img += rng.normal(0, 2.5, (HEIGHT, WIDTH, 1)).astype(np.float32)
            frames.append(np.clip(img, 0, 255).astype(np.uint8))
        else:  # a thermal scene in 16-bit counts: warm blob on a slow gradient, a few counts noise
            img = 20000 + 1500 * np.sin(xx / (400 + 11 * i)) + 900 * np.cos(yy / (300 + 7 * i))
            img[disc] += 4000
            img += rng.normal(0, 6, (HEIGHT, WIDTH)).astype(np.float32)
            frames.append(np.clip(img, 0, 65535).astype(np.uint16))
    return frames


class Encoders:
    """The Python-side encoders of the ZeroMQ senders: OpenCV when importable (and not refused),
    else PIL."""

    def __init__(self, which, quality):
        self.quality = quality
        self.name = None
        cv2 = None
        if which in ("auto", "cv2"):
            try:
                import cv2  # noqa: F811  (python3-opencv, optional)
            except ImportError:
                if which == "cv2":
                    raise
        if cv2 is not None:
            self.cv2 = cv2
            self.name = f"cv2.imencode (OpenCV {cv2.__version__})"
            self.jpeg = self._cv2_jpeg
            self.png16 = self._cv2_png16
        else:
            import PIL
            from PIL import Image, features

            self.Image = Image
            turbo = " (libjpeg-turbo)" if features.check_feature("libjpeg_turbo") else ""
            self.name = f"PIL {PIL.__version__} Image.save{turbo}"
            self.jpeg = self._pil_jpeg
            self.png16 = self._pil_png16

    def _cv2_jpeg(self, bgr):
        ok, buf = self.cv2.imencode(".jpg", bgr, [self.cv2.IMWRITE_JPEG_QUALITY, self.quality])
        assert ok
        return buf, b".jpg"

    def _cv2_png16(self, gray16):
        ok, buf = self.cv2.imencode(".png", gray16, [self.cv2.IMWRITE_PNG_COMPRESSION, 1])
        assert ok
        return buf, b".png"

    def _pil_jpeg(self, bgr):
        out = io.BytesIO()
        # "BGR" raw mode: PIL swaps the channels while unpacking, no NumPy copy first.
        image = self.Image.frombuffer("RGB", (bgr.shape[1], bgr.shape[0]), bgr, "raw", "BGR", 0, 1)
        image.save(out, "JPEG", quality=self.quality)  # 4:2:0, baseline, like TurboJPEG's default
        return out.getbuffer(), b".jpg"

    def _pil_png16(self, gray16):
        out = io.BytesIO()
        image = self.Image.frombuffer("I;16", (gray16.shape[1], gray16.shape[0]), gray16, "raw",
                                      "I;16", 0, 1)
        image.save(out, "PNG", compress_level=1)
        return out.getbuffer(), b".png"

    @staticmethod
    def raw(array):
        return memoryview(array).cast("B"), b".raw"


# --- pacing

def schedule(duration, max_frames, rate, idle=None):
    """Yields frame numbers: as fast as the caller takes them (rate 0) or one every 1/rate s
    (a late frame goes at once; the schedule does not burst to catch up). While it waits for the
    next frame's time it calls idle(due_ns) when given (which must return by then), else sleeps."""
    start = now_ns()
    end = start + int(duration * 1e9)
    period = int(1e9 / rate) if rate else 0
    due = start
    seq = 0
    while seq < max_frames:
        now = now_ns()
        if now >= end:
            return
        if period:
            if due > now and idle is not None:
                idle(due)
                now = now_ns()
            if due > now:
                time.sleep((due - now) / 1e9)
            due = max(due + period, now_ns())
        yield seq
        seq += 1


# --- one run of each transport

class Work:
    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def fresh(self, name):
        path = os.path.join(self.root, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path


def proc_cpu_seconds(pid):
    """utime + stime of a running process, from /proc (clock ticks, usually 10 ms)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_files(folder, skip=("manifest.jsonl",)):
    return sum(1 for n in os.listdir(folder) if n not in skip and not n.startswith("."))


def sorted_files(folder, skip=("manifest.jsonl",)):
    return sorted(n for n in os.listdir(folder) if n not in skip and not n.startswith("."))


def check_sample(path, case, reference):
    """The first stored frame is what was sent: a JPEG of the right size, the same bytes (bytes
    case) or the same 16-bit pixels (ir, lossless). Returns a problem or None."""
    with open(path, "rb") as f:
        data = f.read()
    if case == "bytes":
        return None if data == bytes(reference) else f"{path}: not the bytes sent"
    if path.endswith(".raw"):
        return None if data == reference.tobytes() else f"{path}: not the pixels sent"
    try:
        from PIL import Image
        import numpy as np
    except ImportError:
        return None
    image = Image.open(io.BytesIO(data))
    if image.size != (WIDTH, HEIGHT):
        return f"{path}: {image.size}, not {WIDTH}x{HEIGHT}"
    if case == "ir":
        pixels = np.asarray(image)
        if pixels.dtype != np.uint16:
            pixels = np.asarray(image.convert("I")).astype(np.uint16)
        if not np.array_equal(pixels, reference):
            return f"{path}: 16-bit pixels differ from those sent (not lossless)"
    return None


def run_framewire(opts, work, case, rate, frames):
    import framewire

    root = work.fresh("fw-root")
    log_path = os.path.join(work.root, "serve.log")
    log = open(log_path, "w")
    serve = subprocess.Popen(
        [opts.framewire, "serve", "--root", root, "--listen", "127.0.0.1:0",
         "--sync", "batch" if opts.durable else "none", "--log-interval", "0"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        address = None
        deadline = time.monotonic() + 20
        while address is None:
            if serve.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"framewire serve did not start: {open(log_path).read()}")
            for line in open(log_path):
                if "listening on " in line:
                    address = line.split("listening on ", 1)[1].split()[0].rstrip(",")
            time.sleep(0.02)
        serve_cpu_start = proc_cpu_seconds(serve.pid)

        infrared = case == "ir"
        stream_name = "bench/infrared" if infrared else "bench/visible"
        sender = framewire.Sender(address)
        stream = sender.stream(stream_name, source="infrared" if infrared else "visible",
                               policy="archive", quality=opts.quality)
        sender.flush()  # connects now, so that the connection is not in the timed part
        cpu_start = cpu_seconds()
        start = now_ns()
        for seq in schedule(opts.duration, opts.limit[case], rate):
            if case == "bytes":
                stream.send_bytes(frames[seq % len(frames)])
            else:
                stream.send(frames[seq % len(frames)])
        sender.flush()
        elapsed = (now_ns() - start) / 1e9
        cpu = cpu_seconds() - cpu_start
        stats = stream.stats()
        sender.close()
        serve_cpu = proc_cpu_seconds(serve.pid) - serve_cpu_start
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        log.close()

    folder = os.path.join(root, stream_name)
    stored = stats["frames_stored"]
    files = count_files(folder)
    problem = None
    if files != stored or stats["frames_dropped"] or stats["frames_rejected"]:
        problem = (f"framewire: {stored} stored, {files} files, {stats['frames_dropped']} dropped,"
                   f" {stats['frames_rejected']} rejected")
    elif stored:
        problem = check_sample(os.path.join(folder, sorted_files(folder)[0]), case, frames[0])
    latency = stats["handed_to_stored"]
    result = {
        "frames": stored,
        "handed": stats["frames_handed"],
        "seconds": elapsed,
        "frames_per_s": stored / elapsed if elapsed else 0.0,
        "bytes_per_frame": stats["bytes_stored"] / stored if stored else 0,
        "p50_ms": latency["p50_ms"],
        "p95_ms": latency["p95_ms"],
        "p99_ms": latency["p99_ms"],
        "max_ms": latency["max_ms"],
        "send_cpu_s": cpu,
        "recv_cpu_s": serve_cpu,
    }
    shutil.rmtree(root, ignore_errors=True)
    return result, problem


def run_zmq(opts, work, case, rate, frames, transport, encoders, pil_encoders):
    import zmq

    pattern = "reqrep" if transport == "reqrep" else "pushpull"
    threads = opts.zmq_threads if transport == "pushpull-2t" else 1
    if case == "bytes":
        encode = lambda data: (data, b".jpg")  # noqa: E731
    elif transport == "pushpull-raw":
        encode = encoders.raw
    else:
        chosen = pil_encoders if transport == "pushpull-pil" else encoders
        encode = chosen.png16 if case == "ir" else chosen.jpeg

    out = work.fresh("zmq-out")
    port_file = os.path.join(work.root, "zmq.port")
    if os.path.exists(port_file):
        os.remove(port_file)
    result_path = os.path.join(work.root, "zmq-recv.json")
    err_path = os.path.join(work.root, "zmq-recv.err")
    command = [sys.executable, os.path.abspath(__file__), "recv", "--pattern", pattern,
               "--out", out, "--port-file", port_file]
    if opts.durable:
        command.append("--fsync")
    with open(result_path, "w") as result_file, open(err_path, "w") as err_file:
        receiver = subprocess.Popen(command, stdout=result_file, stderr=err_file)
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if receiver.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ZeroMQ receiver did not start: {open(err_path).read()}")
            time.sleep(0.02)
        port = int(open(port_file).read())

        context = zmq.Context()
        sock = context.socket(zmq.REQ if pattern == "reqrep" else zmq.PUSH)
        sock.connect(f"tcp://127.0.0.1:{port}")
        time.sleep(0.2)  # let the connection come up: not in the timed part (as for framewire)

        def send(seq, handed_ns, payload):
            data, ext = payload
            sock.send_multipart([HEADER.pack(seq, handed_ns, ext), data], copy=False)
            if pattern == "reqrep":
                sock.recv()

        cpu_start = cpu_seconds()
        sent = 0
        if threads <= 1:
            for seq in schedule(opts.duration, opts.limit[case], rate):
                handed = now_ns()
                send(seq, handed, encode(frames[seq % len(frames)]))
                sent += 1
        else:
            # Encoding on a pool, sending in order from this thread: a frame goes as soon as it
            # and those before it are encoded; at most 2 per thread are handed to the pool.
            pending = deque()

            def send_ready(limit):
                nonlocal sent
                while pending and (len(pending) > limit or pending[0][2].done()):
                    seq, handed, future = pending.popleft()
                    send(seq, handed, future.result())
                    sent += 1

            def idle(due_ns):  # paced: send what gets encoded while waiting for the next frame
                while pending and now_ns() < due_ns:
                    try:
                        pending[0][2].result(timeout=max(0, due_ns - now_ns()) / 1e9)
                    except TimeoutError:
                        return
                    send_ready(len(pending))

            with ThreadPoolExecutor(threads) as pool:
                for seq in schedule(opts.duration, opts.limit[case], rate, idle):
                    pending.append((seq, now_ns(), pool.submit(encode, frames[seq % len(frames)])))
                    send_ready(2 * threads - 1)
                send_ready(0)
        sock.send_multipart([END])
        if pattern == "reqrep":
            sock.recv()
        cpu = cpu_seconds() - cpu_start
        sock.close(linger=-1)  # returns once everything queued is handed to the kernel
        context.term()
        if receiver.wait(120) != 0:
            raise RuntimeError(f"ZeroMQ receiver failed: {open(err_path).read()}")
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait()
    recv = json.loads(open(result_path).read())

    problem = None
    files = count_files(out)
    if recv["frames"] != sent or files != sent:
        problem = f"{transport}: {sent} sent, {recv['frames']} received, {files} files"
    elif sent:
        problem = check_sample(os.path.join(out, sorted_files(out)[0]), case, frames[0])
    elapsed = (recv["last_written_ns"] - recv["first_handed_ns"]) / 1e9
    result = {
        "frames": recv["frames"],
        "handed": sent,
        "seconds": elapsed,
        "frames_per_s": recv["frames"] / elapsed if elapsed > 0 else 0.0,
        "bytes_per_frame": recv["bytes"] / recv["frames"] if recv["frames"] else 0,
        "p50_ms": recv["p50_ms"],
        "p95_ms": recv["p95_ms"],
        "p99_ms": recv["p99_ms"],
        "max_ms": recv["max_ms"],
        "send_cpu_s": cpu,
        "recv_cpu_s": recv["cpu_s"],
    }
    shutil.rmtree(out, ignore_errors=True)
    return result, problem


# --- the benchmark

TRANSPORT_LABELS = {
    "framewire": "framewire (Sender, archive)",
    "reqrep": "ZeroMQ REQ/REP",
    "pushpull": "ZeroMQ PUSH/PULL",
    "pushpull-2t": "ZeroMQ PUSH/PULL, encoding on {threads} threads",
    "pushpull-pil": "ZeroMQ PUSH/PULL, PIL encoder",
    "pushpull-raw": "ZeroMQ PUSH/PULL, raw array (no encoding)",
}
CASE_LABELS = {
    "jpeg": "1080p BGR uint8 -> JPEG q{quality}",
    "bytes": "pre-encoded JPEG bytes (1080p)",
    "ir": "1080p uint16 -> PNG16 (lossless)",
}


def transports_for(case, wanted):
    rows = [t for t in wanted if not (case == "bytes" and t in ("pushpull-2t", "pushpull-pil"))]
    if case == "ir" and "pushpull" in wanted and "pushpull-raw" not in rows:
        rows.append("pushpull-raw")
    return rows


def median(values):
    return statistics.median(values) if values else 0.0


def fmt(value, digits=1):
    return f"{value:.{digits}f}"


def main_bench(opts):
    cases = [c for c in opts.cases.split(",") if c]
    transports = [t for t in opts.transports.split(",") if t]
    rates = sorted({float(r) for r in opts.rates.split(",") if r != ""} |
                   {float(r) for r in opts.ir_rates.split(",") if r != ""})
    for c in cases:
        if c not in CASE_LABELS:
            sys.exit(f"unknown case {c!r} (jpeg, bytes, ir)")
    for t in transports:
        if t not in TRANSPORT_LABELS:
            sys.exit(f"unknown transport {t!r} ({', '.join(TRANSPORT_LABELS)})")
    if "framewire" in transports:
        import framewire  # fail now, not after generating frames

        if not opts.framewire or not os.access(opts.framewire, os.X_OK):
            sys.exit("--framewire: the framewire CLI binary (serve) is needed")
        framewire_version = framewire.__version__
    else:
        framewire_version = None

    def log(message):
        print(f"[python_push] {message}", file=sys.stderr, flush=True)

    encoders = Encoders(opts.zmq_encoder, opts.quality)
    pil_encoders = Encoders("pil", opts.quality)
    if encoders.name == pil_encoders.name:
        transports = [t for t in transports if t != "pushpull-pil"]  # the same as pushpull
    work = Work(opts.work)
    log(f"generating {opts.distinct} distinct frames per kind; ZeroMQ encoder: {encoders.name}")
    frames = {}
    if "jpeg" in cases or "bytes" in cases:
        frames["jpeg"] = make_frames(opts.distinct, "bgr")
    if "bytes" in cases:
        frames["bytes"] = [bytes(encoders.jpeg(f)[0]) for f in frames["jpeg"]]
    if "ir" in cases:
        frames["ir"] = make_frames(opts.distinct, "gray16", seed=2)
    # Frames per run at most: --max-frames, and --max-mb of the receiver's files (tmpfs is RAM).
    approx = {"jpeg": 400e3, "bytes": statistics.mean(len(b) for b in frames.get("bytes", [b"x"])),
              "ir": 2 * WIDTH * HEIGHT}
    opts.limit = {c: max(1, min(opts.max_frames, int(opts.max_mb * 1e6 / approx[c]))) for c in cases}

    load_before = os.getloadavg()
    results = []  # one per (rate, case, transport)
    problems = []
    for rate in rates:
        for case in cases:
            case_rates = opts.ir_rates if case == "ir" else opts.rates
            if rate not in {float(r) for r in case_rates.split(",") if r != ""}:
                continue
            rows = transports_for(case, transports)
            runs = {t: [] for t in rows}
            for run in range(1, opts.runs + 1):
                for transport in rows:
                    if transport == "framewire":
                        result, problem = run_framewire(opts, work, case, rate, frames[case])
                    else:
                        result, problem = run_zmq(opts, work, case, rate, frames[case], transport,
                                                  encoders, pil_encoders)
                    result["load"] = os.getloadavg()[0]
                    runs[transport].append(result)
                    if problem:
                        problems.append(problem)
                        log(f"PROBLEM: {problem}")
                    log(f"rate {rate:g} {case} run {run}/{opts.runs} {transport}: "
                        f"{result['frames']} frames, {fmt(result['frames_per_s'])} frames/s, "
                        f"p50 {fmt(result['p50_ms'])} p99 {fmt(result['p99_ms'])} ms, "
                        f"CPU send {fmt(result['send_cpu_s'], 2)} recv {fmt(result['recv_cpu_s'], 2)} s")
            for transport in rows:
                per_run = runs[transport]
                med = {k: median([r[k] for r in per_run]) for k in per_run[0] if k != "load"}
                results.append({"rate": rate, "case": case, "transport": transport,
                                "median": med, "runs": per_run})

    report = {
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
                    "python": platform.python_version(),
                    "load_before": load_before, "load_after": os.getloadavg()},
        "settings": {"runs": opts.runs, "duration_s": opts.duration, "frame_limits": opts.limit,
                     "rates": opts.rates, "ir_rates": opts.ir_rates,
                     "distinct_frames": opts.distinct, "quality": opts.quality,
                     "durable": opts.durable, "work": opts.work, "zmq_encoder": encoders.name,
                     "zmq_threads": opts.zmq_threads, "framewire": framewire_version,
                     "framewire_sync": "batch" if opts.durable else "none"},
        "results": results,
        "problems": problems,
    }
    print_table(report, opts)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(report, f, indent=1)
    print(json.dumps(report))
    return 1 if problems else 0


def print_table(report, opts):
    s = report["settings"]
    m = report["machine"]
    durability = ("framewire --sync batch, ZeroMQ receiver fsync per file" if s["durable"]
                  else "framewire --sync none, ZeroMQ receiver without fsync")
    print()
    print(f"## Python push, 1080p frames, {s['runs']} runs of {s['duration_s']:g} s "
          f"(frame limits {s['frame_limits']}), medians")
    print()
    print(f"{m['cpus']} CPUs, {m['kernel']}, Python {m['python']}; load average "
          f"{m['load_before'][0]:.1f} before, {m['load_after'][0]:.1f} after. Receiver files "
          f"under {s['work']}; {durability}. ZeroMQ encoder: {s['zmq_encoder']}.")
    by_key = {(r["rate"], r["case"], r["transport"]): r for r in report["results"]}
    for rate in sorted({r["rate"] for r in report["results"]}):
        print()
        print(f"### {'as fast as possible' if not rate else f'paced at {rate:g} frames/s'}")
        print()
        print("| case | transport | frames/s | vs PUSH/PULL | KB/frame | handed->stored p50 ms "
              "| p99 ms | max ms | send CPU ms/frame | recv CPU ms/frame | CPU cores busy |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in report["results"]:
            if r["rate"] != rate:
                continue
            med = r["median"]
            base = by_key.get((rate, r["case"], "pushpull"))
            ratio = (f"{med['frames_per_s'] / base['median']['frames_per_s']:.2f}x"
                     if base and base["median"]["frames_per_s"] else "-")
            frames = max(med["frames"], 1)
            busy = (med["send_cpu_s"] + med["recv_cpu_s"]) / med["seconds"] if med["seconds"] else 0
            label = TRANSPORT_LABELS[r["transport"]].format(threads=s["zmq_threads"])
            case = CASE_LABELS[r["case"]].format(quality=s["quality"])
            print(f"| {case} | {label} | {fmt(med['frames_per_s'])} | {ratio} | "
                  f"{fmt(med['bytes_per_frame'] / 1e3, 0)} | {fmt(med['p50_ms'])} | "
                  f"{fmt(med['p99_ms'])} | {fmt(med['max_ms'])} | "
                  f"{fmt(1e3 * med['send_cpu_s'] / frames)} | {fmt(1e3 * med['recv_cpu_s'] / frames)} | "
                  f"{fmt(busy, 2)} |")
        print()
        print("Per run, frames/s and p99 ms:")
        print()
        for r in report["results"]:
            if r["rate"] == rate:
                cells = ", ".join(f"{fmt(x['frames_per_s'])} / {fmt(x['p99_ms'])}" for x in r["runs"])
                print(f"- {r['case']} {r['transport']}: {cells}")
    if report["problems"]:
        print()
        print("PROBLEMS:")
        for p in report["problems"]:
            print(f"- {p}")
    print()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "recv":
        parser = argparse.ArgumentParser(prog="python_push.py recv")
        parser.add_argument("--pattern", choices=("pushpull", "reqrep"), required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("--port-file", required=True)
        parser.add_argument("--fsync", action="store_true")
        receive(parser.parse_args(sys.argv[2:]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--framewire", help="the framewire CLI binary (for `framewire serve`)")
    parser.add_argument("--work", default=f"/dev/shm/framewire-pypush.{os.getpid()}",
                        help="where the receivers store (default /dev/shm/...; removed after)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--max-frames", type=int, default=6000, help="frames per run at most")
    parser.add_argument("--max-mb", type=float, default=2000,
                        help="MB of stored frames per run at most (the receiver's folder)")
    parser.add_argument("--rates", default="0,30",
                        help="frames/s to send jpeg and bytes at, comma-separated; 0: at full speed")
    parser.add_argument("--ir-rates", default="0,10", help="the same for ir")
    parser.add_argument("--cases", default="jpeg,bytes,ir")
    parser.add_argument("--transports",
                        default="framewire,reqrep,pushpull,pushpull-2t,pushpull-pil")
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality on both sides")
    parser.add_argument("--distinct", type=int, default=24, help="distinct frames per kind")
    parser.add_argument("--durable", action="store_true",
                        help="framewire --sync batch and the ZeroMQ receiver fsyncs every file")
    parser.add_argument("--zmq-encoder", choices=("auto", "pil", "cv2"), default="auto")
    parser.add_argument("--zmq-threads", type=int, default=2,
                        help="encoding threads of the pushpull-2t sender")
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument("--keep", action="store_true", help="keep --work")
    opts = parser.parse_args()
    try:
        return main_bench(opts)
    finally:
        if not opts.keep:
            shutil.rmtree(opts.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
