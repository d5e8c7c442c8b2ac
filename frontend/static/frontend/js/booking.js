// One booking: summary with countdown and Join, the materials checklist with uploads, the case timeline, the letter.
import {
  api, apiList, el, formatDateTime, formatDuration, formatTime, loc, notice, pageData, t, upload,
} from "./common.js";

const bookingId = pageData().booking;
const ACTIVE = new Set(["booked", "checked_in", "in_call"]);
const DECIDED = new Set(["approved", "rejected"]);
const $ = (id) => document.getElementById(id);
let booking = null;
let caseDetail = null;

const decided = () => Boolean(caseDetail && DECIDED.has(caseDetail.status));
// Materials go up while the session is ahead, and after it until the case is decided (a reviewer may ask for more).
const uploadsOpen = () => ACTIVE.has(booking.status) || (booking.status === "completed" && !decided());

function renderSummary() {
  const box = $("summary");
  const active = ACTIVE.has(booking.status);
  const left = new Date(booking.starts_at).getTime() - Date.now();
  // Same rule as "my bookings": entering the room checks the booking in, so not a day early.
  const joinable = active && booking.call_id && left <= 30 * 60000;
  const parts = [
    el("h1", {}, booking.item.name),
    el("p", {}, booking.unit.name, el("br"), `${formatDateTime(booking.starts_at)}–${formatTime(booking.ends_at)}`),
    el("p", {}, el("span", { class: "badge" + (active ? " badge-ok" : ""), id: "booking-status" }, booking.status_display),
      booking.is_proxy ? el("span", { class: "badge" }, t("proxy_for", { name: booking.resident.name })) : null),
    active ? el("p", { class: "countdown" }, left > 0 ? t("starts_in", { t: formatDuration(left) }) : t("started")) : null,
    joinable
      ? el("a", { class: "btn btn-primary btn-block btn-join", id: "join", href: `/call/${booking.call_id}/check/` }, t("join"))
      : null,
  ];
  // replaceChildren writes a null argument as the text "null": pass only the parts that exist.
  box.replaceChildren(...parts.filter(Boolean));
  $("manage-card").hidden = booking.status !== "booked";
}

function renderOutcome() {
  const section = $("outcome");
  section.hidden = !decided();
  if (!decided()) return;
  const approved = caseDetail.status === "approved";
  $("outcome-status").replaceChildren(
    el("span", { class: "badge badge-large " + (approved ? "badge-ok" : "badge-bad") }, caseDetail.status_label));
  const reason = caseDetail.decision_reason || "";
  $("outcome-reason").textContent = reason;
  $("outcome-reason").hidden = !reason;
  $("outcome-letter").replaceChildren(el("a", {
    class: "btn btn-primary btn-block btn-large", id: "letter-link",
    href: `/api/v1/cases/${caseDetail.id}/letter.pdf`, download: "",
  }, t("letter_download")));
}

function renderChecklist() {
  const container = $("materials");
  container.replaceChildren();
  const open = uploadsOpen();
  $("materials-heading").textContent = open ? t("materials_upload") : t("materials_uploaded");
  $("materials-hint").textContent = open ? t("materials_hint") : t("uploads_closed");
  const template = $("material-template");
  let shown = 0;
  for (const entry of booking.checklist) {
    if (!entry.code) continue; // "other materials" captured by staff: listed, not uploadable here
    if (!open && entry.uploaded.length === 0) continue;
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.requirement = entry.code;
    node.querySelector(".m-name").textContent = loc(entry, "name");
    const hint = loc(entry, "hint");
    node.querySelector(".m-hint").textContent = hint;
    node.querySelector(".m-hint").hidden = !hint || !open;
    const state = node.querySelector(".m-state");
    const done = entry.uploaded.length > 0;
    state.textContent = done ? t("uploaded") : entry.missing ? t("missing") : "";
    state.className = "badge m-state " + (done ? "badge-ok" : entry.missing ? "badge-need" : "");
    const files = node.querySelector(".m-files");
    entry.uploaded.forEach((material, index) => {
      files.append(el("li", {}, "✓ ", el("a", { href: material.download_url }, `${loc(entry, "name")} ${index + 1} (${material.file_type.toUpperCase()}, ${Math.ceil(material.size / 1024)} KB)`)));
    });
    const input = node.querySelector(".m-input");
    if (open) {
      input.id = "file-" + entry.code;
      input.setAttribute("aria-label", loc(entry, "name"));
      input.addEventListener("change", () => uploadFile(node, entry, input));
    } else {
      node.querySelector(".file-pick").remove();
    }
    container.append(node);
    shown += 1;
  }
  $("materials-card").hidden = shown === 0;
}

async function uploadFile(node, entry, input) {
  const file = input.files[0];
  if (!file) return;
  const bar = node.querySelector(".m-progress");
  const status = node.querySelector(".m-status");
  bar.hidden = false;
  bar.value = 0;
  status.textContent = t("uploading", { p: 0 });
  const form = new FormData();
  form.append("requirement", entry.code);
  form.append("file", file);
  try {
    await upload(`/api/v1/bookings/${bookingId}/materials/`, form, (percent) => {
      bar.value = percent;
      status.textContent = t("uploading", { p: percent });
    });
    bar.value = 100;
    notice(t("uploaded") + " · " + loc(entry, "name"), "ok");
    await load();
  } catch (error) {
    bar.hidden = true;
    status.textContent = t("upload_failed") + "：" + error.message;
    status.className = "hint m-status status-bad";
  } finally {
    input.value = "";
  }
}

/** The resident's case for this booking, with its timeline; null when there is none (yet). */
async function fetchCase() {
  try {
    const cases = await apiList("/api/v1/cases/");
    const mine = cases.find((c) => String(c.booking_id) === String(bookingId));
    return mine ? await api(`/api/v1/cases/${mine.id}/`) : null;
  } catch (error) {
    return null; // no case yet, or the reviews service is not reachable: show the booking's own record
  }
}

function renderCase() {
  const timeline = $("timeline");
  const rows = [];
  for (const event of booking.events || []) {
    rows.push({ at: event.at, text: event.to_status_display || statusLabel(event.to_status) });
  }
  for (const event of (caseDetail && caseDetail.timeline) || []) {
    rows.push({ at: event.at, text: [event.action_label, event.unit_name, event.comment].filter(Boolean).join(" · ") });
  }
  rows.sort((a, b) => a.at.localeCompare(b.at));
  timeline.replaceChildren(...rows.map((row) => el("li", {}, el("time", { datetime: row.at }, formatDateTime(row.at)), row.text)));
  const status = $("letter");
  if (!caseDetail) status.replaceChildren(el("p", { class: "hint" }, t("case_none")));
  else if (decided()) status.replaceChildren(); // the outcome and the letter lead the page
  else status.replaceChildren(el("p", {}, el("strong", {}, caseDetail.status_label)));
  $("case-card").hidden = false;
}

function statusLabel(code) {
  return t("status_" + code);
}

// Just booked (the booking flow adds ?new=1): no case can exist yet, so the first load does not ask for one.
let justBooked = new URLSearchParams(location.search).has("new");

async function load() {
  let found;
  try {
    [found, caseDetail] = await Promise.all([api(`/api/v1/bookings/${bookingId}/`), justBooked ? null : fetchCase()]);
    justBooked = false;
  } catch (error) {
    $("summary").replaceChildren(el("p", { class: "status-bad" }, error.message));
    return;
  }
  booking = found;
  renderSummary();
  renderOutcome();
  renderChecklist();
  renderCase();
  document.body.dataset.loaded = "1";
}

$("cancel").addEventListener("click", async () => {
  if (!window.confirm(t("cancel_confirm"))) return;
  try {
    booking = await api(`/api/v1/bookings/${bookingId}/cancel/`, { method: "POST", body: {} });
    notice(t("cancelled"), "ok");
    load();
  } catch (error) {
    notice(error.message, "error");
  }
});

load();
setInterval(() => { if (booking) renderSummary(); }, 30000);
