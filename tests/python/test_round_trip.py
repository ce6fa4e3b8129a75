"""Frames sent from NumPy arrive, are stored and decode back to the arrays."""

import os
import time

import numpy as np
import pytest

import framewire
from conftest import collect, infrared_frame, visible_frame, wait_stored


def test_visible_and_infrared_round_trip(receiver):
    frames = receiver.frames(lossless=True, timeout=20)
    with framewire.Sender(receiver.address) as s:
        vis = s.stream("rig1/visible", source="visible", policy="archive")
        ir = s.stream("rig1/infrared", source="infrared", policy="archive")
        for i in range(8):
            vis.send(visible_frame(i))
            ir.send(infrared_frame(i))
    got = collect(frames, 16)
    assert len(got) == 16
    by_stream = {}
    for frame in got:
        by_stream.setdefault(frame.stream, []).append(frame)
    assert [f.name for f in by_stream["rig1/visible"]] == [f"{i:06d}.jpg" for i in range(8)]
    assert [f.name for f in by_stream["rig1/infrared"]] == [f"{i:06d}.png" for i in range(8)]
    assert {f.source for f in by_stream["rig1/infrared"]} == {"infrared"}
    for i, frame in enumerate(by_stream["rig1/infrared"]):
        image = frame.image()
        assert image.dtype == np.uint16
        np.testing.assert_array_equal(image, infrared_frame(i))  # PNG16: lossless
        assert frame.sequence == i
        assert os.path.getsize(frame.path) == frame.size == len(frame.data)
    for i, frame in enumerate(by_stream["rig1/visible"]):
        image = frame.image()
        assert image.shape == (120, 160, 3) and image.dtype == np.uint8
        # JPEG is lossy: close, channel order kept (BGR in, BGR out).
        error = np.abs(image.astype(int) - visible_frame(i).astype(int)).mean()
        assert error < 4, error
        assert frame.data[:2] == b"\xff\xd8"


def test_gray8_png_is_lossless_and_rgb_order_is_kept(receiver):
    frames = receiver.frames(lossless=True, timeout=20)
    gray = (np.arange(64 * 80, dtype=np.uint32).reshape(64, 80) % 251).astype(np.uint8)
    rgb = visible_frame(5)[:, :, ::-1].copy()
    with framewire.Sender(receiver.address) as s:
        g = s.stream("lab/gray", policy="archive", encoding="png")
        c = s.stream("lab/colour", policy="archive", encoding="png")
        g.send(gray)
        c.send(rgb, rgb=True)
    got = {f.stream: f for f in collect(frames, 2)}
    np.testing.assert_array_equal(got["lab/gray"].image(), gray)
    np.testing.assert_array_equal(got["lab/colour"].image(rgb=True), rgb)
    np.testing.assert_array_equal(got["lab/colour"].image(), rgb[:, :, ::-1])


def test_send_bytes_keeps_name_bytes_and_capture_time(receiver):
    frames = receiver.frames(lossless=True, timeout=20)
    payload = b"\xff\xd8" + os.urandom(5000)
    t = 1_700_000_000.25
    with framewire.Sender(receiver.address) as s:
        vis = s.stream("rig1/visible", policy="archive")
        vis.send_bytes(payload, name="000017.jpg", capture_time=t)
        vis.send_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    first, second = collect(frames, 2)
    assert (first.name, first.data) == ("000017.jpg", payload)
    assert abs(first.capture_time - t) < 1e-6
    assert second.name.endswith(".png")
    assert first.stored_time > 0


def test_stats_count_frames_and_latency(receiver):
    with framewire.Sender(receiver.address) as s:
        vis = s.stream("rig1/visible", policy="archive")
        for i in range(20):
            vis.send(visible_frame(i))
        s.flush(timeout=30)
        stats = s.stats()
        assert stats["frames_stored"] == 20
        assert stats["frames_sent"] == 20
        stream = vis.stats()
        assert stream["name"] == "rig1/visible"
        assert stream["frames_stored"] == 20
        assert stream["handed_to_stored"]["count"] == 20
        assert 0 < stream["handed_to_stored"]["p50_ms"] <= stream["handed_to_stored"]["p99_ms"]
    summary = s.close()  # again after the with block: the same summary
    assert summary["frames_stored"] == 20
    assert wait_stored(receiver, 20) == 20


def test_send_folder(receiver, tmp_path):
    folder = tmp_path / "cam0"
    folder.mkdir()
    for i in range(12):
        (folder / f"{i}.png").write_bytes(os.urandom(1000 + i))
    summary = framewire.send_folder(receiver.address, "rig1/visible", str(folder),
                                    source="visible")
    assert summary["frames_stored"] == 12
    stored = os.path.join(receiver.root, "rig1", "visible")
    for i in range(12):
        with open(os.path.join(stored, f"{i}.png"), "rb") as f:
            assert f.read() == (folder / f"{i}.png").read_bytes()
    again = framewire.send_folder(receiver.address, "rig1/visible", str(folder))
    assert again["frames_stored"] == 0 and again["already_stored_frames"] == 12


def test_live_stream_drops_oldest_but_never_fails(receiver):
    with framewire.Sender(receiver.address) as s:
        vis = s.stream("rig1/visible", policy="live", queue=1, workers=1)
        big = visible_frame(0, 1080, 1920)
        start = time.monotonic()
        for _ in range(40):
            vis.send(big)  # never waits for the encoder
        assert time.monotonic() - start < 5
    stats = s.close()
    (stream,) = stats["streams"]
    assert stream["frames_stored"] + stream["frames_dropped"] == 40
    assert stream["frames_stored"] >= 1
