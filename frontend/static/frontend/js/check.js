// Device and network check before a call: camera, microphone level, speaker tone, signaling socket.
import { pageData, t, wsUrl } from "./common.js";

const callId = pageData().call;
const $ = (id) => document.getElementById(id);
let stream = null;
let audioContext = null;

function mark(id, ok, text) {
  const node = $(id);
  node.textContent = text || (ok ? t("check_ok") : t("check_fail"));
  node.className = ok ? "status-ok" : "status-bad";
  node.dataset.result = ok ? "ok" : "fail";
}

export function browserKind(ua = navigator.userAgent) {
  if (/MicroMessenger/i.test(ua)) return "wechat";
  if (/iPhone|iPad|iPod/i.test(ua)) return "ios";
  return "android";
}

function showCameraHelp() {
  const help = $("camera-help");
  help.hidden = false;
  const kind = browserKind();
  // The person's own browser first; the others stay below for a family member helping on another phone.
  const own = help.querySelector(`[data-browser="${kind}"]`);
  if (own) help.insertBefore(own, help.querySelector("[data-browser]"));
  $("enter-audio").classList.add("btn-primary");
  $("enter-call").classList.remove("btn-primary");
}

async function playVideo(video) {
  try {
    await video.play();
    $("tap-to-start").hidden = true;
  } catch (error) {
    // Autoplay blocked (some in-app browsers): let the person start it with a tap.
    $("tap-to-start").hidden = false;
  }
}

$("tap-to-start").addEventListener("click", () => playVideo($("preview")));

function watchMicrophone(track) {
  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  if (!AudioCtx) { mark("check-mic", true); return; }
  audioContext = audioContext || new AudioCtx();
  const source = audioContext.createMediaStreamSource(new MediaStream([track]));
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  let heard = false;
  const started = Date.now();
  const tick = () => {
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const value of data) peak = Math.max(peak, Math.abs(value - 128));
    const level = Math.min(100, Math.round((peak / 128) * 300));
    $("mic-meter").style.width = level + "%";
    if (level > 4 && !heard) { heard = true; mark("check-mic", true); }
    if (!heard && Date.now() - started > 15000) mark("check-mic", false, t("mic_level"));
    if (Date.now() - started < 60000) requestAnimationFrame(tick);
  };
  tick();
  // A working track is enough to pass: silence in a quiet room is not a fault.
  setTimeout(() => { if (!heard && track.readyState === "live") { heard = true; mark("check-mic", true); } }, 3000);
}

async function checkDevices() {
  $("camera-help").hidden = true;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    mark("check-camera", false, t("no_camera"));
    mark("check-mic", false);
    showCameraHelp();
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { facingMode: "user" } });
    mark("check-camera", true);
    const video = $("preview");
    video.srcObject = stream;
    playVideo(video);
    watchMicrophone(stream.getAudioTracks()[0]);
  } catch (error) {
    const denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
    mark("check-camera", false, denied ? t("camera_denied") : t("no_camera"));
    showCameraHelp();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      watchMicrophone(stream.getAudioTracks()[0]);
    } catch (audioError) {
      mark("check-mic", false);
    }
  }
}

$("retry-camera").addEventListener("click", () => {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  checkDevices();
});

$("play-tone").addEventListener("click", async () => {
  const AudioCtx = window.AudioContext || window.webkitAudioContext;
  audioContext = audioContext || new AudioCtx();
  await audioContext.resume();
  const oscillator = audioContext.createOscillator();
  const gain = audioContext.createGain();
  oscillator.frequency.value = 660;
  gain.gain.value = 0.2;
  oscillator.connect(gain).connect(audioContext.destination);
  oscillator.start();
  oscillator.stop(audioContext.currentTime + 1.2);
  $("check-speaker").textContent = t("tone_playing");
  $("heard-yes").hidden = false;
  $("heard-no").hidden = false;
});
$("heard-yes").addEventListener("click", () => { mark("check-speaker", true); $("speaker-help").hidden = true; });
$("heard-no").addEventListener("click", () => { mark("check-speaker", false); $("speaker-help").hidden = false; });

function checkNetwork() {
  const started = Date.now();
  const socket = new WebSocket(wsUrl(`/ws/calls/${callId}/`));
  const timer = setTimeout(() => { mark("check-network", false, t("socket_fail")); socket.close(); }, 10000);
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    clearTimeout(timer);
    if (message.type === "hello") mark("check-network", true, `${t("socket_ok")} (${Date.now() - started} ms)`);
    else mark("check-network", false, message.detail || t("socket_fail"));
    socket.close(1000);
  });
  socket.addEventListener("close", (event) => {
    clearTimeout(timer);
    if (event.code >= 4400) mark("check-network", false, t("refused"));
  });
  socket.addEventListener("error", () => { clearTimeout(timer); mark("check-network", false, t("socket_fail")); });
}

// Release the devices before the call page asks for them again (some phones allow one user at a time).
for (const link of [$("enter-call"), $("enter-audio")]) {
  link.addEventListener("click", () => { if (stream) stream.getTracks().forEach((track) => track.stop()); });
}

checkDevices();
checkNetwork();
