// Every page: the elderly-mode switch (remembered in localStorage and in a cookie so the server renders it).
import { api, el, t, wsUrl } from "./common.js";

const KEY = "elderly";

function setCookie(on) {
  document.cookie = `elderly=${on ? "1" : "0"}; path=/; max-age=${on ? 31536000 : 0}; SameSite=Lax`;
}

function apply(on) {
  document.body.classList.toggle("elderly", on);
  document.documentElement.classList.toggle("elderly", on);
  const button = document.getElementById("elderly-toggle");
  if (button) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? t("elderly_on") : t("elderly_off");
  }
  document.dispatchEvent(new CustomEvent("elderlychange", { detail: { on } }));
}

function stored() {
  try { return localStorage.getItem(KEY); } catch (e) { return null; }
}

function store(on) {
  try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) { /* private mode: the cookie still works */ }
  setCookie(on);
}

// The cookie may have expired or been cleared while localStorage kept the choice: bring them back in line.
const remembered = stored();
const rendered = document.body.classList.contains("elderly");
if (remembered !== null && (remembered === "1") !== rendered) {
  apply(remembered === "1");
  setCookie(remembered === "1");
}

const toggle = document.getElementById("elderly-toggle");
if (toggle) {
  toggle.addEventListener("click", () => {
    const on = !document.body.classList.contains("elderly");
    store(on);
    apply(on);
  });
}

// A resident's own notices (/ws/me/): a station calling back rings on whatever page is open.
function listenForCalls(retry = 0) {
  const socket = new WebSocket(wsUrl("/ws/me/"));
  const banner = document.getElementById("incoming-call");
  socket.addEventListener("open", () => { retry = 0; });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "ringing" || message.type === "call-invite") {
      const who = (message.from && message.from.unit) || "";
      banner.replaceChildren(el("span", {}, t("ringing", { who }) + " "),
        el("a", { class: "btn btn-primary", id: "answer-call", href: `/call/${message.call_id}/check/` }, t("answer")),
        " ",
        el("button", { type: "button", class: "btn", onclick: async () => {
          banner.hidden = true;
          try { await api(`/api/v1/calls/${message.call_id}/decline/`, { method: "POST", body: {} }); } catch (e) { /* gone */ }
        } }, t("decline")));
      banner.hidden = false;
    } else if (message.type === "ringing-stopped" || message.type === "call-status") {
      banner.hidden = true;
    }
  });
  const heartbeat = setInterval(() => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping", ts: Date.now() }));
  }, 25000);
  socket.addEventListener("close", (event) => {
    clearInterval(heartbeat);
    if (event.code < 4400) setTimeout(() => listenForCalls(retry + 1), Math.min(30000, 2000 * 2 ** retry));
  });
}

if (document.body.dataset.inbox === "1" && !location.pathname.startsWith("/call/")) listenForCalls();

// The app shell and the offline page (frontend/service_worker.py), after the page has loaded so the worker's
// downloads do not compete with the page's own on a weak connection. Without worker support nothing changes.
const worker = document.body.dataset.serviceWorker;
if (worker && "serviceWorker" in navigator) {
  window.addEventListener("load", () => { navigator.serviceWorker.register(worker).catch(() => {}); });
}
