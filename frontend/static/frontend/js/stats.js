// Statistics for administrators: small hand-written SVG charts fed from GET /api/v1/stats/ (no chart library).
import { api, isoDate, notice, t } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Horizontal bars: rows of {label, value, marker?}, `max` the scale, `format` the value text. */
export function barChart(rows, { max, format = (v) => String(v), color = "#0b5cad", colorOf = null, title = "" }) {
  const rowHeight = 28;
  const labelWidth = 190;
  const width = 760;
  const plot = width - labelWidth - 70;
  const height = rows.length * rowHeight + 20;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(svgEl("title", {}, title));
  const scale = max > 0 ? plot / max : 0;
  rows.forEach((row, index) => {
    const y = 10 + index * rowHeight;
    svg.append(svgEl("text", { x: labelWidth - 8, y: y + 18, "text-anchor": "end", "font-size": 13, fill: "#1a1a1a" },
      row.label.length > 14 ? row.label.slice(0, 14) + "…" : row.label));
    const value = row.value === null || row.value === undefined ? null : row.value;
    const barWidth = value === null ? 0 : Math.max(1, value * scale);
    svg.append(svgEl("rect", { x: labelWidth, y: y + 4, width: barWidth, height: rowHeight - 10,
      fill: colorOf ? colorOf(row) : color, rx: 2 }));
    if (row.marker !== undefined && row.marker !== null) {
      const x = labelWidth + row.marker * scale;
      svg.append(svgEl("line", { x1: x, x2: x, y1: y + 1, y2: y + rowHeight - 3, stroke: "#8a5a00", "stroke-width": 3 }));
    }
    svg.append(svgEl("text", { x: labelWidth + barWidth + 6, y: y + 18, "font-size": 12, fill: "#1a1a1a" },
      value === null ? "—" : format(value)));
  });
  return svg;
}

/** Vertical columns for a time series of {label, value}. */
export function columnChart(rows, { title = "" }) {
  const width = 760;
  const height = 220;
  const bottom = 30;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const step = (width - 40) / Math.max(1, rows.length);
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(svgEl("title", {}, title));
  svg.append(svgEl("line", { x1: 30, x2: width - 5, y1: height - bottom, y2: height - bottom, stroke: "#4f4f4f" }));
  rows.forEach((row, index) => {
    const h = ((height - bottom - 20) * row.value) / max;
    const x = 34 + index * step;
    svg.append(svgEl("rect", { x, y: height - bottom - h, width: step * 0.7, height: h, fill: "#0b5cad" }));
    svg.append(svgEl("text", { x: x + step * 0.35, y: height - bottom - h - 4, "text-anchor": "middle", "font-size": 12 }, row.value));
    svg.append(svgEl("text", { x: x + step * 0.35, y: height - 10, "text-anchor": "middle", "font-size": 11 }, row.label));
  });
  return svg;
}

function put(id, svg) {
  $(id).querySelector(".svg-box").replaceChildren(svg);
}

async function load() {
  const query = new URLSearchParams();
  if ($("date-from").value) query.set("date_from", $("date-from").value);
  if ($("date-to").value) query.set("date_to", $("date-to").value);
  try {
    const stats = await api("/api/v1/stats/?" + query);
    const counties = stats.by_county.filter((r) => r.cases > 0 || r.sla_compliance_pct !== null);
    put("chart-sla", barChart(counties.map((r) => ({ label: r.name, value: r.sla_compliance_pct })), {
      max: 100, format: (v) => `${v.toFixed(1)}%`, title: $("chart-sla").querySelector("figcaption").textContent,
      colorOf: (row) => (row.value !== null && row.value < 90 ? "#b3261e" : "#17663a"),
    }));
    const items = stats.by_item.filter((r) => r.decided > 0 || r.cases > 0);
    const maxDays = Math.max(1, ...items.map((r) => Math.max(r.median_days || 0, r.limit_days || 0)));
    put("chart-time", barChart(items.map((r) => ({ label: r.name, value: r.median_days, marker: r.limit_days })), {
      max: maxDays, format: (v) => `${v.toFixed(1)} ${t("days")}`, title: $("chart-time").querySelector("figcaption").textContent,
    }));
  } catch (error) {
    notice(error.message, "error");
  }
  // Volume by day: one figure per day (the API answers for a date range).
  const days = [];
  for (let back = 13; back >= 0; back -= 1) days.push(new Date(Date.now() - back * 86400000));
  const volumes = await Promise.all(days.map(async (day) => {
    const iso = isoDate(day);
    try {
      const s = await api(`/api/v1/stats/?date_from=${iso}&date_to=${iso}`);
      return { label: `${day.getMonth() + 1}/${day.getDate()}`, value: s.by_county.reduce((n, r) => n + r.cases, 0) };
    } catch (error) {
      return { label: `${day.getMonth() + 1}/${day.getDate()}`, value: 0 };
    }
  }));
  put("chart-volume", columnChart(volumes, { title: $("chart-volume").querySelector("figcaption").textContent }));
}

$("range").addEventListener("submit", (event) => { event.preventDefault(); load(); });
load();
