// A signed-in person's in-app notices: what the service put there (a confirmation code, a new case, an
// escalation) with the unread count; refreshed every little while and whenever a page says something arrived.
import { api, el, formatDateTime, t } from "./common.js";

const REFRESH_MS = 15000;
const toggle = document.getElementById("notices-toggle");
const panel = document.getElementById("notices-panel");
const count = document.getElementById("notices-count");
const list = document.getElementById("notices-list");
const empty = document.getElementById("notices-empty");

function body(notice) {
  // A confirmation code is the whole body: show it large so it can be typed in.
  if (/^\d{6}$/.test(notice.body)) return el("p", { class: "notice-body notice-code" }, notice.body);
  return notice.body ? el("p", { class: "notice-body" }, notice.body) : null;
}

function render(answer) {
  count.textContent = String(answer.unread);
  count.hidden = answer.unread === 0;
  toggle.setAttribute("aria-label", t("notices_unread", { n: answer.unread }));
  list.replaceChildren(...answer.results.map((notice) => el("li", { class: notice.unread ? "unread" : "", dataset: { kind: notice.kind } },
    el("div", { class: "notice-title" }, notice.link ? el("a", { href: notice.link }, notice.title) : notice.title),
    body(notice),
    el("small", { class: "muted" }, formatDateTime(notice.created_at)))));
  empty.hidden = answer.results.length > 0;
}

async function refresh() {
  try { render(await api("/api/v1/me/notices/")); } catch (e) { /* offline or signed out: try again later */ }
}

toggle.addEventListener("click", async () => {
  const open = panel.hidden;
  panel.hidden = !open;
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
  if (open && count.textContent !== "0") {
    // What was opened is seen; the bold marks stay until the next refresh so the person sees which were new.
    try {
      const answer = await api("/api/v1/me/notices/read/", { method: "POST", body: {} });
      count.textContent = String(answer.unread);
      count.hidden = answer.unread === 0;
    } catch (e) { /* keep them unread */ }
  }
});

document.addEventListener("notices:refresh", refresh);
refresh();
setInterval(refresh, REFRESH_MS);
