// The day's calls on the station console and the reviewer desk: missed first, then newest first; a resident's
// ad hoc call without a case can be turned into a new case or attached to an existing one.
import { api, el, formatTime, loc, notice, t } from "./common.js";

const OUTCOME_CLASS = { missed: "badge-bad", declined: "badge-warn", not_connected: "badge-warn", answered: "badge-ok",
  ringing: "badge-live", ongoing: "badge-live", scheduled: "" };
const DETAIL_LIMIT = 4;  // detail requests in flight at once
const finished = new Map();  // call id → detail of a call that is over: it no longer changes (its case id comes from the list)
let catalog = null;

/** answered / missed / declined / ringing / ongoing / scheduled (booked, not started) / not_connected. */
export function outcomeOf(call, detail) {
  if (call.status === "missed") return "missed";
  if (call.status === "scheduled") return "scheduled";
  if (call.status === "ringing") return "ringing";
  if (call.status !== "ended") return "ongoing";
  if (call.started_at) return "answered";
  return detail && detail.invitations.some((i) => i.status === "declined") ? "declined" : "not_connected";
}

export function sortCalls(calls) {
  return [...calls].sort((a, b) => (a.status !== "missed") - (b.status !== "missed")
    || new Date(b.created_at) - new Date(a.created_at));
}

function durationText(call) {
  if (!call.started_at) return "—";
  const end = call.ended_at ? new Date(call.ended_at) : new Date();
  const seconds = Math.max(0, Math.round((end - new Date(call.started_at)) / 1000));
  return t("call_duration", { m: Math.floor(seconds / 60), s: String(seconds % 60).padStart(2, "0") });
}

/** The resident an ad hoc call rang: only residents are called by account when a call starts (staff are invited). */
function calledResident(detail) {
  if (!detail || detail.kind !== "ad_hoc") return null;
  return detail.invitations.find((i) => i.purpose === "callee" && i.user) || null;
}

function callee(invitation) {
  const name = invitation.user || invitation.unit || "";
  if (invitation.unit && invitation.answered_by) return t("answered_by", { who: name, by: invitation.answered_by });
  return name;
}

function whoText(call, detail) {
  if (!detail) return t("loading");
  if (detail.kind === "booked") {
    const resident = detail.participants.find((p) => p.role === "resident" || p.role === "proxy");
    const from = resident ? resident.name : t("booking_no", { id: detail.booking_id });
    return `${from} → ${call.host_unit_name}`;
  }
  const called = detail.invitations.filter((i) => i.purpose === "callee").map(callee);
  const invited = detail.invitations.filter((i) => i.purpose !== "callee").map(callee);
  let text = `${call.host_unit_name} → ${called.join("、") || "—"}`;
  if (invited.length) text += ` · ${t("invited_later", { who: invited.join("、") })}`;
  return text;
}

async function detailOf(call) {
  if (finished.has(call.id)) return finished.get(call.id);
  const detail = await api(`/api/v1/calls/${call.id}/`);
  if (detail.status === "ended" || detail.status === "missed") finished.set(call.id, detail);
  return detail;
}

async function eachLimited(items, limit, work) {
  const queue = [...items];
  const runners = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length) await work(queue.shift());
  });
  await Promise.all(runners);
}

async function itemSelect(id) {
  catalog = catalog || api("/api/v1/catalog/categories/").catch((error) => { catalog = null; throw error; });
  const categories = await catalog;
  const select = el("select", { id, required: true }, el("option", { value: "" }, t("choose_item")));
  for (const category of categories) {
    if (!category.items.length) continue;
    select.append(el("optgroup", { label: loc(category, "name") },
      category.items.map((item) => el("option", { value: item.id }, `${loc(item, "name")} (${item.code})`))));
  }
  return select;
}

/** The API's message, made specific to what the person tried. */
function problemText(error, action) {
  let detail = error.message;
  if (error.code === "invalid" && error.body.fields && error.body.fields.item) detail = t("choose_item");
  if (error.code === "invalid" && error.body.fields && error.body.fields.case_id) detail = t("case_id_invalid");
  return t(action === "create" ? "case_create_failed" : "case_attach_failed", { reason: detail });
}

export function mountCallsToday(section, { caseHref = null } = {}) {
  const list = section.querySelector("#calls-list");
  const status = section.querySelector("#calls-status");
  const dateInput = section.querySelector("#calls-date");
  const heading = section.querySelector("#calls-heading");
  let generation = 0;
  let deferred = false;
  let timer = null;

  function caseLink(caseId) {
    const text = t("case_no", { id: caseId });
    const href = caseHref ? caseHref(caseId) : null;
    return href ? el("a", { class: "case-link", href, dataset: { case: caseId } }, text)
      : el("span", { class: "case-link badge badge-ok", tabindex: "-1", dataset: { case: caseId } }, text);
  }

  function formOpen() {
    return Boolean(list.querySelector(".call-case-form:not([hidden])"));
  }

  function renderCaseArea(box, call, detail) {
    box.replaceChildren();
    if (call.case_id) {
      box.append(caseLink(call.case_id));
      return;
    }
    if (!calledResident(detail)) return;
    const problem = el("p", { class: "status-bad call-problem", role: "alert" });
    const createForm = el("form", { class: "call-case-form", dataset: { action: "create" }, hidden: true });
    const attachForm = el("form", { class: "call-case-form", dataset: { action: "attach" }, hidden: true });
    const createToggle = el("button", { type: "button", class: "btn case-create-toggle", "aria-expanded": "false",
      "aria-controls": `case-create-${call.id}` }, t("case_from_call"));
    const attachToggle = el("button", { type: "button", class: "btn case-attach-toggle", "aria-expanded": "false",
      "aria-controls": `case-attach-${call.id}` }, t("case_attach"));
    createForm.id = `case-create-${call.id}`;
    attachForm.id = `case-attach-${call.id}`;

    async function toggle(button, form, other, otherButton) {
      const open = form.hidden;
      other.hidden = true;
      otherButton.setAttribute("aria-expanded", "false");
      form.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      problem.textContent = "";
      if (open) {
        if (form === createForm && !form.childElementCount) await fillCreateForm();
        const field = form.querySelector("select, input");
        if (field) field.focus();
      } else if (deferred) {
        refresh();
      }
    }

    async function fillCreateForm() {
      const selectId = `case-item-${call.id}`;
      try {
        createForm.append(el("label", { for: selectId }, t("service_item")), await itemSelect(selectId),
          el("div", { class: "btn-row" }, el("button", { type: "submit", class: "btn btn-primary case-create-submit" }, t("case_create_go"))));
      } catch (error) {
        problem.textContent = error.message;
      }
    }

    const inputId = `case-id-${call.id}`;
    attachForm.append(el("label", { for: inputId }, t("case_id")),
      el("input", { id: inputId, type: "number", inputmode: "numeric", min: "1", step: "1", required: true }),
      el("div", { class: "btn-row" }, el("button", { type: "submit", class: "btn btn-primary case-attach-submit" }, t("case_attach_go"))));

    async function submit(event, action) {
      event.preventDefault();
      const form = event.currentTarget;
      const field = form.querySelector("select, input");
      if (!field.value) {
        problem.textContent = action === "create" ? t("choose_item") : t("case_id_invalid");
        field.focus();
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      problem.textContent = "";
      const body = action === "create" ? { item: Number(field.value) } : { case_id: Number(field.value) };
      try {
        const answer = await api(`/api/v1/calls/${call.id}/case/`, { method: "POST", body });
        call.case_id = answer.case_id;
        renderCaseArea(box, call, detail);
        notice(t(action === "create" ? "case_created_from_call" : "case_attached", { id: answer.case_id }), "ok");
        box.querySelector(".case-link").focus();
        if (deferred) refresh();
      } catch (error) {
        if (error.code === "case_exists" && error.body.case_id) {
          call.case_id = error.body.case_id;
          renderCaseArea(box, call, detail);
          notice(error.message, "info");
          return;
        }
        problem.textContent = problemText(error, action);
        button.disabled = false;
        field.focus();
      }
    }

    createToggle.addEventListener("click", () => toggle(createToggle, createForm, attachForm, attachToggle));
    attachToggle.addEventListener("click", () => toggle(attachToggle, attachForm, createForm, createToggle));
    createForm.addEventListener("submit", (event) => submit(event, "create"));
    attachForm.addEventListener("submit", (event) => submit(event, "attach"));
    box.append(el("div", { class: "btn-row" }, createToggle, attachToggle), createForm, attachForm, problem);
  }

  function renderRow(call) {
    const outcome = outcomeOf(call, null);
    const badge = el("span", { class: `badge call-outcome ${OUTCOME_CLASS[outcome] || ""}` }, t("outcome_" + outcome));
    const who = el("p", { class: "call-who" }, t("loading"));
    const caseBox = el("div", { class: "call-case" });
    const row = el("li", { class: "call-row", dataset: { call: call.id, outcome, kind: call.kind } },
      el("p", { class: "call-head" },
        el("time", { datetime: call.created_at }, formatTime(call.created_at)), " ",
        el("span", { class: "badge call-kind" }, t("call_kind_" + call.kind)), " ", badge, " ",
        el("span", { class: "call-duration" }, el("span", { class: "visually-hidden" }, t("duration") + " "), durationText(call))),
      who,
      call.topic ? el("p", { class: "hint call-topic" }, call.topic) : null,
      caseBox);
    return { row, fill(detail) {
      const refined = outcomeOf(call, detail);
      row.dataset.outcome = refined;
      badge.className = `badge call-outcome ${OUTCOME_CLASS[refined] || ""}`;
      badge.textContent = t("outcome_" + refined);
      who.textContent = detail ? whoText(call, detail) : "—";
      renderCaseArea(caseBox, call, detail);
    } };
  }

  async function refresh() {
    if (formOpen()) { deferred = true; return; }
    deferred = false;
    const mine = ++generation;
    const day = dateInput.value || section.dataset.today;
    heading.firstChild.textContent = (day === section.dataset.today ? t("calls_today") : t("calls_of_day", { date: day })) + " ";
    let calls;
    try {
      calls = sortCalls(await api(`/api/v1/calls/?date=${encodeURIComponent(day)}`));
    } catch (error) {
      if (mine === generation) status.textContent = t("calls_load_failed", { reason: error.message });
      return;
    }
    if (mine !== generation) return;
    if (formOpen()) { deferred = true; return; }  // opened while the list was on its way: keep what is typed
    const missed = calls.filter((c) => c.status === "missed").length;
    const missedBadge = section.querySelector("#calls-missed");
    missedBadge.hidden = !missed;
    missedBadge.textContent = t("missed_count", { n: missed });
    status.textContent = calls.length ? t("calls_count", { n: calls.length }) : t("no_calls");
    const rows = calls.map((call) => ({ call, ...renderRow(call) }));
    list.replaceChildren(...rows.map((r) => r.row));
    section.dataset.loaded = day;
    await eachLimited(rows, DETAIL_LIMIT, async ({ call, fill }) => {
      try {
        const detail = await detailOf(call);
        if (mine === generation) fill(detail);
      } catch (error) {
        if (mine === generation) fill(null);
      }
    });
  }

  /** Many socket messages come in bursts (ringing, answered, ended): one reload after they settle. */
  function refreshSoon(delay = 800) {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  }

  dateInput.addEventListener("change", () => { deferred = false; list.replaceChildren(); refresh(); });
  section.querySelector("#calls-refresh").addEventListener("click", () => {
    for (const form of list.querySelectorAll(".call-case-form")) form.hidden = true;
    refresh();
  });
  refresh();
  return { refresh, refreshSoon };
}
