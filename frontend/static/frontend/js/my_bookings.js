// My bookings: upcoming first, each with a countdown and a big Join button when the time comes.
import { api, apiList, el, formatDateTime, formatDuration, formatTime, loc, notice, t } from "./common.js";

const ACTIVE = new Set(["booked", "checked_in", "in_call"]);
const JOIN_EARLY_MS = 30 * 60000; // the Join button appears half an hour before the start
const box = document.getElementById("bookings");
let bookings = [];

export function nameOf(ref) {
  if (!ref) return "";
  return typeof ref === "object" ? loc(ref, "name") : String(ref);
}

function countdownText(booking) {
  const left = new Date(booking.starts_at).getTime() - Date.now();
  return left > 0 ? t("starts_in", { t: formatDuration(left) }) : t("started");
}

function card(booking) {
  const active = ACTIVE.has(booking.status);
  const joinable = active && booking.call_id && new Date(booking.starts_at).getTime() - Date.now() <= JOIN_EARLY_MS;
  const missing = (booking.missing_mandatory || []).length;
  return el("article", { class: "booking-card", dataset: { booking: booking.id, status: booking.status } },
    el("h2", {}, nameOf(booking.item)),
    el("p", {}, nameOf(booking.unit), el("br"), `${formatDateTime(booking.starts_at)}–${formatTime(booking.ends_at)}`),
    el("p", {}, el("span", { class: "badge" + (active ? " badge-ok" : "") }, booking.status_display || booking.status),
      booking.is_proxy ? el("span", { class: "badge" }, t("proxy_for", { name: booking.resident.name })) : null,
      missing ? el("span", { class: "badge badge-need" }, t("materials_missing", { n: missing })) : null),
    active ? el("p", { class: "countdown", dataset: { countdown: booking.starts_at } }, countdownText(booking)) : null,
    joinable ? el("a", { class: "btn btn-primary btn-block btn-join", href: `/call/${booking.call_id}/check/` }, t("join")) : null,
    el("p", {}, el("a", { class: "btn btn-block", href: `/me/bookings/${booking.id}/` }, t("details"))),
  );
}

function render() {
  box.replaceChildren();
  if (!bookings.length) { box.append(el("p", {}, t("no_bookings"))); return; }
  const upcoming = bookings.filter((b) => ACTIVE.has(b.status)).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  const past = bookings.filter((b) => !ACTIVE.has(b.status)).sort((a, b) => b.starts_at.localeCompare(a.starts_at));
  for (const booking of [...upcoming, ...past]) box.append(card(booking));
}

async function load() {
  try {
    bookings = await apiList("/api/v1/bookings/");
    render();
  } catch (error) {
    box.replaceChildren();
    notice(error.message, "error");
  }
}

// Cases a station opened for her in person (no booking): it sees her data only once she agrees here.
const consentBox = document.getElementById("consent");

function consentCard(caseRow) {
  const agree = el("button", { class: "btn btn-primary btn-block", type: "button" }, t("consent_agree"));
  agree.addEventListener("click", async () => {
    agree.disabled = true;
    try {
      await api(`/api/v1/cases/${caseRow.id}/consent/`, { method: "POST" });
      notice(t("consent_given"), "ok");
      loadConsents();
    } catch (error) {
      agree.disabled = false;
      notice(error.message, "error");
    }
  });
  return el("article", { class: "booking-card", dataset: { consentCase: caseRow.id } },
    el("h2", {}, nameOf(caseRow.item)),
    el("p", {}, t("consent_ask", { unit: nameOf(caseRow.opened_unit) })),
    agree);
}

async function loadConsents() {
  if (!consentBox) return;
  const cases = await apiList("/api/v1/cases/?undecided=true");
  const waiting = cases.filter((c) => c.booking_id === null && !c.consent_at && c.status === "draft");
  consentBox.replaceChildren(...(waiting.length ? [el("h2", {}, t("consent_title")), ...waiting.map(consentCard)] : []));
}

// Re-render each minute: countdowns move on and the Join button appears on time.
setInterval(render, 30000);
load();
loadConsents().catch((error) => notice(error.message, "error"));
