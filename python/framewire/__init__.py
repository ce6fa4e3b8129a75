"""framewire from Python: send image frames (NumPy arrays or encoded files) to a framewire
receiver over one connection, and receive them in-process.

    import framewire
    with framewire.Sender("ingest:7878") as s:
        vis = s.stream("rig1/visible", source="visible")            # live: drops when behind
        ir = s.stream("rig1/infrared", source="infrared", policy="archive")
        vis.send(bgr)        # HxWx3 uint8 (OpenCV's BGR) -> JPEG, encoded in C++
        ir.send(thermal16)   # HxW uint16 -> 16-bit PNG, lossless
    # leaving the block waited until every frame was acknowledged as stored

    with framewire.Receiver(root="/srv/frames") as r:
        for frame in r.frames():
            print(frame.stream, frame.name, frame.image().shape)

`to` (Sender, send_folder) is "host:port" or a list of receivers that store into the same place,
e.g. ["ingest-a:7878", "ingest-b:7878"]: when the connection to one cannot be made or is lost,
the sender moves to the next and resumes where that one says each stream ends.

Every failure is a framewire.Error (a subclass per kind, with .code and .message). Calls that
wait release the GIL and can be interrupted with Ctrl-C.
"""

import threading as _threading

from . import _framewire

__version__ = _framewire.__version__

Sender = _framewire.Sender
Stream = _framewire.Stream
Receiver = _framewire.Receiver
Frame = _framewire.Frame
FrameIterator = _framewire.FrameIterator
send_folder = _framewire.send_folder
set_log_level = _framewire.set_log_level


class Error(Exception):
    """A framewire failure. `code` is the stable name of what went wrong ("connection_failed",
    "forbidden", "storage_error", ...), `message` says it in a sentence, and `retryable` whether
    trying again later may succeed."""

    def __init__(self, code, message, retryable=False):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable


class ConnectionFailed(Error, ConnectionError):
    """No connection to the receiver could be made, or it was lost for good."""


class Timeout(Error, TimeoutError):
    """A deadline passed: a flush(timeout=...), a handshake, an idle connection."""


class Forbidden(Error, PermissionError):
    """The receiver does not let this sender's identity write the stream (TLS)."""


class BadName(Error, ValueError):
    """A stream name, file name, source kind or option breaks the rules."""


class StorageError(Error, OSError):
    """Storing failed: the receiver's disk (full, I/O error), or a local file or folder."""


class StreamBusy(Error):
    """The stream is being written by another connection."""


class Rejected(Error):
    """The receiver refused a frame (a conflicting file, a stale sequence, a bad checksum)."""


class ProtocolError(Error):
    """The peer broke the protocol, or does not speak it."""


class Cancelled(Error):
    """cancel() was called."""


class ShuttingDown(Error):
    """The receiver is stopping."""


_CLASSES = {
    "connection_failed": ConnectionFailed,
    "timeout": Timeout,
    "forbidden": Forbidden,
    "bad_name": BadName,
    "storage_error": StorageError,
    "stream_busy": StreamBusy,
    "conflict": Rejected,
    "stale_sequence": Rejected,
    "checksum_mismatch": Rejected,
    "frame_too_large": Rejected,
    "cancelled": Cancelled,
    "shutting_down": ShuttingDown,
    "bad_magic": ProtocolError,
    "unsupported_version": ProtocolError,
    "malformed": ProtocolError,
    "unknown_type": ProtocolError,
    "message_too_large": ProtocolError,
    "bad_stream": ProtocolError,
    "bad_sequence": ProtocolError,
    "window_exceeded": ProtocolError,
    "unexpected_message": ProtocolError,
    "too_many_streams": ProtocolError,
}


def _make_error(code, message, retryable):
    return _CLASSES.get(code, Error)(code, message, retryable)


_framewire._set_error_factory(_make_error)


def on_frame(receiver, callback, *, capacity=256, lossless=False):
    """Calls callback(frame) for each frame `receiver` stores, on a background thread, until the
    receiver stops; returns the thread. A slow callback loses the oldest frames (see
    Frame.dropped_before) unless lossless=True."""
    frames = receiver.frames(capacity=capacity, lossless=lossless)

    def run():
        for frame in frames:
            callback(frame)

    thread = _threading.Thread(target=run, name="framewire-on-frame", daemon=True)
    thread.start()
    return thread


# The in-process receiver logs connections and errors, not every stream's figures.
set_log_level("warning")

__all__ = [
    "Sender", "Stream", "Receiver", "Frame", "FrameIterator", "send_folder", "on_frame",
    "set_log_level", "Error", "ConnectionFailed", "Timeout", "Forbidden", "BadName",
    "StorageError", "StreamBusy", "Rejected", "ProtocolError", "Cancelled", "ShuttingDown",
]
