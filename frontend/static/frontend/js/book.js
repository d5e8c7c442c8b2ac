// Booking: station (nearest by location, or county → township), free slots, for whom, confirm.
import {
  api, apiList, el, formatDateTime, formatMonthDay, formatTime, formatWeekday, isElderly, isoDate, loc, notice, pageData, randomKey, t,
} from "./common.js";

const itemId = pageData().item;
const rescheduleId = pageData().reschedule;
const state = { unit: null, slotsByDate: new Map(), date: null, slot: null, dateOffset: 0, key: null };

const $ = (id) => document.getElementById(id);
const steps = { station: $("step-station"), time: $("step-time"), confirm: $("step-confirm") };

function show(step) {
  for (const [name, section] of Object.entries(steps)) {
    section.hidden = name !== step;
    $("step-label-" + name).toggleAttribute("aria-current", name === step);
    if (name === step) $("step-label-" + name).setAttribute("aria-current", "step");
  }
  const heading = steps[step].querySelector("h1");
  if (heading) { heading.tabIndex = -1; heading.focus(); }
}

// --- Step 1: station ---------------------------------------------------------------------
function stationLimit() {
  return isElderly() ? 3 : 8;
}

// Slots asked for as soon as a station is on the screen, so a tap on it finds them there (or on their way).
const slotRequests = new Map();
const SLOT_DAYS = 14;
const PREFETCH_STATIONS = 2;
const PREFETCH_FRESH_MS = 60000;

function slotsUrl(unitId) {
  const from = new Date();
  const to = new Date(Date.now() + SLOT_DAYS * 86400000);
  return `/api/v1/units/${unitId}/slots/?item=${itemId}&date_from=${isoDate(from)}&date_to=${isoDate(to)}`;
}

function prefetchSlots(units) {
  for (const unit of units.slice(0, PREFETCH_STATIONS)) {
    if (slotRequests.has(unit.id)) continue;
    slotRequests.set(unit.id, { at: Date.now(), answer: api(slotsUrl(unit.id)).catch(() => null) });
  }
}

async function slotsFor(unitId) {
  const pending = slotRequests.get(unitId);
  slotRequests.delete(unitId);
  const answer = pending && Date.now() - pending.at < PREFETCH_FRESH_MS ? await pending.answer : null;
  return answer || api(slotsUrl(unitId));
}

function renderStations(units) {
  const list = $("stations");
  list.replaceChildren();
  prefetchSlots(units.slice(0, stationLimit()));
  for (const unit of units.slice(0, stationLimit())) {
    const sub = [unit.county_name, unit.township_name, unit.address].filter(Boolean).join(" · ");
    const distance = unit.distance_km !== undefined && unit.distance_km !== null ? ` · ${unit.distance_km} ${t("km")}` : "";
    list.append(el("li", {}, el("button", {
      type: "button", class: "station-option", dataset: { unit: unit.id },
      onclick: () => chooseUnit(unit),
    }, el("strong", {}, loc(unit, "name")), el("span", { class: "sub" }, sub + distance))));
  }
}

$("locate").addEventListener("click", () => {
  if (!navigator.geolocation) { notice(t("location_denied"), "error"); return; }
  notice(t("locating"));
  navigator.geolocation.getCurrentPosition(async (position) => {
    const { latitude, longitude } = position.coords;
    try {
      const page = await api(`/api/v1/units/?kind=township_station&near=${latitude.toFixed(5)},${longitude.toFixed(5)}`);
      renderStations(page.results || page);
      $("notice").hidden = true;
      const first = $("stations").querySelector("button");
      if (first) first.focus();
    } catch (error) {
      notice(error.message, "error");
    }
  }, () => notice(t("location_denied"), "error"), { timeout: 15000, maximumAge: 600000 });
});

let countyUnits = [];
// The resident's own county and township come with the page (frontend/page_data.py): no request for step 1.
const start = (() => {
  const block = $("booking-start");
  return block && !rescheduleId ? JSON.parse(block.textContent) : null;
})();
let countyComplete = !start; // the embedded list holds only the home township's stations
if (start) {
  countyUnits = start.units.filter((unit) => unit.kind === "township_station");
  const workstations = start.units.filter((unit) => unit.kind === "county_workstation");
  renderStations(start.township ? countyUnits : workstations);
}

$("county").addEventListener("change", async () => {
  const code = $("county").value;
  const township = $("township");
  township.replaceChildren(new Option(t("choose_township"), ""));
  township.disabled = !code;
  $("stations").replaceChildren();
  if (!code) return;
  try {
    const [divisions, stations, workstations] = await Promise.all([
      api(`/api/v1/divisions/?parent=${code}`),
      apiList(`/api/v1/units/?kind=township_station&county=${code}`),
      apiList(`/api/v1/units/?kind=county_workstation&county=${code}`),
    ]);
    countyUnits = stations;
    countyComplete = true;
    for (const division of divisions) township.append(new Option(division.name, division.code));
    // The county workstation serves everyone in the county: offer it straight away.
    renderStations(workstations);
  } catch (error) {
    notice(error.message, "error");
  }
});

$("township").addEventListener("change", async () => {
  const code = $("township").value;
  if (!countyComplete) {
    try {
      countyUnits = await apiList(`/api/v1/units/?kind=township_station&county=${$("county").value}`);
      countyComplete = true;
    } catch (error) {
      notice(error.message, "error");
      return;
    }
  }
  renderStations(countyUnits.filter((unit) => unit.township === code));
});

function chooseUnit(unit) {
  state.unit = unit;
  state.slot = null;
  state.dateOffset = 0;
  $("chosen-station").textContent = loc(unit, "name");
  show("time");
  loadSlots();
}

$("change-station").addEventListener("click", () => show("station"));

// --- Step 2: date and time ---------------------------------------------------------------
function slotRows(payload) {
  if (Array.isArray(payload)) return payload;
  return payload.results || payload.slots || [];
}

async function loadSlots({ fresh = false } = {}) {
  $("slots").replaceChildren(el("p", { class: "hint" }, t("loading")));
  try {
    const payload = fresh ? await api(slotsUrl(state.unit.id)) : await slotsFor(state.unit.id);
    state.slotsByDate = new Map();
    for (const slot of slotRows(payload)) {
      const day = isoDate(new Date(slot.starts_at));
      if (!state.slotsByDate.has(day)) state.slotsByDate.set(day, []);
      state.slotsByDate.get(day).push(slot);
    }
    const days = [...state.slotsByDate.keys()].sort();
    state.date = days[0] || null;
    renderDates();
    renderSlots();
  } catch (error) {
    $("slots").replaceChildren();
    notice(error.message, "error");
  }
}

function renderDates() {
  const days = [...state.slotsByDate.keys()].sort();
  const perScreen = isElderly() ? 3 : days.length;
  const visible = days.slice(state.dateOffset, state.dateOffset + perScreen);
  const strip = $("dates");
  strip.replaceChildren();
  const today = isoDate(new Date());
  const tomorrow = isoDate(new Date(Date.now() + 86400000));
  for (const day of visible) {
    const date = new Date(day + "T00:00:00");
    const label = day === today ? t("today") : day === tomorrow ? t("tomorrow") : "";
    strip.append(el("button", {
      type: "button", class: "date-button", "aria-pressed": day === state.date ? "true" : "false", dataset: { date: day },
      onclick: () => { state.date = day; state.slot = null; renderDates(); renderSlots(); },
    }, label ? el("strong", { class: "d-line" }, label) : null,
    el("span", { class: "d-line" }, formatMonthDay(date)), el("span", { class: "d-line" }, formatWeekday(date))));
  }
  $("date-nav").hidden = !isElderly() || days.length <= perScreen;
  $("dates-prev").disabled = state.dateOffset === 0;
  $("dates-next").disabled = state.dateOffset + perScreen >= days.length;
}

$("dates-prev").addEventListener("click", () => { state.dateOffset = Math.max(0, state.dateOffset - 3); renderDates(); });
$("dates-next").addEventListener("click", () => { state.dateOffset += 3; renderDates(); });

function renderSlots() {
  const grid = $("slots");
  grid.replaceChildren();
  const slots = state.date ? state.slotsByDate.get(state.date) || [] : [];
  $("slots-empty").hidden = slots.length > 0;
  $("slots-empty").textContent = t("no_slots");
  for (const slot of slots) {
    const remaining = slot.remaining ?? slot.free ?? 1;
    grid.append(el("button", {
      type: "button", class: "slot-button", disabled: remaining <= 0,
      "aria-pressed": state.slot === slot ? "true" : "false", dataset: { startsAt: slot.starts_at },
      onclick: () => chooseSlot(slot),
    }, formatTime(slot.starts_at), el("small", {}, remaining > 0 ? t("remaining", { n: remaining }) : t("full"))));
  }
}

function chooseSlot(slot) {
  state.slot = slot;
  state.key = randomKey(); // one key per confirmed choice: a retried POST is answered with the same booking
  $("sum-station").textContent = loc(state.unit, "name");
  $("sum-time").textContent = `${formatDateTime(slot.starts_at)}–${formatTime(slot.ends_at)}`;
  show("confirm");
}

// --- Step 3: for whom, confirm -------------------------------------------------------------
for (const radio of document.querySelectorAll("input[name=who]")) {
  radio.addEventListener("change", () => {
    $("family-fields").hidden = document.querySelector("input[name=who]:checked").value !== "family";
    state.key = randomKey();
  });
}
$("back-to-time").addEventListener("click", () => show("time"));

$("confirm").addEventListener("click", async () => {
  const errorBox = $("confirm-error");
  errorBox.textContent = "";
  if (!state.slot) { errorBox.textContent = t("choose_slot_first"); return; }
  const body = { unit: state.unit.id, item: Number(itemId), starts_at: state.slot.starts_at };
  if (document.querySelector("input[name=who]:checked").value === "family") {
    const name = $("family-name").value.trim();
    const idNumber = $("family-id").value.trim().toUpperCase();
    if (!name || !idNumber) { errorBox.textContent = t("proxy_need"); return; }
    body.resident = { real_name: name, id_number: idNumber };
    const familyPhone = $("family-phone").value.replace(/[\s-]/g, "");
    if (familyPhone) body.resident.phone = familyPhone;
  }
  const button = $("confirm");
  button.disabled = true;
  try {
    const booking = rescheduleId
      ? await api(`/api/v1/bookings/${rescheduleId}/reschedule/`, { method: "POST", body: { starts_at: body.starts_at } })
      : await api("/api/v1/bookings/", { method: "POST", body, headers: { "Idempotency-Key": state.key } });
    notice(t("booking_done"), "ok");
    location.href = `/me/bookings/${booking.id}/?new=1`;
  } catch (error) {
    errorBox.textContent = error.message;
    button.disabled = false;
    if (error.code === "profile_incomplete") {
      location.href = "/me/profile/?next=" + encodeURIComponent(location.pathname);
    }
    if (error.status === 409) { state.key = randomKey(); loadSlots({ fresh: true }); }
  }
});

if (rescheduleId) {
  // Changing the time of a booking: same station and item, straight to the time step.
  chooseUnit({ id: Number(pageData().unit), name: pageData().unitName });
  $("change-station").hidden = true;
}

document.addEventListener("elderlychange", () => {
  if (!steps.station.hidden && state.unit === null) return;
  renderDates();
});

document.body.dataset.ready = "1"; // listeners in place (the weak-connection test waits for this)
