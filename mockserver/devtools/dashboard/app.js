// The dashboard of the authconform mock. It talks only to the admin API of the mock that served
// it (relative URLs), builds the DOM with textContent (journal values come from clients), and
// polls once a second. Secrets arrive redacted; nothing here ever sees a whole one.
"use strict";

const api = (path) => new URL(path, document.baseURI.replace(/[^/]*$/, "")).toString();
// The sandbox this page shows (its URL's /__sandbox/{id}/ prefix), and the mock's root admin API,
// where the sandboxes are listed.
const inSandbox = location.pathname.match(/^\/__sandbox\/([^/]+)\//);
const currentSandbox = inSandbox ? decodeURIComponent(inSandbox[1]) : "default";
const rootAPI = location.origin + "/__authconform/";
const maxSessionRows = 100;
let adminToken = sessionStorage.getItem("authconform-admin-token") || "";
const state = { specs: [], sessions: [], fetchedAt: 0, now: 0, clockAt: 0 };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function setStatus(msg, isError) {
  const s = document.getElementById("status");
  s.textContent = msg || "";
  s.classList.toggle("error", !!isError);
}

async function call(method, path, body) {
  const headers = {};
  if (adminToken) headers["Authorization"] = "Bearer " + adminToken;
  // Every call that changes state says application/json, with a body or not: the admin API
  // refuses any other (a form of another site cannot send it).
  if (method !== "GET" && method !== "HEAD") headers["Content-Type"] = "application/json";
  const res = await fetch(api(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  if (res.status === 401) {
    document.getElementById("auth").hidden = false;
    throw new Error("the admin API needs the admin token");
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) throw new Error((data && data.message) || res.status + " " + res.statusText);
  return data;
}

async function act(method, path, body) {
  try {
    await call(method, path, body);
    setStatus(method + " " + path + ": done");
    await refresh(true);
  } catch (e) {
    setStatus(e.message, true);
  }
}

function fmtDuration(sec) {
  if (sec === null || sec === undefined) return "";
  const neg = sec < 0;
  let s = Math.abs(Math.floor(sec));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const pad = (n) => String(n).padStart(2, "0");
  const txt = (d ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
  return neg ? "expired " + txt + " ago" : txt;
}

// fill replaces a table's rows, unless key is the same as last time: rebuilding rows under the
// pointer would swallow a click on their buttons.
const lastKeys = {};
function fill(tableId, rows, key) {
  if (key !== undefined) {
    if (lastKeys[tableId] === key) return;
    lastKeys[tableId] = key;
  }
  const tbody = document.querySelector("#" + tableId + " tbody");
  tbody.replaceChildren(...rows);
  if (rows.length === 0) {
    const cols = document.querySelectorAll("#" + tableId + " thead th").length;
    tbody.append(el("tr", {}, el("td", { colspan: cols, class: "muted" }, "none")));
  }
}

function renderSpecs() {
  const key = JSON.stringify(state.specs.map((s) => s.name + s.basePath + s.access.lifetime + (s.refresh ? s.refresh.lifetime : "")));
  if (lastKeys.specs === key) return;
  fill("specs", state.specs.map((s) => el("tr", {},
    el("td", {}, s.name, el("div", { class: "muted" }, s.title + " " + s.version)),
    el("td", { class: "mono" }, location.origin + s.basePath),
    el("td", {}, s.access.lifetime),
    el("td", {}, s.refresh ? s.refresh.lifetime : "none"),
    el("td", {}, s.operations.map((o) => o.method + " " + o.path).join(", ")))), key);
  const sel = document.getElementById("fault-op");
  const keep = sel.value;
  sel.replaceChildren(...state.specs.flatMap((s) => s.operations.map((o) =>
    el("option", { value: s.name + "|" + o.method + " " + o.path }, s.name + ": " + o.method + " " + o.path + " (" + o.statuses.join(", ") + ")"))));
  if (keep) sel.value = keep;
}

// shownSessions are the sessions the filter keeps, at most maxSessionRows of them.
function shownSessions() {
  const q = document.getElementById("session-filter").value.trim().toLowerCase();
  const kept = q ? state.sessions.filter((s) => [s.spec, s.account, s.id, s.state].some((v) => String(v || "").toLowerCase().includes(q))) : state.sessions;
  const shown = kept.slice(0, maxSessionRows);
  document.getElementById("session-count").textContent = kept.length > shown.length || q
    ? "showing " + shown.length + " of " + kept.length + (q ? " matching" : "") + " (" + state.sessions.length + " in all)"
    : state.sessions.length + " sessions";
  return shown;
}

// renderSessions rebuilds the table when the sessions change, and counts down in place.
function renderSessions() {
  const elapsed = (Date.now() - state.fetchedAt) / 1000;
  const left = (r) => (r === undefined || r === null ? "" : fmtDuration(r - elapsed));
  const sessions = shownSessions();
  const key = JSON.stringify(sessions.map((s) => [s.spec, s.id, s.state, s.access && s.access.jti]));
  fill("sessions", sessions.map((s) => {
    const revoke = el("button", { class: "small secondary", onclick: () => act("POST", "sessions/" + encodeURIComponent(s.id) + "/revoke?spec=" + encodeURIComponent(s.spec)) }, "revoke");
    return el("tr", {},
      el("td", {}, s.spec), el("td", {}, s.account), el("td", { class: "mono" }, s.id.slice(0, 10)),
      el("td", { class: "mono" }, s.access ? s.access.token + " jti " + s.access.jti : ""),
      el("td", { class: "mono countdown", "data-kind": "access" }, ""),
      el("td", { class: "mono countdown", "data-kind": "refresh" }, ""),
      el("td", { class: "state-" + s.state }, s.state),
      el("td", {}, s.state === "live" ? revoke : ""));
  }), key);
  const rows = document.querySelectorAll("#sessions tbody tr");
  sessions.forEach((s, i) => {
    if (!rows[i]) return;
    for (const cell of rows[i].querySelectorAll("td.countdown")) {
      cell.textContent = left(cell.dataset.kind === "access" ? s.accessRemaining : s.refreshRemaining);
    }
  });
}

// statesOf lists the account states a spec documents (GET specs): no password expiry where its
// login takes no password.
function statesOf(spec) {
  const s = state.specs.find((x) => x.name === spec);
  return s && s.accountStates ? s.accountStates : ["enabled", "disabled"];
}

function renderAccounts(list) {
  fill("accounts", list.map((a) => {
    const action = (name, label) => el("button", { class: "small secondary",
      onclick: () => act("POST", "accounts/" + encodeURIComponent(a.spec) + "/" + encodeURIComponent(a.id) + "/" + name) }, label);
    const states = statesOf(a.spec);
    return el("tr", {}, el("td", {}, a.spec), el("td", {}, a.id), el("td", {}, a.username || ""), el("td", { class: "mono" }, a.companyId || ""),
      el("td", { class: "state-" + a.state }, a.state),
      el("td", { class: "buttons" }, a.state !== "enabled" ? action("enable", "enable") : "",
        a.state !== "disabled" && states.includes("disabled") ? action("disable", "disable") : "",
        a.state !== "passwordExpired" && states.includes("passwordExpired") ? action("expire-password", "expire password") : ""));
  }), JSON.stringify([list, state.specs.map((s) => s.accountStates)]));
}

function renderFaults(list) {
  fill("faults", list.map((f) => el("tr", {}, el("td", {}, f.id), el("td", {}, f.spec), el("td", { class: "mono" }, f.operation),
    el("td", {}, f.status || ""), el("td", {}, f.delay || ""), el("td", {}, f.drop ? "yes" : ""), el("td", {}, f.remaining))), JSON.stringify(list));
}

function renderJournal(list) {
  const detail = document.getElementById("journal-detail");
  fill("journal", list.map((e) => el("tr", { class: "clickable", onclick: () => { detail.hidden = false; detail.textContent = JSON.stringify(e, null, 2); } },
    el("td", {}, e.id), el("td", { class: "mono" }, String(e.at).replace(/\.\d+Z$/, "Z")), el("td", { class: "mono" }, e.method + " " + e.path),
    el("td", { class: e.status >= 400 ? "status-err" : "status-ok" }, e.status), el("td", {}, e.operation || ""),
    el("td", {}, e.account || ""), el("td", {}, e.failure || ""), el("td", {}, e.ms))), list.map((e) => e.id).join(","));
}

// renderSandboxes fills the picker from the mock's root admin API: the default first, then the
// sandboxes oldest first; picking one opens its dashboard.
async function renderSandboxes() {
  const sel = document.getElementById("sandbox");
  let ids = [];
  try {
    const headers = adminToken ? { Authorization: "Bearer " + adminToken } : {};
    const res = await fetch(rootAPI + "sandboxes", { headers, cache: "no-store" });
    if (res.ok) ids = ((await res.json()).sandboxes || []).map((b) => b.id);
  } catch (e) { ids = []; }
  if (currentSandbox !== "default" && !ids.includes(currentSandbox)) ids.push(currentSandbox);
  const key = JSON.stringify(ids);
  if (sel.dataset.key === key) return;
  sel.dataset.key = key;
  sel.replaceChildren(el("option", { value: "default" }, "default"), ...ids.map((id) => el("option", { value: id }, id)));
  sel.value = currentSandbox;
}

// renderReplicaNotes says, when the state lives in a store replicas share (not this process's
// memory), that the live tokens and the journal are this replica's alone. The health endpoint
// names the store's kind; it answers 503, with the kind, while the store is down.
async function renderReplicaNotes() {
  let kind;
  try {
    const res = await fetch(api("health"), { cache: "no-store" });
    kind = ((await res.json()).store || {}).kind;
  } catch (e) { return; }
  for (const id of ["sessions-replica", "journal-replica"]) document.getElementById(id).hidden = !kind || kind === "memory";
}

function tickClock() {
  if (!state.clockAt) return;
  const now = new Date(state.now + (Date.now() - state.clockAt));
  document.getElementById("clock").textContent = now.toISOString().replace(".000Z", "Z").replace(/\.\d+Z$/, "Z");
  const off = (now.getTime() - Date.now()) / 1000;
  document.getElementById("offset").textContent = Math.abs(off) < 2 ? "(real time)" : "(" + (off > 0 ? "+" : "-") + fmtDuration(Math.abs(off)) + " from real time)";
  renderSessions();
}

let slow = 0;
async function refresh(all) {
  try {
    const [clock, sessions, faults, journal] = await Promise.all([
      call("GET", "clock"), call("GET", "sessions"), call("GET", "faults"), call("GET", "journal?limit=50")]);
    state.now = Date.parse(clock.now); state.clockAt = Date.now();
    state.sessions = sessions.sessions; state.fetchedAt = Date.now();
    renderFaults(faults.faults);
    renderJournal(journal.entries);
    if (all || slow++ % 5 === 0) {
      const [specs, accounts] = await Promise.all([call("GET", "specs"), call("GET", "accounts")]);
      state.specs = specs.specs;
      renderSpecs();
      renderSandboxes();
      renderReplicaNotes();
      renderAccounts(accounts.accounts);
    }
    tickClock();
    document.getElementById("auth").hidden = true;
    if (document.getElementById("status").classList.contains("error") && !all) setStatus("");
  } catch (e) {
    setStatus(e.message, true);
  }
}

function longest(kind) {
  let max = 0;
  for (const s of state.specs) if (s[kind]) max = Math.max(max, s[kind].seconds);
  return max;
}

function init() {
  for (const b of document.querySelectorAll("button[data-advance]")) {
    b.addEventListener("click", () => act("POST", "clock", { advance: b.dataset.advance }));
  }
  document.getElementById("past-access").addEventListener("click", () => act("POST", "clock", { advance: Math.ceil(longest("access") + 1) + "s" }));
  document.getElementById("past-refresh").addEventListener("click", () => {
    const sec = longest("refresh");
    if (!sec) { setStatus("no served spec has a refresh token", true); return; }
    act("POST", "clock", { advance: Math.ceil(sec + 1) + "s" });
  });
  document.getElementById("clock-real").addEventListener("click", () => act("POST", "clock/reset"));
  document.getElementById("reset-all").addEventListener("click", () => act("POST", "reset"));
  document.getElementById("journal-clear").addEventListener("click", () => act("DELETE", "journal"));
  document.getElementById("fault-clear").addEventListener("click", () => act("DELETE", "faults"));
  document.getElementById("fault-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const [spec, operation] = document.getElementById("fault-op").value.split("|");
    const body = { spec, operation, count: Number(document.getElementById("fault-count").value) || 1 };
    const status = Number(document.getElementById("fault-status").value);
    if (status) body.status = status;
    const delay = document.getElementById("fault-delay").value.trim();
    if (delay) body.delay = delay;
    if (document.getElementById("fault-drop").checked) body.drop = true;
    act("POST", "faults", body);
  });
  document.getElementById("session-filter").addEventListener("input", renderSessions);
  document.getElementById("sandbox").addEventListener("change", (ev) => {
    const id = ev.target.value;
    location.href = id === "default" ? rootAPI : location.origin + "/__sandbox/" + encodeURIComponent(id) + "/__authconform/";
  });
  document.getElementById("auth-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    adminToken = document.getElementById("auth-token").value.trim();
    sessionStorage.setItem("authconform-admin-token", adminToken);
    refresh(true);
  });
  refresh(true);
  setInterval(refresh, 1000);
  setInterval(tickClock, 250);
}

document.addEventListener("DOMContentLoaded", init);
