#!/usr/bin/env python3
"""The live view end to end in a real browser: Debian's Chromium, headless,
driven over its DevTools protocol. A receiver (framewire serve --http) gets a
live visible and a live infrared test pattern over one connection; the page
must list both streams side by side under their rig with a non-zero fps, two
screenshots of the visible frame a second apart must differ, the infrared
frame must be grey under the grey palette and turn to colour after the
palette selector is switched to ironbow; once the sender stops, both streams
must be marked stale.

Waits poll with generous deadlines (a loaded 2-core machine); nothing is
asserted on timing. Every process started (receiver, sender, Chromium and its
children, in their own process group) is stopped at exit. Exit 77 (skipped)
only when /usr/bin/chromium is missing. --screenshot PATH saves a picture of
the page (docs/live-view.png is made this way)."""

import base64
import json
import os
import sys
import time
import urllib.request

import websocket

import fwview
from fwview import log

CHROMIUM = "/usr/bin/chromium"
STREAMS = ["rig1/visible", "rig1/infrared"]


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's WebSocket."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise AssertionError("%s: %s" % (method, message["error"]))
                return message["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError("%s: %s" % (expression[:80], result["exceptionDetails"]))
        return result["result"].get("value")

    def screenshot(self, clip=None):
        params = {"format": "png"}
        if clip:
            params["clip"] = dict(clip, scale=1)
        return base64.b64decode(self.call("Page.captureScreenshot", **params)["data"])


def start_chromium(work):
    profile = work.file("chromium-profile")
    argv = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--mute-audio",
            "--hide-scrollbars", "--remote-debugging-port=0", "--remote-allow-origins=*",
            "--user-data-dir=" + profile, "--window-size=1000,760", "about:blank"]
    proc = fwview.start_process(argv, work.file("chromium.out"), work.file("chromium.err"),
                                new_group=True)
    port_file = os.path.join(profile, "DevToolsActivePort")

    def port():
        if proc.poll() is not None:
            raise AssertionError("chromium exited %d: %s" %
                                 (proc.returncode, open(work.file("chromium.err")).read()[-2000:]))
        if os.path.exists(port_file):
            lines = open(port_file).read().split()
            return int(lines[0]) if lines else None
        return None

    devtools_port = fwview.wait_until("Chromium's DevTools port", port, 90)
    targets = fwview.wait_until(
        "a page target",
        lambda: [t for t in json.load(urllib.request.urlopen(
            "http://127.0.0.1:%d/json/list" % devtools_port, timeout=30)) if t["type"] == "page"],
        60)
    log("chromium pid %d, DevTools on port %d" % (proc.pid, devtools_port))
    return proc, DevTools(targets[0]["webSocketDebuggerUrl"])


STATE_JS = """
(() => [...document.querySelectorAll('.stream')].map(card => {
  const img = card.querySelector('img.frame');
  const r = img.getBoundingClientRect();
  const c = card.getBoundingClientRect();
  return {name: card.dataset.stream, fps: Number(card.dataset.fps || 0),
          rig: card.closest('.rig') ? card.closest('.rig').dataset.rig : null,
          stale: card.classList.contains('stale'),
          sequence: img.dataset.sequence || '', loaded: img.complete && img.naturalWidth > 0,
          rect: {x: r.x, y: r.y, width: r.width, height: r.height}, card_top: c.y};
}))()
"""


def page_state(devtools):
    return {s["name"]: s for s in devtools.evaluate(STATE_JS)}


def frame_clip(state):
    r = state["rect"]
    return {"x": r["x"], "y": r["y"], "width": r["width"], "height": r["height"]}


def main():
    args = fwview.arguments()
    if not os.path.exists(CHROMIUM):
        print("SKIPPED: %s is missing (Debian package chromium)" % CHROMIUM)
        sys.exit(fwview.SKIP)
    import argparse  # the screenshot option is this test's own
    extra = argparse.ArgumentParser()
    extra.add_argument("--screenshot")
    screenshot_path = extra.parse_known_args()[0].screenshot

    work = fwview.Work("browser")
    started = time.monotonic()
    serve = fwview.Serve(args.framewire, work)
    sender = fwview.send(args.framewire, serve, [
        "--duration", "300",
        "--stream", STREAMS[0], "--source", "visible", "--capture", "testsrc:640x360@15",
        "--stream", STREAMS[1], "--source", "infrared", "--capture", "irsrc:320x256@15"], work)
    chromium, devtools = start_chromium(work)
    devtools.call("Page.enable")
    devtools.call("Page.navigate", url=serve.url("/"))

    def both_live():
        if sender.poll() is not None:
            raise AssertionError("sender exited %d: %s" %
                                 (sender.returncode, open(work.file("send.err")).read()[-2000:]))
        state = page_state(devtools)
        ok = all(name in state and state[name]["fps"] > 0 and state[name]["loaded"]
                 for name in STREAMS)
        return state if ok else None

    state = fwview.wait_until("both streams listed with fps > 0 and a frame shown",
                              both_live, 120, interval=0.5)
    log("page lists:", {n: (s["fps"], s["sequence"]) for n, s in state.items()})
    assert state[STREAMS[0]]["rig"] == "rig1" and state[STREAMS[1]]["rig"] == "rig1", state
    # Side by side: one row, the same top edge.
    assert abs(state[STREAMS[0]]["card_top"] - state[STREAMS[1]]["card_top"]) < 1, state

    # The visible frame moves: two screenshots of its area a second apart differ.
    clip = frame_clip(state[STREAMS[0]])
    first = devtools.screenshot(clip)
    time.sleep(1.0)
    second = fwview.wait_until(
        "a second screenshot of the visible frame that differs",
        lambda: (lambda shot: shot if fwview.pixel_difference(first, shot) > 1.0 else None)(
            devtools.screenshot(clip)), 30, interval=0.5)
    log("visible frame area: mean difference %.1f per channel between screenshots" %
        fwview.pixel_difference(first, second))

    # The infrared frame is grey under the grey palette...
    state = page_state(devtools)
    ir_clip = frame_clip(state[STREAMS[1]])
    grey = fwview.colourfulness(devtools.screenshot(ir_clip))
    assert grey < 3.0, "infrared frame not grey under the grey palette (%.1f)" % grey
    # ... and turns to colour when the selector says ironbow (converted on the server).
    devtools.evaluate("""
      (() => { const s = document.querySelector('.stream[data-stream="rig1/infrared"] select.palette');
               s.value = 'ironbow'; s.dispatchEvent(new Event('change')); return s.value; })()""")

    def coloured():
        value = fwview.colourfulness(devtools.screenshot(ir_clip))
        return value if value > 20.0 else None

    colour = fwview.wait_until("the infrared frame in colour after switching to ironbow",
                               coloured, 60, interval=0.5)
    log("infrared frame colourfulness: grey palette %.1f, ironbow %.1f" % (grey, colour))

    if screenshot_path:
        time.sleep(1.5)  # a figures message or two with the palette applied
        with open(screenshot_path, "wb") as f:
            f.write(devtools.screenshot())
        log("saved", screenshot_path)

    # A stream that stops is marked stale (class and label).
    assert fwview.stop_process(sender) == 0, open(work.file("send.err")).read()[-2000:]
    stale_js = """
      (() => [...document.querySelectorAll('.stream')].map(card =>
          card.classList.contains('stale') && card.querySelector('.state').textContent === 'stale'))()"""
    fwview.wait_until("both streams marked stale after the sender stopped",
                      lambda: (lambda marks: len(marks) == 2 and all(marks))(
                          devtools.evaluate(stale_js)), 60, interval=0.5)
    log("both streams marked stale after the sender stopped")

    fwview.stop_process(chromium)
    serve.stop()
    work.failed = False
    log("passed in %.0f s" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
