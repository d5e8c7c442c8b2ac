// Reviewer desk: the queue with SLA badges, a case with its materials (zoom, rotate), the live call, the decision
// (approval sealed after a step-up confirmation code) and the sealed letter.
import { mountCallsToday } from "./calls_today.js";
import { api, apiList, el, formatDateTime, notice, t, wsUrl } from "./common.js";

const $ = (id) => document.getElementById(id);
const SLA_CLASS = { on_time: "badge-ok", due_soon: "badge-warn", overdue: "badge-bad" };
let slaFilter = "";
let current = null;
const view = { scale: 1, rotate: 0 };

function slaBadge(state) {
  return el("span", { class: "badge " + (SLA_CLASS[state] || ""), dataset: { sla: state || "" } }, t("sla_" + state) || state);
}

async function loadQueue() {
  const list = $("queue");
  try {
    const rows = await apiList("/api/v1/reviews/queue/" + (slaFilter ? `?sla_state=${slaFilter}` : ""));
    list.replaceChildren();
    if (!rows.length) list.append(el("li", { class: "hint" }, t("empty_queue")));
    for (const row of rows) {
      list.append(el("li", { class: "queue-entry", dataset: { case: row.id } },
        el("div", {}, el("strong", {}, `#${row.id} ${row.item.name}`), " ", slaBadge(row.sla_state), el("br"),
          el("span", { class: "hint" }, [row.resident.name, row.opened_unit && row.opened_unit.name, row.status_label,
            row.due_at ? formatDateTime(row.due_at) : ""].filter(Boolean).join(" · "))),
        // "›" alone is no name for a screen reader: the label says which case it opens.
        el("button", { type: "button", class: "btn open-case", "aria-label": t("open_case", { id: row.id, item: row.item.name }),
          onclick: () => openCase(row.id) }, el("span", { "aria-hidden": "true" }, "›"))));
    }
  } catch (error) {
    list.replaceChildren(el("li", { class: "status-bad" }, error.message));
  }
}

for (const button of document.querySelectorAll(".sla-filter")) {
  button.addEventListener("click", () => {
    slaFilter = button.dataset.sla;
    for (const other of document.querySelectorAll(".sla-filter")) other.setAttribute("aria-pressed", String(other === button));
    loadQueue();
  });
}

// --- material viewer ---------------------------------------------------------------------------------
function applyView() {
  const image = $("viewer").querySelector("img");
  if (image) image.style.transform = `rotate(${view.rotate}deg) scale(${view.scale})`;
}

function showMaterial(material) {
  const viewer = $("viewer");
  view.scale = 1;
  view.rotate = 0;
  if (material.file_type === "pdf") {
    viewer.replaceChildren(el("a", { class: "btn", href: material.download_url, target: "_blank", rel: "noopener" }, material.requirement_name + " (PDF)"));
  } else {
    viewer.replaceChildren(el("img", { src: material.download_url, alt: material.requirement_name, dataset: { material: material.id } }));
  }
  applyView();
}

$("zoom-in").addEventListener("click", () => { view.scale = Math.min(5, view.scale * 1.25); applyView(); });
$("zoom-out").addEventListener("click", () => { view.scale = Math.max(0.3, view.scale / 1.25); applyView(); });
$("rotate").addEventListener("click", () => { view.rotate = (view.rotate + 90) % 360; applyView(); });
$("reset-view").addEventListener("click", () => { view.scale = 1; view.rotate = 0; applyView(); });

// --- a case ------------------------------------------------------------------------------------------
async function openCase(id) {
  try {
    current = await api(`/api/v1/cases/${id}/`);
  } catch (error) {
    notice(error.message, "error");
    return;
  }
  renderCase();
  $("case").hidden = false;
  $("case-heading").focus();
}

function renderCase() {
  const c = current;
  $("case-heading").textContent = `#${c.id} ${c.item.name}`;
  $("case-heading").tabIndex = -1;
  const facts = $("case-facts");
  facts.replaceChildren(
    el("dt", {}, t("status")), el("dd", { id: "case-status" }, c.status_label),
    el("dt", {}, t("resident")), el("dd", {}, `${c.resident.name} · ${c.resident.masked_id_number}`),
    el("dt", {}, t("opened_by")), el("dd", {}, c.opened_unit ? c.opened_unit.name : ""),
    el("dt", {}, t("due")), el("dd", {}, c.due_at ? formatDateTime(c.due_at) : "—", " ", slaBadge(c.sla_state)),
  );
  if (c.missing_materials.length) {
    facts.append(el("dt", {}, t("missing")), el("dd", {}, c.missing_materials.map((m) => m.name).join("、")));
  }
  const actions = $("case-actions");
  actions.replaceChildren();
  if (!c.assignee && !["approved", "rejected"].includes(c.status)) {
    actions.append(el("button", { type: "button", class: "btn", id: "claim", onclick: claim }, t("claim")));
  }
  if (c.call && !["ended", "missed"].includes(c.call.status)) {
    actions.append(el("a", { class: "btn btn-primary", id: "join-call", href: `/call/${c.call.id}/` }, t("join")));
  }
  const thumbs = $("thumbs");
  thumbs.replaceChildren();
  for (const material of c.materials) {
    thumbs.append(el("button", { type: "button", class: "btn btn-small", dataset: { material: material.id },
      onclick: () => showMaterial(material) }, `${material.requirement_name || "—"} (${material.file_type})`));
  }
  if (c.materials.length) showMaterial(c.materials[0]);
  const timeline = $("case-timeline");
  timeline.replaceChildren();
  for (const event of c.timeline) {
    timeline.append(el("li", {}, el("time", { datetime: event.at }, formatDateTime(event.at)),
      [event.action_label, event.actor_name, event.unit_name, event.comment].filter(Boolean).join(" · ")));
  }
  const more = $("more-list");
  more.replaceChildren();
  const codes = new Map();
  for (const m of c.materials) if (m.requirement_code) codes.set(m.requirement_code, m.requirement_name);
  for (const m of c.missing_materials) codes.set(m.code, m.name);
  for (const [code, name] of codes) {
    more.append(el("label", { class: "choice" }, el("input", { type: "checkbox", name: "more", value: code }), name));
  }
  const decided = ["approved", "rejected"].includes(c.status);
  $("decision-form").hidden = decided;
  renderLetter();
}

function renderLetter() {
  const box = $("letter-preview");
  box.replaceChildren();
  if (current.status === "approved" || current.status === "rejected") {
    box.append(el("p", {}, el("strong", {}, current.status_label)),
      el("a", { class: "btn btn-primary", id: "letter-link", href: `/api/v1/cases/${current.id}/letter.pdf`, target: "_blank", rel: "noopener" }, t("letter_preview")));
  }
}

async function claim() {
  try {
    current = await api(`/api/v1/cases/${current.id}/claim/`, { method: "POST", body: {} });
    renderCase();
  } catch (error) {
    notice(error.message, "error");
  }
}

for (const radio of document.querySelectorAll("input[name=decision]")) {
  radio.addEventListener("change", () => {
    const value = document.querySelector("input[name=decision]:checked").value;
    $("more-materials").hidden = value !== "request_more";
    $("seal-box").hidden = value === "request_more";
  });
}

$("get-code").addEventListener("click", async () => {
  try {
    const decision = document.querySelector("input[name=decision]:checked").value;
    const answer = await api(`/api/v1/cases/${current.id}/decision/confirmation/`, { method: "POST", body: { decision, reason: $("reason").value.trim() } });
    const summary = $("seal-summary");
    summary.replaceChildren();
    for (const [label, value] of answer.summary || []) summary.append(el("dt", {}, label), el("dd", {}, value));
    // Say where the code really went (never "your phone" when it was the console or the in-app notices).
    notice(t({ console: "confirmation_console", notice: "confirmation_notice" }[answer.sent_to] || "confirmation_sent"), "ok");
    if (answer.sent_to === "notice") document.dispatchEvent(new Event("notices:refresh"));
  } catch (error) {
    notice(error.message, "error");
  }
});

$("decision-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const decision = document.querySelector("input[name=decision]:checked").value;
  const body = { decision, reason: $("reason").value.trim() };
  if (decision === "request_more") body.materials = [...document.querySelectorAll("input[name=more]:checked")].map((i) => i.value);
  if (decision !== "request_more") body.confirmation_code = $("confirmation-code").value.trim();
  $("decision-error").textContent = "";
  try {
    current = await api(`/api/v1/cases/${current.id}/decision/`, { method: "POST", body });
    notice(t("decision_saved"), "ok");
    renderCase();
    loadQueue();
  } catch (error) {
    $("decision-error").textContent = error.message;
  }
});

// --- invitations into a live call over /ws/me/ ----------------------------------------------------------
function listen(retry = 0) {
  const socket = new WebSocket(wsUrl("/ws/me/"));
  socket.addEventListener("open", () => { retry = 0; });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "call-invite" || message.type === "ringing") {
      const banner = $("invite-banner");
      const who = [message.from && message.from.unit, message.from && message.from.caller].filter(Boolean).join(" · ");
      banner.replaceChildren(el("strong", {}, t("ringing", { who })), " ",
        el("a", { class: "btn btn-primary", id: "accept-invite", href: `/call/${message.call_id}/` }, t("join")));
      banner.hidden = false;
    } else if (message.type === "ringing-stopped") {
      $("invite-banner").hidden = true;
    }
    if (CALL_CHANGES.includes(message.type)) calls.refreshSoon();
  });
  socket.addEventListener("close", (event) => {
    if (event.code < 4400) setTimeout(() => listen(retry + 1), Math.min(10000, 1000 * 2 ** retry));
  });
}

// --- the day's calls ----------------------------------------------------------------------------------
const CALL_CHANGES = ["ringing", "call-invite", "ringing-stopped", "call-status", "hangup"];
const calls = mountCallsToday($("calls-today"), { caseHref: (id) => `/desk/?case=${id}`, openCase });

loadQueue();
listen();
setInterval(loadQueue, 60000);
setInterval(() => calls.refreshSoon(0), 60000);
const askedCase = new URLSearchParams(location.search).get("case");
if (askedCase && /^\d+$/.test(askedCase)) openCase(askedCase);
