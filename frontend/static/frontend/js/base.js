// Every page: the elderly-mode switch (remembered in localStorage and in a cookie so the server renders it).
import { t } from "./common.js";

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
