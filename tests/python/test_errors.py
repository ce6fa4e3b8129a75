"""Failures are framewire.Error exceptions with a code, never a crash."""

import _thread
import threading
import time

import numpy as np
import pytest

import framewire
from conftest import visible_frame


def test_refused_connection(closed_port):
    s = framewire.Sender(f"127.0.0.1:{closed_port}", retry_for=0, connect_timeout=2)
    vis = s.stream("rig1/visible", policy="archive")
    vis.send(visible_frame(0))
    with pytest.raises(framewire.ConnectionFailed) as raised:
        s.close()
    assert raised.value.code == "connection_failed"
    assert isinstance(raised.value, framewire.Error) and isinstance(raised.value, ConnectionError)
    with pytest.raises(framewire.ConnectionFailed):
        framewire.send_folder(f"127.0.0.1:{closed_port}", "rig1/visible", ".", retry_for=0)


def test_forbidden_stream(tmp_path, certs):
    with framewire.Receiver(root=str(tmp_path / "store"), tls_cert=str(certs / "server.pem"),
                            tls_key=str(certs / "server.key"),
                            tls_client_ca=str(certs / "ca.pem")) as r:
        tls = dict(tls_ca=str(certs / "ca.pem"), tls_cert=str(certs / "client-cam-a.pem"),
                   tls_key=str(certs / "client-cam-a.key"))
        with framewire.Sender(r.address, **tls) as s:  # its own stream: allowed
            s.stream("cam-a/visible", policy="archive").send(visible_frame(0))
        with pytest.raises(framewire.Forbidden) as raised:
            with framewire.Sender(r.address, **tls) as s:
                s.stream("cam-b/visible", policy="archive").send(visible_frame(0))
        assert raised.value.code == "forbidden"
        assert "cam-b" in raised.value.message


def test_bad_arguments_raise_clear_errors(receiver):
    s = framewire.Sender(receiver.address)
    with pytest.raises(framewire.BadName):
        s.stream("../escape")
    with pytest.raises(framewire.BadName):
        s.stream("rig1/visible", policy="sometimes")
    vis = s.stream("rig1/visible", policy="archive")
    with pytest.raises(framewire.Error, match="uint8 or uint16"):
        vis.send(np.zeros((4, 4), np.float32))
    with pytest.raises(framewire.Error, match="HxW or HxWx3"):
        vis.send(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(framewire.Error, match="16-bit"):
        vis.send(np.zeros((4, 4, 3), np.uint16))
    vis.send(visible_frame(0))
    with pytest.raises(framewire.Error, match="before the first send"):
        s.stream("rig1/infrared")
    assert s.close()["frames_stored"] == 1


def test_ctrl_c_during_a_send(silent_server):
    """A blocked archive send() is interrupted by Ctrl-C (KeyboardInterrupt), and the sender
    can still be cancelled and closed."""
    s = framewire.Sender(silent_server, connect_timeout=30)
    vis = s.stream("rig1/visible", policy="archive", queue=1, workers=1)
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        for i in range(1000):  # nothing is acknowledged: the queues fill, send() waits
            vis.send(visible_frame(i))
    assert time.monotonic() - start < 10
    timer.join()
    s.cancel()
    with pytest.raises(framewire.Cancelled):
        s.close()


def test_flush_timeout(silent_server):
    s = framewire.Sender(silent_server, connect_timeout=30)
    vis = s.stream("rig1/visible", policy="archive")
    vis.send(visible_frame(0))
    with pytest.raises(framewire.Timeout):
        s.flush(timeout=0.3)
    s.cancel()
