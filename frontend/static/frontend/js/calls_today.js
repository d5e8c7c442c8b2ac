// The day's calls on the station console and the reviewer desk: missed first, then newest first; a resident's
// ad hoc call without a case can be turned into a new case or attached to an existing one. One request: the list
// carries each call's outcome, duration, callees and whether the viewer may open a case from it.
import { api, el, formatTime, loc, notice, t } from "./common.js";

const OUTCOME_CLASS = { missed: "badge-bad", declined: "badge-warn", not_connected: "badge-warn", answered: "badge-ok",
  ringing: "badge-live", ongoing: "badge-live", scheduled: "" };
let catalog = null;

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

function callee(invitation) {
  const name = invitation.user || invitation.unit || "";
  if (invitation.unit && invitation.answered_by) return t("answered_by", { who: name, by: invitation.answered_by });
  return name;
}

function whoText(call) {
  if (call.kind === "booked") {
    return `${call.resident || t("booking_no", { id: call.booking })} → ${call.host_unit_name}`;
  }
  const called = call.invitations.filter((i) => i.purpose === "callee").map(callee);
  const invited = call.invitations.filter((i) => i.purpose !== "callee").map(callee);
  let text = `${call.host_unit_name} → ${called.join("、") || "—"}`;
  if (invited.length) text += ` · ${t("invited_later", { who: invited.join("、") })}`;
  return text;
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

/** `caseHref(id)` links a case; `openCase(id)`, if given, opens it in the page (the link stays shareable). */
export function mountCallsToday(section, { caseHref = null, openCase = null } = {}) {
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

  function renderCaseArea(box, call) {
    box.replaceChildren();
    if (call.case_id) {
      box.append(caseLink(call.case_id));
      return;
    }
    if (!call.may_make_case) return;
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
        if (form === attachForm && !form.dataset.suggested) await suggestCases();
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
    const caseInput = el("input", { id: inputId, type: "number", inputmode: "numeric", min: "1", step: "1", required: true });
    attachForm.append(el("label", { for: inputId }, t("case_id")), caseInput,
      el("div", { class: "btn-row" }, el("button", { type: "submit", class: "btn btn-primary case-attach-submit" }, t("case_attach_go"))));

    /** The called resident's cases not yet decided, as a choice that fills the case number. */
    async function suggestCases() {
      attachForm.dataset.suggested = "1";
      if (!call.resident_id) return;
      let cases;
      try {
        cases = (await api(`/api/v1/cases/?resident=${call.resident_id}&undecided=true`)).results;
      } catch (error) {
        return;  // typing the number still works
      }
      if (!cases.length) return;
      const selectId = `case-choice-${call.id}`;
      const select = el("select", { id: selectId, class: "case-choice" }, el("option", { value: "" }, "—"),
        cases.map((c) => el("option", { value: c.id }, `#${c.id} ${loc(c.item, "name")} · ${c.status_label}`)));
      select.addEventListener("change", () => { caseInput.value = select.value; });
      attachForm.prepend(el("label", { for: selectId }, t("resident_open_cases")), select);
    }

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
        renderCaseArea(box, call);
        notice(t(action === "create" ? "case_created_from_call" : "case_attached", { id: answer.case_id }), "ok");
        box.querySelector(".case-link").focus();
        if (deferred) refresh();
      } catch (error) {
        if (error.code === "case_exists" && error.body.case_id) {
          call.case_id = error.body.case_id;
          renderCaseArea(box, call);
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
    const badge = el("span", { class: `badge call-outcome ${OUTCOME_CLASS[call.outcome] || ""}` }, t("outcome_" + call.outcome));
    const caseBox = el("div", { class: "call-case" });
    renderCaseArea(caseBox, call);
    return el("li", { class: "call-row", dataset: { call: call.id, outcome: call.outcome, kind: call.kind } },
      el("p", { class: "call-head" },
        el("time", { datetime: call.created_at }, formatTime(call.created_at)), " ",
        el("span", { class: "badge call-kind" }, t("call_kind_" + call.kind)), " ", badge, " ",
        el("span", { class: "call-duration" }, el("span", { class: "visually-hidden" }, t("duration") + " "), durationText(call))),
      el("p", { class: "call-who" }, whoText(call)),
      call.topic ? el("p", { class: "hint call-topic" }, call.topic) : null,
      caseBox);
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
    list.replaceChildren(...calls.map(renderRow));
    section.dataset.loaded = day;
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
  if (openCase) {
    list.addEventListener("click", (event) => {
      const link = event.target.closest("a.case-link");
      if (!link) return;
      event.preventDefault();
      history.replaceState(null, "", link.getAttribute("href"));
      openCase(link.dataset.case);
    });
  }
  return { refresh, refreshSoon };
}
