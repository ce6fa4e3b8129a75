#!/usr/bin/python3
"""ZeroMQ PUSH/PULL baseline for bench/live.sh, in the style of imagezmq (PUSH/PULL mode).

Two processes on this machine:

  zmq_live.py recv --out DIR [--port-file FILE] [--no-fsync]
      binds a PULL socket on tcp://127.0.0.1 (a random free port, written to --port-file or
      printed on stderr as "listening on 127.0.0.1:PORT"), writes every frame to DIR/NNNNNN.jpg
      (write, fsync, close: the work framewire's receiver does before it acknowledges a frame,
      minus the rename and the manifest) and takes CLOCK_MONOTONIC once the file is closed. When
      the sender says it is done, prints one JSON object on stdout: frames, bytes, and
      latency_ms.send_to_written {p50, p95, p99, max} in milliseconds.

  zmq_live.py send --port PORT --frames DIR [--fps 30] [--duration S]
      loads the frames of DIR (sorted by name; the same JPEG bytes framewire sent), connects a PUSH
      socket and sends one frame every 1/FPS s for S seconds (cycling through DIR), each as a
      two-part message [header, jpeg] like imagezmq's send_jpg, the header holding the sequence
      number and CLOCK_MONOTONIC taken right before send(); then an end message.

Both processes run on one host, so the two CLOCK_MONOTONIC readings are comparable: send->written
corresponds to framewire's handed_to_stored (push() until the receiver's ACK), without the ACK's
trip back. Needs Debian's python3-zmq (bench/live.sh installs it).
"""

import argparse
import json
import os
import sys
import time

import zmq

END = b"end"


def monotonic_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, int(-(-fraction * len(sorted_values) // 1)))  # ceil
    return sorted_values[min(rank, len(sorted_values)) - 1]


def receive(args):
    os.makedirs(args.out, exist_ok=True)
    context = zmq.Context()
    pull = context.socket(zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)

    latencies_ms = []
    total_bytes = 0
    while True:
        parts = pull.recv_multipart(copy=False)
        header = parts[0].bytes
        if header == END:
            break
        meta = json.loads(header)
        data = parts[1].buffer
        path = os.path.join(args.out, f"{meta['seq']:06d}.jpg")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if not args.no_fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        written_ns = monotonic_ns()
        latencies_ms.append((written_ns - meta["t_send_ns"]) / 1e6)
        total_bytes += len(data)

    latencies_ms.sort()
    summary = {
        "frames": len(latencies_ms),
        "bytes": total_bytes,
        "latency_ms": {
            "send_to_written": {
                "p50": percentile(latencies_ms, 0.50),
                "p95": percentile(latencies_ms, 0.95),
                "p99": percentile(latencies_ms, 0.99),
                "max": latencies_ms[-1] if latencies_ms else 0.0,
            }
        },
    }
    print(json.dumps(summary), flush=True)
    pull.close(linger=0)
    context.term()


def send(args):
    names = sorted(n for n in os.listdir(args.frames) if not n.startswith(".") and n != "manifest.jsonl")
    if not names:
        sys.exit(f"zmq_live.py: no frames in {args.frames}")
    frames = []
    for name in names:
        with open(os.path.join(args.frames, name), "rb") as f:
            frames.append(f.read())

    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{args.port}")
    # A PUSH socket queues until the connection is up: wait for it, so the first frame's latency
    # is not the connect time (framewire's sender also connects before capturing).
    time.sleep(0.2)

    period_ns = int(1e9 / args.fps)
    count = int(args.duration * args.fps)
    start = monotonic_ns()
    sent = 0
    for seq in range(count):
        due = start + seq * period_ns
        now = monotonic_ns()
        if due > now:
            time.sleep((due - now) / 1e9)
        header = json.dumps({"seq": seq, "t_send_ns": monotonic_ns()}).encode()
        push.send_multipart([header, frames[seq % len(frames)]], copy=False)
        sent += 1
    push.send_multipart([END])
    push.close(linger=-1)  # returns once everything queued is handed to the kernel
    context.term()
    print(json.dumps({"sent": sent, "distinct_frames": len(frames)}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--out", required=True)
    r.add_argument("--port-file")
    r.add_argument("--no-fsync", action="store_true")
    s = sub.add_parser("send")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--frames", required=True)
    s.add_argument("--fps", type=float, default=30.0)
    s.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    if args.mode == "recv":
        receive(args)
    else:
        send(args)


if __name__ == "__main__":
    main()
