// Resident profile: name, ID number, scheme, county and township (needed before booking).
import { api, notice, pageData, t } from "./common.js";

const form = document.getElementById("profile-form");
const county = document.getElementById("home_county");
const township = document.getElementById("home_township");

export async function fillTownships(select, countyCode, selected = "") {
  select.replaceChildren(new Option(t("choose_township"), ""));
  if (!countyCode) return;
  const rows = await api(`/api/v1/divisions/?parent=${encodeURIComponent(countyCode)}`);
  for (const row of rows) select.append(new Option(row.name, row.code, false, row.code === selected));
}

async function load() {
  const me = await api("/api/v1/me");
  // Never overwrite what the person typed while the profile was loading on a slow network.
  if (!form.real_name.value) form.real_name.value = me.real_name || "";
  if (me.id_number) document.getElementById("id-current").textContent = me.id_number;
  if (!form.querySelector("input[name=insurance_scheme]:checked")) {
    for (const radio of form.querySelectorAll("input[name=insurance_scheme]")) radio.checked = radio.value === me.insurance_scheme;
  }
  if (!county.value) {
    county.value = me.home_county || "";
    await fillTownships(township, me.home_county, me.home_township || "");
  }
  form.dataset.loaded = "true";
}

county.addEventListener("change", () => fillTownships(township, county.value));

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = document.getElementById("profile-error");
  box.textContent = "";
  const body = { real_name: form.real_name.value.trim() };
  if (form.id_number.value.trim()) body.id_number = form.id_number.value.trim();
  const scheme = form.querySelector("input[name=insurance_scheme]:checked");
  if (scheme) body.insurance_scheme = scheme.value;
  if (county.value) body.home_county = county.value;
  if (township.value) body.home_township = township.value;
  try {
    await api("/api/v1/me", { method: "PATCH", body });
    notice(t("saved"), "ok");
    const next = pageData().next;
    if (next) location.href = next;
  } catch (error) {
    box.textContent = error.message;
  }
});

load().catch((error) => notice(error.message, "error"));
