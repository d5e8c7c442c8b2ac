// Shared helpers of every page: translated strings, the JSON API with CSRF, notices, small DOM helpers.

let strings = null;

/** A translated string rendered by the server into the page's JSON block, with %(name)s filled in. */
export function t(key, params = {}) {
  if (strings === null) {
    const block = document.getElementById("js-strings");
    strings = block ? JSON.parse(block.textContent) : {};
  }
  let text = strings[key] ?? key;
  for (const [name, value] of Object.entries(params)) {
    text = text.split(`%(${name})s`).join(String(value));
  }
  return text.replace("%%", "%");
}

export function cookie(name) {
  const match = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || t("network_error"));
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || "error";
  }
}

/** Call the JSON API. Writes carry the CSRF token; errors throw ApiError whose message is the server's `detail`. */
export async function api(path, { method = "GET", body, headers = {}, raw = false } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRFToken"] = cookie("csrftoken");
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, { code: "network", detail: t("network_error") });
  }
  if (raw && response.ok) return response;
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (response.status !== 204 && type.includes("json")) data = await response.json();
  if (!response.ok) {
    if (response.status === 401 || (response.status === 403 && data && data.code === "not_authenticated")) {
      location.href = "/login/?next=" + encodeURIComponent(location.pathname + location.search);
    }
    throw new ApiError(response.status, data);
  }
  return data;
}

/** All pages of a paginated list (or the list itself when the endpoint is not paginated). */
export async function apiList(path) {
  const first = await api(path);
  if (Array.isArray(first)) return first;
  let rows = first.results || [];
  let next = first.next;
  while (next) {
    const page = await api(next);
    rows = rows.concat(page.results || []);
    next = page.next;
  }
  return rows;
}

/** Upload a FormData with XMLHttpRequest so the caller can show progress (fetch has no upload progress). */
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("X-CSRFToken", cookie("csrftoken"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(Math.round((event.loaded / event.total) * 100));
    });
    xhr.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, { detail: t("network_error") })));
    xhr.send(formData);
  });
}

/** Show a message in the page's live region (errors also get role=alert so screen readers speak at once). */
export function notice(message, kind = "info") {
  const box = document.getElementById("notice");
  if (!box) return;
  box.textContent = message;
  box.className = "notice notice-" + kind;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.hidden = false;
  if (kind !== "error") {
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.hidden = true; }, 6000);
  }
}

export function showError(error) {
  notice(error instanceof Error ? error.message : String(error), "error");
}

/** Create an element: el("a", {href: "/", class: "btn"}, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function isEnglish() {
  return (document.documentElement.lang || "").startsWith("en");
}

/** The English field of an API row on English pages, else the Chinese one. */
export function loc(row, field) {
  if (!row) return "";
  return (isEnglish() && row[field + "_en"]) || row[field] || "";
}

export function pageData() {
  const main = document.getElementById("main");
  return main ? main.dataset : {};
}

export function isElderly() {
  return document.body.classList.contains("elderly");
}

const pad = (n) => String(n).padStart(2, "0");

export function formatTime(iso) {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "12月4日" / "12/4". */
export function formatMonthDay(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  return isEnglish() ? `${d.getMonth() + 1}/${d.getDate()}` : `${d.getMonth() + 1}月${d.getDate()}日`;
}

/** "周四" / "Thu". */
export function formatWeekday(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  return t("weekday_" + ((d.getDay() + 6) % 7));
}

export function formatDate(iso) {
  const weekday = formatWeekday(iso);
  return isEnglish() ? `${weekday} ${formatMonthDay(iso)}` : `${formatMonthDay(iso)} ${weekday}`;
}

export function formatDateTime(iso) {
  return `${formatDate(iso)} ${formatTime(iso)}`;
}

export function isoDate(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "2 天 3 小时" / "5 分钟" until a moment. */
export function formatDuration(ms) {
  const minutes = Math.max(0, Math.ceil(ms / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const parts = [];
  if (days) parts.push(`${days} ${t("days")}`);
  if (hours) parts.push(`${hours} ${t("hours")}`);
  if (!days) parts.push(`${mins} ${t("minutes")}`);
  return parts.join(" ");
}

/** ws:// or wss:// URL for a path on this site. */
export function wsUrl(path) {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}

export function randomKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
