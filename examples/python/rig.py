#!/usr/bin/env python3
"""A camera rig in a dozen lines: a visible (BGR) and an infrared (16-bit) source sent over one
connection to a framewire receiver, and watched there as each frame is stored.

    python3 examples/python/rig.py --frames 50                    # in-process receiver, printed
    python3 examples/python/rig.py --to ingest:7878 --frames 50   # a `framewire serve` elsewhere

The sources are OpenCV cameras (--camera, --ir-camera: a UVC thermal camera giving Y16) when cv2
is importable and the camera opens, else generated NumPy arrays. From a build tree:
PYTHONPATH=build/python python3 examples/python/rig.py.
"""

import argparse
import os
import tempfile
import threading
import time

import numpy as np

import framewire


def camera(index, raw=False):
    """OpenCV's VideoCapture(index) when cv2 is there and the camera opens; else None."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")  # no warning for a camera that is not there
    try:
        import cv2
    except ImportError:
        return None
    capture = cv2.VideoCapture(index)
    if raw:  # 16-bit thermal cameras (Y16) come through untouched without the RGB conversion
        capture.set(cv2.CAP_PROP_CONVERT_RGB, 0)
    return capture if capture.isOpened() else None


def frames(args):
    """(bgr, thermal) pairs: HxWx3 uint8 and HxW uint16, from the cameras or generated."""
    visible, infrared = camera(args.camera), camera(args.ir_camera, raw=True)
    print(f"visible: {f'camera {args.camera}' if visible else 'generated'}, "
          f"infrared: {f'camera {args.ir_camera}' if infrared else 'generated'}", flush=True)
    y, x = np.mgrid[0:480, 0:640]  # generated visible: 640x480; infrared: 640x512
    ty, tx = np.mgrid[0:512, 0:640]
    for i in range(args.frames):
        ok, bgr = visible.read() if visible else (False, None)
        if not ok:  # a moving colour gradient
            bgr = np.dstack([(x + 4 * i) % 256, (y + 2 * i) % 256, np.full_like(x, 128)])
            bgr = bgr.astype(np.uint8)
        ok, thermal = infrared.read() if infrared else (False, None)
        if not ok or thermal.dtype != np.uint16:  # a warm spot drifting over a cool scene
            hot = np.exp(-((tx - (8 * i) % 640) ** 2 + (ty - 256) ** 2) / 5000.0)
            thermal = (29000 + 6000 * hot).astype(np.uint16)
        yield bgr, thermal
        time.sleep(1 / args.fps)  # a camera's pace (a real camera's read() waits by itself)


def show(frame):
    image = frame.image()  # the stored file decoded: BGR uint8 or uint16, as sent
    print(f"stored {frame.stream}/{frame.name}  #{frame.sequence}  {image.shape} {image.dtype}"
          f"  range {image.min()}..{image.max()}  -> {frame.path}", flush=True)


def send(to, args):
    with framewire.Sender(to) as sender:  # one connection, both streams
        visible = sender.stream("rig1/visible", source="visible")
        infrared = sender.stream("rig1/infrared", source="infrared", policy="archive")
        for bgr, thermal in frames(args):
            visible.send(bgr)  # JPEG, encoded in C++ off this thread
            infrared.send(thermal)  # 16-bit PNG, lossless
    return sender.close()  # the summary (the with block waited for every acknowledgement)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--to", help="HOST:PORT of a receiver; default: one in this process")
    parser.add_argument("--frames", type=int, default=50, help="frames per source")
    parser.add_argument("--fps", type=float, default=15.0, help="pace of the generated sources")
    parser.add_argument("--camera", type=int, default=0, help="OpenCV index of the visible camera")
    parser.add_argument("--ir-camera", type=int, default=1, help="OpenCV index of the Y16 camera")
    args = parser.parse_args()

    if args.to:
        summary = send(args.to, args)
    else:
        root = tempfile.mkdtemp(prefix="framewire-rig-")
        with framewire.Receiver(root=root, listen="127.0.0.1:0") as receiver:
            watched = receiver.frames(lossless=True)  # every frame, as it is stored
            watcher = threading.Thread(target=lambda: [show(f) for f in watched])
            watcher.start()
            summary = send(receiver.address, args)
        watcher.join()  # the iterator ends once the receiver has stopped
        print(f"frames under {root}")
    for stream in summary["streams"]:
        latency = stream["handed_to_stored"]
        print(f"{stream['name']}: {stream['frames_stored']} stored, {stream['frames_dropped']} "
              f"dropped, handed->stored p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms")


if __name__ == "__main__":
    main()
