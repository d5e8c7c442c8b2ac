// The call panel (resident page, station console, reviewer desk): videos, controls, chat, quality, reconnecting.
import { CallClient, fetchIceServers, getLocalMedia, qualityFrom } from "./call.js";
import { el, notice, t } from "./common.js";

const MAX_REMOTE_VIEWS = 3;

export async function mountCall(panel, { callId, audioOnly = false, onState = () => {}, onChat = () => {} }) {
  const $ = (id) => panel.querySelector("#" + id);
  const stage = $("stage");
  const selfView = $("self-view");
  const views = new Map();
  const names = new Map();
  const peerStates = new Map();
  let facingMode = "user";
  let muted = false;
  let cameraOff = false;
  let audioOnlyMode = audioOnly;

  const media = await getLocalMedia({ audioOnly });
  if (media.error && !audioOnly) notice(t("camera_denied") + " · " + t("audio_only_on"), "error");
  audioOnlyMode = media.audioOnly;
  const stream = media.stream;
  if (stream && stream.getVideoTracks().length) {
    selfView.srcObject = stream;
    selfView.play().catch(() => {});
  } else {
    selfView.hidden = true;
  }

  const iceServers = await fetchIceServers(callId);
  const client = new CallClient({ callId, stream, iceServers });
  window.__call = { client, quality: "unknown", samples: [] };

  function setPill(text, kind) {
    const pill = $("call-state");
    pill.textContent = text;
    pill.className = "state-pill" + (kind ? " is-" + kind : "");
    pill.dataset.state = kind || "";
  }

  function refreshBanner() {
    const broken = [...peerStates.values()].some((s) => s === "disconnected" || s === "failed");
    const reconnecting = client.state === "reconnecting" || (client.state === "in-call" && broken);
    $("reconnect-banner").hidden = !reconnecting;
    panel.dataset.reconnecting = reconnecting ? "true" : "false";
  }

  function layout() {
    const count = views.size;
    stage.className = "stage count-" + count;
    $("waiting-room").hidden = count > 0;
  }

  function playWithFallback(video) {
    video.play().catch(() => {
      const button = $("call-tap-to-start");
      button.hidden = false;
      button.onclick = () => {
        for (const v of panel.querySelectorAll("video")) v.play().catch(() => {});
        button.hidden = true;
      };
    });
  }

  function addView(id, mediaStream) {
    let view = views.get(id);
    if (!view) {
      if (views.size >= MAX_REMOTE_VIEWS) return;
      const video = el("video", { playsinline: true, autoplay: true, dataset: { peer: id } });
      const label = el("span", { class: "label" }, names.get(id) || "");
      view = el("div", { class: "remote", dataset: { peer: id } }, video, label);
      stage.append(view);
      views.set(id, view);
    }
    const video = view.querySelector("video");
    if (video.srcObject !== mediaStream) video.srcObject = mediaStream;
    playWithFallback(video);
    layout();
  }

  function removeView(id) {
    const view = views.get(id);
    if (view) view.remove();
    views.delete(id);
    peerStates.delete(id);
    layout();
    refreshBanner();
  }

  client.addEventListener("state", (event) => {
    const { state } = event.detail;
    if (state === "waiting") setPill(t("waiting"), "waiting");
    else if (state === "in-call") setPill(views.size ? t("connected") : t("connecting"), views.size ? "connected" : "");
    else if (state === "reconnecting") setPill(t("reconnecting"), "reconnecting");
    else if (state === "ended") {
      setPill(t("call_ended"), "ended");
      for (const id of [...views.keys()]) removeView(id);
      if (stream) stream.getTracks().forEach((track) => track.stop());
      $("waiting-text").textContent = t("call_ended");
      $("waiting-detail").textContent = "";
    } else if (state === "refused") {
      setPill(t("refused"), "ended");
      $("waiting-text").textContent = t("refused");
    }
    refreshBanner();
    onState(state, event.detail);
  });
  client.addEventListener("queue", (event) => {
    const { ahead } = event.detail;
    $("waiting-text").textContent = ahead > 0 ? t("waiting_position", { n: ahead }) : t("waiting_first");
    const minutes = Math.ceil((event.detail.estimated_wait_seconds || 0) / 60);
    $("waiting-detail").textContent = minutes ? `~${minutes} ${t("minutes")}` : "";
    panel.dataset.position = event.detail.position;
  });
  client.addEventListener("peer-info", (event) => names.set(event.detail.participant_id, event.detail.name));
  client.addEventListener("peer-added", (event) => {
    names.set(event.detail.id, event.detail.info.name || names.get(event.detail.id) || "");
  });
  client.addEventListener("peer-track", (event) => addView(event.detail.id, event.detail.stream));
  client.addEventListener("peer-removed", (event) => removeView(event.detail.id));
  client.addEventListener("peer-replaced", (event) => removeView(event.detail.id));
  client.addEventListener("peer-state", (event) => {
    const { id, state } = event.detail;
    peerStates.set(id, state);
    if (state === "connected") setPill(t("connected"), "connected");
    refreshBanner();
  });
  client.addEventListener("chat", (event) => {
    const { from, text } = event.detail;
    const who = from === client.participantId ? t("you") : names.get(from) || "";
    $("chat-log").append(el("li", {}, el("span", { class: "who" }, who + ":"), text));
    $("chat-log").scrollTop = $("chat-log").scrollHeight;
    if (from !== client.participantId) $("chat-box").open = true;
    onChat(event.detail);
  });
  client.addEventListener("error", (event) => {
    if (event.detail.code !== "webrtc") notice(event.detail.detail, "error");
  });

  // --- controls ---
  const muteButton = $("btn-mute");
  muteButton.addEventListener("click", () => {
    muted = !muted;
    if (stream) stream.getAudioTracks().forEach((track) => { track.enabled = !muted; });
    muteButton.setAttribute("aria-pressed", String(muted));
    muteButton.textContent = muted ? t("unmute") : t("mute");
    client.mediaState({ muted });
  });
  const cameraButton = $("btn-camera");
  cameraButton.addEventListener("click", () => {
    cameraOff = !cameraOff;
    if (stream) stream.getVideoTracks().forEach((track) => { track.enabled = !cameraOff; });
    cameraButton.setAttribute("aria-pressed", String(cameraOff));
    cameraButton.textContent = cameraOff ? t("camera_on") : t("camera_off");
    client.mediaState({ camera_off: cameraOff });
  });
  $("btn-switch").addEventListener("click", async () => {
    if (!stream || audioOnlyMode) return;
    facingMode = facingMode === "user" ? "environment" : "user";
    try {
      const fresh = await navigator.mediaDevices.getUserMedia({ video: { facingMode } });
      const track = fresh.getVideoTracks()[0];
      for (const old of stream.getVideoTracks()) { stream.removeTrack(old); old.stop(); }
      stream.addTrack(track);
      await client.replaceTrack("video", track);
      selfView.srcObject = stream;
      selfView.classList.toggle("rear", facingMode === "environment");
    } catch (error) {
      notice(error.message || String(error), "error");
    }
  });
  const audioButton = $("btn-audio-only");
  function applyAudioOnly() {
    audioButton.setAttribute("aria-pressed", String(audioOnlyMode));
    audioButton.textContent = audioOnlyMode ? t("audio_only_off") : t("audio_only_on");
    for (const view of views.values()) view.querySelector("video").classList.toggle("audio-only", audioOnlyMode);
    cameraButton.disabled = audioOnlyMode;
  }
  audioButton.addEventListener("click", async () => {
    audioOnlyMode = !audioOnlyMode;
    const track = stream && stream.getVideoTracks()[0];
    await client.replaceTrack("video", audioOnlyMode ? null : track || null);
    selfView.hidden = audioOnlyMode || !track;
    applyAudioOnly();
    client.mediaState({ audio_only: audioOnlyMode });
  });
  applyAudioOnly();
  $("btn-hangup").addEventListener("click", () => {
    if (client.mayAdmit) client.hangupAll();
    client.leave();
  });
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-input");
    const text = input.value.trim();
    if (text) client.chat(text);
    input.value = "";
  });

  // --- network quality from getStats ---
  let previous = new Map();
  setInterval(async () => {
    if (client.state !== "in-call" || !client.peers.size) return;
    const samples = await client.stats();
    const level = qualityFrom(samples, previous);
    previous = new Map(samples.map((s) => [s.id, s]));
    window.__call.quality = level;
    window.__call.samples = samples;
    const box = $("call-quality");
    box.dataset.level = level;
    $("quality-text").textContent = t("quality_" + level);
  }, 2000);

  client.start();
  if (audioOnlyMode) client.addEventListener("joined", () => client.mediaState({ audio_only: true }), { once: true });
  return {
    client,
    stream,
    /** A still of the first remote video as a JPEG blob (document capture). */
    async captureRemote(canvas) {
      const view = [...views.values()][0];
      if (!view) return null;
      const video = view.querySelector("video");
      canvas.width = video.videoWidth || 640;
      canvas.height = video.videoHeight || 480;
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
    },
  };
}
