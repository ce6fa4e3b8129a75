"""Several receivers: `to` as a list; a refused first receiver hands over to the next."""

import os

import pytest

import framewire
from conftest import collect, visible_frame


def test_sender_moves_past_a_refusing_receiver(receiver, closed_port):
    frames = receiver.frames(lossless=True, timeout=20)
    dead = f"127.0.0.1:{closed_port}"
    with framewire.Sender([dead, receiver.address], retry_for=10) as s:
        vis = s.stream("rig1/visible", policy="archive")
        for i in range(5):
            vis.send(visible_frame(i))
    summary = s.close()
    assert summary["frames_stored"] == 5
    assert summary["reconnects"] == 1
    assert [f.name for f in collect(frames, 5)] == [f"{i:06d}.jpg" for i in range(5)]


def test_send_folder_to_a_list_and_again(receiver, closed_port, tmp_path):
    folder = tmp_path / "cam0"
    folder.mkdir()
    for i in range(6):
        (folder / f"{i}.bin").write_bytes(os.urandom(500 + i))
    to = [f"127.0.0.1:{closed_port}", receiver.address]
    summary = framewire.send_folder(to, "rig1/visible", str(folder), retry_for=10)
    assert summary["frames_stored"] == 6
    assert summary["already_stored_frames"] == 0
    assert summary["reconnects"] == 1
    again = framewire.send_folder(to, "rig1/visible", str(folder), retry_for=10)
    assert again["frames_stored"] == 0 and again["already_stored_frames"] == 6


def test_to_must_name_a_receiver():
    with pytest.raises(framewire.BadName):
        framewire.Sender([])
    with pytest.raises(TypeError):
        framewire.Sender(7878)
