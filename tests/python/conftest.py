"""Fixtures of the framewire Python tests: real receivers on 127.0.0.1 (in-process, on a
background thread), real files in pytest's tmp_path. Run by scripts/test in a fresh venv with
the module installed by pip; `PYTHONPATH=build/python pytest tests/python` works too."""

import os
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import framewire

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver(tmp_path):
    with framewire.Receiver(root=str(tmp_path / "store"), listen="127.0.0.1:0") as r:
        yield r


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """A loopback server that accepts connections and never answers (the handshake stalls)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    """A private PKI from scripts/make-certs: the receiver, and a sender with CN cam-a."""
    out = tmp_path_factory.mktemp("certs")
    subprocess.run([str(ROOT / "scripts" / "make-certs"), "--out", str(out), "--force", "cam-a"],
                   check=True, capture_output=True)
    return out


def visible_frame(index, height=120, width=160):
    """A BGR uint8 image that changes with `index` (smooth, so JPEG keeps it close)."""
    y, x = np.mgrid[0:height, 0:width]
    frame = np.empty((height, width, 3), np.uint8)
    frame[..., 0] = (x + 3 * index) % 256
    frame[..., 1] = (y * 2 + index) % 256
    frame[..., 2] = 128
    return frame


def infrared_frame(index, height=96, width=128):
    """A 16-bit thermal-like image using the full 16-bit range (any PNG error would show)."""
    rng = np.random.default_rng(index)
    return rng.integers(0, 65536, size=(height, width), dtype=np.uint16)


def wait_stored(receiver, count, seconds=10):
    """The receiver's total of stored frames once it reaches `count` (it adds a connection's
    frames when it sees the connection end, a moment after the sender's close returned)."""
    deadline = time.monotonic() + seconds
    while receiver.stats()["frames_stored"] < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return receiver.stats()["frames_stored"]


def collect(frames, count):
    got = []
    for frame in frames:
        got.append(frame)
        if len(got) == count:
            break
    return got
