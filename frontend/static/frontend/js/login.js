// Login: phone + SMS code for residents (with a resend countdown), username + password for staff.
import { api, pageData, t } from "./common.js";

const phone = document.getElementById("phone");
const code = document.getElementById("code");
const sendButton = document.getElementById("send-code");
const countdown = document.getElementById("countdown");
const errorBox = document.getElementById("login-error");
const RESEND_SECONDS = 60;
let timer = null;

function cleanPhone() {
  return phone.value.replace(/[\s-]/g, "");
}

function startCountdown(seconds) {
  let left = seconds;
  sendButton.disabled = true;
  clearInterval(timer);
  const tick = () => {
    if (left <= 0) {
      clearInterval(timer);
      sendButton.disabled = false;
      sendButton.textContent = t("resend");
      countdown.textContent = "";
      return;
    }
    sendButton.textContent = t("resend_in", { s: left });
    left -= 1;
  };
  tick();
  timer = setInterval(tick, 1000);
}

sendButton.addEventListener("click", async () => {
  errorBox.textContent = "";
  if (!/^1\d{10}$/.test(cleanPhone())) {
    errorBox.textContent = t("phone_invalid");
    phone.focus();
    return;
  }
  sendButton.disabled = true;
  try {
    await api("/api/v1/auth/otp/request", { method: "POST", body: { phone: cleanPhone() } });
    countdown.textContent = t("code_sent");
    startCountdown(RESEND_SECONDS);
    code.focus();
  } catch (error) {
    errorBox.textContent = error.message;
    if (error.body && error.body.retry_after) startCountdown(error.body.retry_after);
    else sendButton.disabled = false;
  }
});

function goNext(user) {
  const next = pageData().next;
  if (next) location.href = next;
  else if (user.role === "resident") location.href = user.profile_complete ? "/" : "/me/profile/?next=/";
  else location.href = "/console/";
}

document.getElementById("otp-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.textContent = "";
  if (!/^\d{6}$/.test(code.value.trim())) {
    errorBox.textContent = t("code_invalid");
    code.focus();
    return;
  }
  const button = document.getElementById("login-button");
  button.disabled = true;
  try {
    const user = await api("/api/v1/auth/otp/verify", { method: "POST", body: { phone: cleanPhone(), code: code.value.trim() } });
    goNext(user);
  } catch (error) {
    errorBox.textContent = error.message;
    button.disabled = false;
  }
});

document.getElementById("staff-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = document.getElementById("staff-error");
  box.textContent = "";
  const button = document.getElementById("staff-button");
  button.disabled = true;
  try {
    await api("/api/v1/auth/login", {
      method: "POST",
      body: { username: document.getElementById("username").value.trim(), password: document.getElementById("password").value },
    });
    // The login page sends a signed-in person to their own start page (console, desk or statistics).
    location.href = pageData().next || "/login/";
  } catch (error) {
    box.textContent = error.message;
    button.disabled = false;
  }
});
