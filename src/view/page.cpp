// The live view page. One document: the CSS and the JavaScript are inline and
// nothing is loaded from elsewhere (the receiver may have no internet). The
// script opens one WebSocket (/live), draws every stream from the figures
// messages, grouped by rig, and shows the previews that arrive for the
// streams it watches (the message formats: view/live_messages.hpp).
#include "view/page.hpp"

namespace framewire::view {

namespace {

constexpr std::string_view kPage = R"page(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>framewire live view</title>
<style>
  :root { color-scheme: dark; }
  body { margin: 0; font: 13px/1.35 system-ui, sans-serif; background: #15171a; color: #e4e6e8; }
  header { display: flex; gap: 1.5em; align-items: baseline; padding: 8px 14px;
           background: #1f2226; border-bottom: 1px solid #2c3036; }
  header h1 { font-size: 15px; margin: 0; font-weight: 600; }
  header .summary { color: #9aa1a9; }
  #connection.down { color: #ff7a6b; }
  main { padding: 10px 14px; }
  .rig { margin-bottom: 14px; }
  .rig h2 { font-size: 14px; margin: 0 0 6px; color: #c9ced4; font-weight: 600; }
  .streams { display: flex; flex-wrap: wrap; gap: 10px; }
  .stream { background: #1f2226; border: 1px solid #2c3036; border-radius: 6px; padding: 8px;
            width: 420px; }
  .stream.stale { border-color: #8a5a1c; opacity: 0.75; }
  .title { display: flex; gap: 8px; align-items: baseline; margin-bottom: 6px; }
  .title .name { font-weight: 600; }
  .title .kind { color: #9aa1a9; }
  .title .state { margin-left: auto; padding: 0 6px; border-radius: 3px; font-size: 11px;
                  background: #1f5f3a; }
  .stream.stale .state { background: #8a5a1c; }
  .frame-box { width: 404px; height: 303px; background: #000; display: flex;
               align-items: center; justify-content: center; }
  .frame { max-width: 404px; max-height: 303px; display: block; }
  .frame:not([src]) { visibility: hidden; }
  .figures { display: grid; grid-template-columns: repeat(4, auto); gap: 2px 10px;
             margin-top: 6px; color: #c9ced4; }
  .figures span.label { color: #7f8790; }
  .controls { margin-top: 6px; color: #9aa1a9; }
  .empty { color: #9aa1a9; padding: 20px 0; }
</style>
</head>
<body>
<header>
  <h1>framewire live view</h1>
  <span class="summary" id="summary">connecting...</span>
  <span class="summary" id="connection"></span>
</header>
<main id="rigs"><p class="empty">No stream is receiving yet.</p></main>
<script>
"use strict";
const PALETTES = ["grey", "ironbow", "inferno"];
const palettes = new Map();  // stream -> palette chosen here
const cards = new Map();     // stream -> {root, img, fields}
let socket = null;
let watched = "";

function rigOf(name) {
  const slash = name.lastIndexOf("/");
  return slash < 0 ? "" : name.slice(0, slash);
}
function shortName(name) {
  const slash = name.lastIndexOf("/");
  return slash < 0 ? name : name.slice(slash + 1);
}
function singleChannel(kind) { return kind !== "visible"; }
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function makeCard(s) {
  const root = el("div", "stream");
  root.dataset.stream = s.name;
  const title = el("div", "title");
  title.append(el("span", "name", shortName(s.name)), el("span", "kind", s.source_kind));
  const state = el("span", "state", "live");
  title.append(state);
  const box = el("div", "frame-box");
  const img = el("img", "frame");
  img.alt = s.name;
  box.append(img);
  const figures = el("div", "figures");
  const fields = {};
  for (const [key, label] of [["fps", "fps"], ["mbps", "MB/s"], ["stored", "stored"],
                              ["dropped", "dropped"], ["rejected", "rejected"],
                              ["latency", "latency p50/p99 ms"], ["peer", "from"],
                              ["age", "last frame"]]) {
    const value = el("span", "value " + key, "-");
    figures.append(el("span", "label", label), value);
    fields[key] = value;
  }
  const controls = el("div", "controls");
  const select = el("select", "palette");
  for (const p of PALETTES) {
    const option = el("option", "", p);
    option.value = p;
    select.append(option);
  }
  select.value = palettes.get(s.name) || "grey";
  select.addEventListener("change", () => {
    palettes.set(s.name, select.value);
    try { localStorage.setItem("palette:" + s.name, select.value); } catch (e) {}
    sendWatch(true);
  });
  const label = el("label", "", "palette ");
  label.append(select);
  controls.append(label);
  root.append(title, box, figures, controls);
  return {root, img, fields, state, controls, select};
}

function render(figures) {
  const main = document.getElementById("rigs");
  const rigs = new Map();
  for (const s of figures.streams) {
    if (!palettes.has(s.name)) {
      let saved = null;
      try { saved = localStorage.getItem("palette:" + s.name); } catch (e) {}
      palettes.set(s.name, saved && PALETTES.includes(saved) ? saved : "grey");
    }
    let card = cards.get(s.name);
    if (!card) {
      card = makeCard(s);
      cards.set(s.name, card);
    }
    const f = card.fields;
    f.fps.textContent = s.frames_per_second.toFixed(1);
    f.mbps.textContent = (s.bytes_per_second / 1e6).toFixed(2);
    f.stored.textContent = s.frames_stored;
    f.dropped.textContent = s.frames_dropped;
    f.rejected.textContent = s.frames_rejected;
    f.latency.textContent = s.latency_ms_p50 > 0 || s.latency_ms_p99 > 0
        ? s.latency_ms_p50.toFixed(1) + " / " + s.latency_ms_p99.toFixed(1) : "-";
    f.peer.textContent = s.peer || "-";
    f.age.textContent = s.seconds_since_last_frame < 0 ? "none yet"
        : s.seconds_since_last_frame.toFixed(1) + " s ago";
    card.root.dataset.fps = s.frames_per_second;
    card.root.classList.toggle("stale", s.stale);
    card.state.textContent = s.stale ? "stale" : "live";
    card.controls.style.display = singleChannel(s.source_kind) ? "" : "none";
    if (!rigs.has(s.rig)) rigs.set(s.rig, []);
    rigs.get(s.rig).push(card.root);
    card.root.dataset.kind = s.source_kind;
  }
  // Within a rig, visible cameras first, then the others by name.
  for (const roots of rigs.values()) {
    roots.sort((a, b) => (a.dataset.kind !== "visible") - (b.dataset.kind !== "visible") ||
                         a.dataset.stream.localeCompare(b.dataset.stream));
  }
  // Rebuild the layout only when the set of streams changed.
  const layout = [...rigs].map(([rig, roots]) =>
      rig + ":" + roots.map(r => r.dataset.stream).join(",")).join(";");
  if (main.dataset.layout !== layout) {
    main.dataset.layout = layout;
    main.replaceChildren();
    if (rigs.size === 0) main.append(el("p", "empty", "No stream is receiving yet."));
    for (const [rig, roots] of rigs) {
      const section = el("section", "rig");
      section.dataset.rig = rig;
      section.append(el("h2", "", rig || "(no rig)"));
      const row = el("div", "streams");
      row.append(...roots);
      section.append(row);
      main.append(section);
    }
  }
  document.getElementById("summary").textContent =
      figures.streams.length + " stream(s), " + figures.frames_stored + " frames stored, up " +
      Math.round(figures.uptime_seconds) + " s, previews skipped " + figures.lost;
  sendWatch(false);
}

function sendWatch(force) {
  const watch = [...cards.keys()].map(name => ({stream: name, palette: palettes.get(name)}));
  const text = JSON.stringify({watch});
  if (!socket || socket.readyState !== WebSocket.OPEN || (!force && text === watched)) return;
  watched = text;
  socket.send(text);
}

function showPreview(buffer) {
  const view = new DataView(buffer);
  const nameLength = view.getUint16(0);
  const name = new TextDecoder().decode(new Uint8Array(buffer, 2, nameLength));
  const sequence = view.getBigUint64(2 + nameLength);
  const card = cards.get(name);
  if (!card) return;
  const url = URL.createObjectURL(new Blob([new Uint8Array(buffer, 10 + nameLength)],
                                           {type: "image/jpeg"}));
  const old = card.img.dataset.url;
  card.img.onload = () => { if (old) URL.revokeObjectURL(old); };
  card.img.dataset.url = url;
  card.img.dataset.sequence = sequence.toString();
  card.img.src = url;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/live");
  socket.binaryType = "arraybuffer";
  const status = document.getElementById("connection");
  socket.onopen = () => { status.textContent = ""; status.className = ""; watched = ""; };
  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.type === "figures") render(message);
    } else {
      showPreview(event.data);
    }
  };
  socket.onclose = () => {
    status.textContent = "disconnected, retrying";
    status.className = "down";
    setTimeout(connect, 1000);
  };
}
connect();
</script>
</body>
</html>
)page";

}  // namespace

std::string_view live_page() {
  return kPage;
}

}  // namespace framewire::view
