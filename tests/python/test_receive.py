"""The in-process receiver: its frame iterator, slow consumers, threads."""

import os
import threading

import pytest

import framewire
from conftest import collect, infrared_frame, visible_frame, wait_stored


def test_receiver_reports_where_it_listens(tmp_path):
    with framewire.Receiver(root=str(tmp_path / "store")) as r:
        assert r.port > 0
        assert r.address == f"127.0.0.1:{r.port}"
    assert r.port == 0  # stopped


def test_slow_consumer_loses_oldest_frames_and_is_told(receiver):
    frames = receiver.frames(capacity=2)  # lossy: storage never waits for us
    with framewire.Sender(receiver.address) as s:
        vis = s.stream("rig1/visible", policy="archive")
        for i in range(30):
            vis.send_bytes(b"\xff\xd8" + bytes([i]) * 100)
    # Everything is stored although nobody read the feed; the feed kept only the newest two.
    assert wait_stored(receiver, 30) == 30
    got = collect(frames, 2)
    assert [f.name for f in got] == ["000028.jpg", "000029.jpg"]
    assert got[0].dropped_before == 28
    assert frames.dropped == 28


def test_iterator_ends_when_the_receiver_stops(tmp_path):
    r = framewire.Receiver(root=str(tmp_path / "store"))
    frames = r.frames()
    threading.Timer(0.3, r.stop).start()
    assert list(frames) == []


def test_callback_delivery(receiver):
    seen = []
    done = threading.Event()

    def on_frame(frame):
        seen.append(frame.name)
        if len(seen) == 5:
            done.set()

    framewire.on_frame(receiver, on_frame, lossless=True)
    with framewire.Sender(receiver.address) as s:
        ir = s.stream("rig1/infrared", source="infrared", policy="archive")
        for i in range(5):
            ir.send(infrared_frame(i))
    assert done.wait(20)
    assert seen == [f"{i:06d}.png" for i in range(5)]


def test_two_python_threads_send_at_once(receiver):
    per_thread = 40
    with framewire.Sender(receiver.address) as s:
        streams = [s.stream("rig1/visible", policy="archive"),
                   s.stream("rig1/infrared", source="infrared", policy="archive")]
        errors = []

        def pump(stream, make):
            try:
                for i in range(per_thread):
                    stream.send(make(i))
            except Exception as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=pump, args=(streams[0], visible_frame)),
                   threading.Thread(target=pump, args=(streams[1], infrared_frame))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    summary = s.close()
    assert summary["frames_stored"] == 2 * per_thread
    for stream in ("visible", "infrared"):
        names = sorted(os.listdir(os.path.join(receiver.root, "rig1", stream)))
        names.remove("manifest.jsonl")
        assert len(names) == per_thread
