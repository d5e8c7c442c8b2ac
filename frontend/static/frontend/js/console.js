// Station console: the live waiting list (WebSocket), today's bookings, admit, the call, document capture,
// inviting a reviewer, and turning the booking into a submitted case.
import { mountCall } from "./call_ui.js";
import { mountCallsToday } from "./calls_today.js";
import { api, apiList, el, formatTime, isoDate, loc, notice, pageData, t, upload, wsUrl } from "./common.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const unitIds = (pageData().units || "").split(",").filter(Boolean);
let unitId = params.get("unit") || unitIds[0];
const openCallId = params.get("call");
const admitId = params.get("admit");
let bookingId = params.get("booking");
let session = null;

if ($("unit-select")) {
  $("unit-select").value = unitId;
  $("unit-select").addEventListener("change", () => { location.href = `/console/?unit=${$("unit-select").value}`; });
}

// --- live waiting list and ringing over /ws/stations/{unit}/ ---------------------------------------
let consoleSocket = null;
let retry = 0;

function renderWaiting(rows) {
  const list = $("waiting-list");
  list.replaceChildren();
  $("waiting-count").textContent = rows.length;
  if (!rows.length) { list.append(el("li", { class: "hint" }, t("no_waiting"))); return; }
  for (const row of rows) {
    const materials = row.materials
      ? (row.materials.complete ? el("span", { class: "badge badge-ok" }, t("materials_ok"))
        : el("span", { class: "badge badge-need" }, t("materials_missing", { n: row.materials.missing.length })))
      : null;
    const waited = Math.floor(row.waited_seconds / 60);
    list.append(el("li", { class: "queue-entry", dataset: { participant: row.participant_id, call: row.call_id } },
      el("div", {}, el("strong", {}, `${row.position}. ${row.who}`), " ", row.item || "", " ", materials,
        el("br"), el("span", { class: "hint" }, `${waited} ${t("minutes")}` + (row.connected ? "" : " · " + t("reconnecting")))),
      el("button", { type: "button", class: "btn btn-primary admit-button", onclick: () => openCall(row) }, t("admit"))));
  }
}

function connectConsole() {
  const socket = new WebSocket(wsUrl(`/ws/stations/${unitId}/`));
  consoleSocket = socket;
  socket.addEventListener("open", () => { retry = 0; $("console-socket").textContent = ""; });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "waiting-list") renderWaiting(message.waiting);
    else if (message.type === "ringing" || message.type === "call-invite") showRinging(message);
    else if (message.type === "ringing-stopped") $("ringing").hidden = true;
    else if (message.type === "error") notice(message.detail, "error");
    if (CALL_CHANGES.includes(message.type)) { calls.refreshSoon(); loadTodaySoon(); }
  });
  const heartbeat = setInterval(() => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping", ts: Date.now() }));
  }, 25000);
  socket.addEventListener("close", (event) => {
    clearInterval(heartbeat);
    if (event.code >= 4400) { notice(t("refused"), "error"); return; }
    $("console-socket").textContent = t("reconnecting");
    setTimeout(connectConsole, Math.min(10000, 1000 * 2 ** retry++));
  });
}

function showRinging(message) {
  const box = $("ringing");
  const who = [message.from && message.from.unit, message.from && message.from.caller].filter(Boolean).join(" · ");
  box.replaceChildren(el("strong", {}, t("ringing", { who })), " ", message.topic || "",
    el("div", { class: "btn-row" },
      el("a", { class: "btn btn-primary", href: `/console/?unit=${unitId}&call=${message.call_id}${message.booking_id ? "&booking=" + message.booking_id : ""}` }, t("join"))));
  box.hidden = false;
}

function openCall(row) {
  location.href = `/console/?unit=${unitId}&call=${row.call_id}&admit=${row.participant_id}` + (row.booking_id ? `&booking=${row.booking_id}` : "");
}

// --- today's bookings ------------------------------------------------------------------------------
async function loadToday() {
  const body = $("today").querySelector("tbody");
  try {
    const rows = await apiList(`/api/v1/bookings/?unit=${unitId}&date=${isoDate(new Date())}`);
    body.replaceChildren();
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "hint" }, t("no_bookings_today"))));
    for (const booking of rows) {
      const missing = booking.missing_mandatory.length;
      body.append(el("tr", { dataset: { booking: booking.id } },
        el("td", {}, formatTime(booking.starts_at)),
        el("td", {}, booking.resident.name, booking.is_proxy ? el("span", { class: "badge" }, t("proxy_for", { name: booking.booked_by.name })) : null),
        el("td", {}, booking.item.name),
        el("td", {}, missing ? el("span", { class: "badge badge-need" }, t("materials_missing", { n: missing })) : el("span", { class: "badge badge-ok" }, t("materials_ok"))),
        el("td", {}, booking.status_display)));
    }
  } catch (error) {
    notice(error.message, "error");
  }
}

// A call that rings, is admitted or ends changes its booking's status: reload the day's bookings on the
// socket event (once per burst of events) rather than waiting for the minute's refresh.
let todayTimer = null;
function loadTodaySoon(delay = 500) {
  clearTimeout(todayTimer);
  todayTimer = setTimeout(loadToday, delay);
}

// --- the open call --------------------------------------------------------------------------------
function renderCaseForm(item, box = $("case-form"), values = {}) {
  box.replaceChildren();
  for (const field of item.form_fields || []) {
    const id = `${box.id}-${field.name}`;
    const label = el("label", { for: id }, loc(field, "label") + (field.required ? " *" : ""));
    let input;
    if (field.type === "choice") {
      input = el("select", { id, name: field.name, required: field.required },
        el("option", { value: "" }, "—"), ...field.choices.map((choice) => el("option", { value: choice }, choice)));
    } else {
      input = el("input", { id, name: field.name, required: field.required,
        type: field.type === "date" ? "date" : field.type === "number" ? "number" : "text" });
    }
    if (values[field.name] !== undefined && values[field.name] !== null) input.value = String(values[field.name]);
    box.append(label, input);
  }
}

function formData(box = $("case-form")) {
  const data = {};
  for (const input of box.querySelectorAll("input, select")) {
    if (input.value !== "") data[input.name] = input.value;
  }
  return data;
}

async function loadBookingTools() {
  if (!bookingId) return;
  const booking = await api(`/api/v1/bookings/${bookingId}/`);
  if (!$("case-form").childElementCount) {
    api(`/api/v1/catalog/items/${booking.item.id}/`).then(renderCaseForm).catch(() => {});
  }
  const select = $("capture-requirement");
  select.replaceChildren();
  for (const entry of booking.checklist) {
    if (entry.code) select.append(new Option(`${entry.name}${entry.missing ? " *" : ""}`, entry.code));
  }
  const list = $("booking-materials");
  list.replaceChildren();
  for (const entry of booking.checklist) {
    for (const material of entry.uploaded) {
      list.append(el("li", {}, "✓ ", el("a", { href: material.download_url }, `${entry.name} · ${t("source_" + material.source)}`)));
    }
  }
  return booking;
}

async function loadInviteTargets() {
  const units = [];
  try {
    const me = await api("/api/v1/units/" + unitId + "/");
    if (me.county) units.push(...await apiList(`/api/v1/units/?kind=county_workstation&county=${me.county}`));
    units.push(...await apiList("/api/v1/units/?kind=city_department"));
  } catch (error) { /* the list stays empty */ }
  const select = $("invite-unit");
  for (const unit of units) if (String(unit.id) !== String(unitId)) select.append(new Option(unit.name, unit.id));
}

async function startCall() {
  $("call-column").hidden = false;
  session = await mountCall($("call-panel"), {
    callId: openCallId,
    onState(state) {
      if (state === "in-call" && admitId && !startCall.admitted) {
        startCall.admitted = true;
        session.client.admit(admitId);
      }
    },
  });
  session.client.addEventListener("joined", (event) => {
    if (!bookingId && event.detail.call && event.detail.call.booking_id) {
      bookingId = String(event.detail.call.booking_id);
      loadBookingTools();
    }
  });
  loadBookingTools().catch((error) => notice(error.message, "error"));
  loadInviteTargets();
}

$("capture").addEventListener("click", async () => {
  if (!session || !bookingId) return;
  const canvas = $("capture-canvas");
  const blob = await session.captureRemote(canvas);
  if (!blob) { notice(t("no_waiting"), "error"); return; }
  canvas.hidden = false;
  const form = new FormData();
  form.append("requirement", $("capture-requirement").value);
  form.append("file", new File([blob], "capture.jpg", { type: "image/jpeg" }));
  $("capture-status").textContent = t("uploading", { p: 0 });
  try {
    await upload(`/api/v1/bookings/${bookingId}/materials/`, form, (p) => { $("capture-status").textContent = t("uploading", { p }); });
    $("capture-status").textContent = t("captured");
    $("capture-status").dataset.done = "true";
    loadBookingTools();
  } catch (error) {
    $("capture-status").textContent = error.message;
  }
});

$("invite").addEventListener("click", async () => {
  try {
    await api(`/api/v1/calls/${openCallId}/invite/`, { method: "POST", body: { unit_id: Number($("invite-unit").value) } });
    notice(t("invite_sent"), "ok");
  } catch (error) {
    notice(error.message, "error");
  }
});

$("submit-case").addEventListener("click", async () => {
  if (!bookingId) return;
  const status = $("case-status");
  try {
    let caseRow;
    try {
      caseRow = await api("/api/v1/cases/", { method: "POST", body: { booking_id: Number(bookingId), form_data: formData() } });
    } catch (error) {
      if (error.code !== "case_exists") throw error;
      caseRow = await api(`/api/v1/cases/${error.body.case_id}/`, { method: "PATCH", body: { form_data: formData() } });
    }
    if (caseRow.status === "draft" || caseRow.status === "needs_more_info") {
      caseRow = await api(`/api/v1/cases/${caseRow.id}/submit/`, { method: "POST", body: {} });
    }
    try { await api(`/api/v1/calls/${openCallId}/case/`, { method: "POST", body: { case_id: caseRow.id } }); } catch (e) { /* optional link */ }
    status.textContent = `${t("case_submitted")} · #${caseRow.id} · ${caseRow.status_label}`;
    status.dataset.case = caseRow.id;
    notice(t("case_submitted"), "ok");
  } catch (error) {
    status.textContent = error.message;
    notice(error.message, "error");
  }
});

// --- a case opened from a call (?case=N): its facts, the form, submit for review --------------------------
const EDITABLE = ["draft", "needs_more_info"];

async function openCasePanel(caseId) {
  let found;
  try {
    found = await api(`/api/v1/cases/${caseId}/`);
  } catch (error) {
    notice(error.message, "error");
    return;
  }
  renderCasePanel(found);
  $("case-panel").hidden = false;
  $("case-panel-heading").focus();
}

function renderCasePanel(found) {
  $("case-panel").dataset.case = found.id;
  $("case-panel-heading").textContent = `${t("case_no", { id: found.id })} · ${loc(found.item, "name")}`;
  const facts = [[t("status"), found.status_label], [t("resident"), found.resident.name],
    [t("opened_by"), found.opened_unit ? found.opened_unit.name : ""]];
  if (found.missing_materials.length) facts.push([t("missing"), found.missing_materials.map((m) => m.name).join("、")]);
  $("case-panel-facts").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  renderCaseForm({ form_fields: found.form_fields }, $("case-panel-form"), found.form_data || {});
  $("case-panel-submit").hidden = !EDITABLE.includes(found.status);
}

$("case-panel-submit").addEventListener("click", async () => {
  const caseId = $("case-panel").dataset.case;
  const status = $("case-panel-status");
  status.textContent = "";
  try {
    await api(`/api/v1/cases/${caseId}/`, { method: "PATCH", body: { form_data: formData($("case-panel-form")) } });
    const submitted = await api(`/api/v1/cases/${caseId}/submit/`, { method: "POST", body: {} });
    renderCasePanel(await api(`/api/v1/cases/${caseId}/`));
    status.textContent = `${t("case_submitted")} · ${submitted.status_label}`;
    notice(t("case_submitted"), "ok");
  } catch (error) {
    status.textContent = error.message;
    notice(error.message, "error");
  }
});

// --- the day's calls, reloaded when the console socket tells of a call that rang, was answered or ended ---
// (a waiting list is published whenever a call of the unit ends)
const CALL_CHANGES = ["ringing", "call-invite", "ringing-stopped", "call-status", "hangup", "waiting-list", "booking-status"];
const callsSection = $("calls-today");
const calls = mountCallsToday(callsSection, { caseHref: (id) => `/console/?unit=${unitId}&case=${id}`,
  openCase: openCasePanel });

connectConsole();
loadToday();
setInterval(loadToday, 60000);
setInterval(() => calls.refreshSoon(0), 60000);
if (openCallId) startCall();
if (/^\d+$/.test(params.get("case") || "")) openCasePanel(params.get("case"));
