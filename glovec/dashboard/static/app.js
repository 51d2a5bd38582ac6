/* glovec dashboard: the page. Live mode polls /api/updates and merges what changed; static
   mode (glovec report --html) reads window.GLOVEC_DATA and never fetches. */
(function () {
  "use strict";
  const CONFIG = window.GLOVEC_CONFIG || {mode: "static"};
  const STATIC = CONFIG.mode !== "live";
  const PAGE = 100;          // table rows per page
  const PARALLEL_MAX = 2000; // lines drawn in parallel coordinates
  const POLL_MS = 1000;

  const S = {
    doc: null, byId: new Map(), ids: [], cursor: null, generation: null,
    sites: [], siteSet: new Set(), metrics: [], metricSet: new Set(), nobj: 1,
    reports: {}, importance: [], space: null, specs: null,
    sort: {key: "id", desc: false}, page: 0, view: "trials", dirty: true, lastUpdate: null,
    charts: {}, chartsDirty: true, trialShown: null,
  };

  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...kids) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const kid of kids.flat()) {
      if (kid != null) node.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return node;
  };

  // ---- fetching ------------------------------------------------------------------------
  async function api(path, options) {
    const response = await fetch(path, Object.assign({credentials: "same-origin"}, options || {}));
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) {
      // Python's JSON may hold NaN / Infinity (a trial that returned one): read them as null
      try { body = JSON.parse(text.replace(/\bNaN\b|-?\bInfinity\b/g, "null")); } catch (e2) { body = {error: text}; }
    }
    return {ok: response.ok, status: response.status, body, headers: response.headers};
  }

  async function loadAll() {
    const r = await api("api/trials");
    if (!r.ok) throw new Error((r.body && r.body.error) || ("HTTP " + r.status));
    S.cursor = +r.headers.get("X-Glovec-Cursor");
    S.generation = r.headers.get("X-Glovec-Generation");
    setDocument(r.body);
    const rep = await api("api/reports?last=300");
    S.reports = rep.ok ? rep.body : {};
    refreshImportance();
  }

  async function refreshImportance() {
    S.importanceAt = Date.now();
    const r = await api("api/importance");
    if (r.ok) { S.importance = r.body; S.chartsDirty = true; schedule(); }
  }

  // one round: fetch what changed, merge it, draw it (poll() repeats it; the bench times it)
  async function update() {
    try {
      const r = await api(`api/updates?since=${S.cursor}&generation=${encodeURIComponent(S.generation)}`);
      if (r.ok) {
        const u = r.body;
        if (u.full) await loadAll();
        else if (u.trials.length || u.cursor !== S.cursor) {
          S.cursor = u.cursor;
          Object.assign(S.doc, u.summary);
          for (const t of u.trials) addTrial(t);
          Object.assign(S.reports, u.reports);
          if (u.trials.length) {
            S.dirty = S.chartsDirty = true;
            if (S.trialShown != null && u.trials.some((t) => t.id === S.trialShown)) showTrial(S.trialShown);
            if (Date.now() - (S.importanceAt || 0) > 5000) refreshImportance();
          }
        }
        S.lastUpdate = new Date();
        $("#live").classList.remove("stale");
      } else {
        $("#live").classList.add("stale");
      }
    } catch (e) {
      $("#live").classList.add("stale");
    }
    renderLive();
    render();
  }

  async function poll() {
    await update();
    setTimeout(poll, POLL_MS);
  }

  function renderLive() {
    const live = $("#live");
    if (STATIC) { live.textContent = "static report"; return; }
    live.textContent = S.lastUpdate ? "live \u00b7 " + S.lastUpdate.toLocaleTimeString() : "connecting";
  }

  // ---- the data ------------------------------------------------------------------------
  function setDocument(doc) {
    S.doc = doc;
    S.byId = new Map(); S.ids = []; S.sites = []; S.siteSet = new Set();
    S.metrics = []; S.metricSet = new Set();
    S.nobj = Math.max(1, doc.directions.length);
    for (const t of doc.trials) addTrial(t);
    delete S.doc.trials;
    S.dirty = S.chartsDirty = true;
    $("#study-name").textContent = doc.study;
    schedule();
  }

  function addTrial(t) {
    if (!S.byId.has(t.id)) {
      if (S.ids.length && t.id < S.ids[S.ids.length - 1]) { S.ids.push(t.id); S.ids.sort((a, b) => a - b); }
      else S.ids.push(t.id);
    }
    S.byId.set(t.id, t);
    for (const k in t.decisions) if (!S.siteSet.has(k)) { S.siteSet.add(k); S.sites.push(k); }
    for (const k in (t.metrics || {})) if (!S.metricSet.has(k)) { S.metricSet.add(k); S.metrics.push(k); }
  }

  const objectiveOf = (t, i) => {
    const o = t.objective;
    if (o == null) return null;
    return Array.isArray(o) ? (o[i || 0] ?? null) : (i ? null : o);
  };

  function columns() {
    const cols = [{key: "id", label: "trial", num: true, get: (t) => t.id},
                  {key: "status", label: "status", get: (t) => t.status}];
    for (let i = 0; i < S.nobj; i++) {
      const dir = S.doc.directions[i] || "maximize";
      cols.push({key: "obj" + i, label: (S.nobj > 1 ? `objective ${i}` : "objective") + (dir === "minimize" ? " \u2193" : " \u2191"),
                 num: true, get: (t) => objectiveOf(t, i)});
    }
    cols.push({key: "seconds", label: "seconds", num: true, get: (t) => t.seconds});
    for (const s of S.sites) cols.push({key: "s:" + s, label: s, get: (t) => t.decisions[s]});
    for (const m of S.metrics) cols.push({key: "m:" + m, label: m, num: true, get: (t) => (t.metrics || {})[m]});
    return cols;
  }

  const show = (v) => {
    if (v == null) return "";
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(5).replace(/\.?0+$/, ""));
    if (Array.isArray(v)) return "[" + v.map(show).join(", ") + "]";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  };

  // filter: words like `failed`, `lr<0.01`, `units=128`, `act=gelu` (all must hold)
  function compileFilter(text) {
    const tests = [];
    for (const word of text.trim().split(/\s+/).filter(Boolean)) {
      const m = word.match(/^([^<>=!]+)(<=|>=|!=|=|<|>)(.*)$/);
      if (!m) {
        const w = word.toLowerCase();
        tests.push((t) => JSON.stringify(t.decisions).toLowerCase().includes(w) || t.status === w || String(t.id) === w);
        continue;
      }
      const [, name, op, rawValue] = m;
      const value = rawValue.replace(/^["']|["']$/g, "");
      const col = columns().find((c) => c.label === name || c.key === name || c.key === "s:" + name || c.key === "m:" + name
                                     || (name === "objective" && c.key === "obj0"));
      if (!col) { tests.push(() => false); continue; }
      const num = Number(value);
      tests.push((t) => {
        let v = col.get(t);
        if (v == null) return false;
        if (typeof v === "string") v = v.replace(/^["']|["']$/g, "");
        const numeric = typeof v === "number" && !Number.isNaN(num) && value !== "";
        const a = numeric ? v : show(v), b = numeric ? num : value;
        switch (op) {
          case "=": return numeric ? a === b : a === b;
          case "!=": return a !== b;
          case "<": return a < b; case ">": return a > b;
          case "<=": return a <= b; case ">=": return a >= b;
        }
        return false;
      });
    }
    return (t) => tests.every((f) => f(t));
  }

  function visibleTrials() {
    const status = $("#f-status").value;
    const test = compileFilter($("#f-text").value);
    const cols = columns();
    const col = cols.find((c) => c.key === S.sort.key) || cols[0];
    const rows = [];
    for (const id of S.ids) {
      const t = S.byId.get(id);
      if ((!status || t.status === status) && test(t)) rows.push(t);
    }
    if (col.key !== "id" || S.sort.desc) {
      const sign = S.sort.desc ? -1 : 1;
      rows.sort((a, b) => {
        const x = col.get(a), y = col.get(b);
        if (x == null && y == null) return a.id - b.id;
        if (x == null) return 1;
        if (y == null) return -1;
        if (typeof x === "number" && typeof y === "number") return sign * (x - y) || a.id - b.id;
        return sign * show(x).localeCompare(show(y), undefined, {numeric: true}) || a.id - b.id;
      });
    }
    return rows;
  }

  // ---- rendering -----------------------------------------------------------------------
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; render(); });
  }

  function render() {
    if (!S.doc) return;
    renderSummary();
    if (S.view === "trials" && S.dirty) {
      renderTable(); S.dirty = false;
      if (S.loadedMs == null) S.loadedMs = performance.now();  // first table drawn (bench)
    }
    if (S.view === "charts" && S.chartsDirty) { renderCharts(); S.chartsDirty = false; }
  }

  function renderSummary() {
    const box = $("#summary");
    box.replaceChildren();
    const c = S.doc.counts || {};
    for (const status of ["completed", "running", "proposed", "pruned", "failed"]) {
      if (c[status]) box.append(el("span", {class: "chip " + status}, el("b", {}, c[status]), status));
    }
    if (S.doc.best != null) {
      const best = S.byId.get(S.doc.best);
      box.append(el("span", {class: "chip"}, "best: ", el("a", {href: "#trial/" + S.doc.best}, "trial " + S.doc.best),
                    best ? " \u00b7 " + show(best.objective) : ""));
    }
    const statuses = $("#f-status");
    if (statuses.options.length === 1) {
      for (const s of ["completed", "running", "proposed", "pruned", "failed"]) statuses.append(el("option", {value: s}, s));
    }
  }

  function renderTable() {
    const cols = columns();
    const head = el("tr", {});
    for (const col of cols) {
      const th = el("th", {"data-key": col.key, class: col.key === S.sort.key ? "sorted" + (S.sort.desc ? " desc" : "") : ""}, col.label);
      th.addEventListener("click", () => {
        S.sort = {key: col.key, desc: S.sort.key === col.key ? !S.sort.desc : col.key.startsWith("obj") && S.doc.directions[+col.key.slice(3)] !== "minimize"};
        S.page = 0; S.dirty = true; schedule();
      });
      head.append(th);
    }
    $("#trials thead").replaceChildren(head);
    const rows = visibleTrials();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    S.page = Math.min(S.page, pages - 1);
    const body = document.createDocumentFragment();
    for (const t of rows.slice(S.page * PAGE, S.page * PAGE + PAGE)) {
      const tr = el("tr", {"data-id": t.id, class: t.id === S.doc.best ? "best" : ""});
      for (const col of cols) {
        const v = col.get(t);
        tr.append(col.key === "status" ? el("td", {}, el("span", {class: "status " + v}, v))
                                       : el("td", {class: col.num ? "num" : ""}, show(v)));
      }
      tr.addEventListener("click", () => { location.hash = "#trial/" + t.id; });
      body.append(tr);
    }
    $("#trials tbody").replaceChildren(body);
    $("#f-count").textContent = `${rows.length.toLocaleString()} of ${S.ids.length.toLocaleString()} trials`;
    $("#p-page").textContent = `${S.page + 1} / ${pages}`;
  }

  // ---- charts --------------------------------------------------------------------------
  function chart(id) {
    if (!S.charts[id]) {
      const node = document.getElementById(id);
      S.charts[id] = echarts.init(node, null, {renderer: "canvas"});
      window.addEventListener("resize", () => S.charts[id].resize());
    }
    return S.charts[id];
  }

  function renderCharts() {
    historyChart(); curvesChart(); parallelChart(); importanceChart(); paretoChart();
  }

  function historyChart() {
    const maximize = (S.doc.directions[0] || "maximize") === "maximize";
    const points = [], best = [], bad = [];
    let current = null, low = Infinity;
    for (const id of S.ids) {
      const t = S.byId.get(id);
      const v = objectiveOf(t, 0);
      if (t.status === "completed" && typeof v === "number") {
        points.push([id, v]);
        low = Math.min(low, v);
        if (current === null || (maximize ? v > current : v < current)) current = v;
        best.push([id, current]);
      } else if (t.status === "failed" || t.status === "pruned") {
        bad.push([id, null, t.status]);
      }
    }
    const floor = Number.isFinite(low) ? low : 0;
    chart("c-history").setOption({
      animation: false, grid: {left: 60, right: 20, top: 30, bottom: 40},
      legend: {top: 0}, tooltip: {trigger: "item", formatter: (p) => `trial ${p.value[0]}: ${p.seriesName === "failed / pruned" ? p.value[2] : show(p.value[1])}`},
      xAxis: {type: "value", name: "trial", nameLocation: "middle", nameGap: 25, minInterval: 1, scale: true},
      yAxis: {type: "value", scale: true, name: "objective (" + (maximize ? "maximize" : "minimize") + ")"},
      series: [
        {name: "objective", type: "scatter", symbolSize: 6, data: points, large: points.length > 5000, itemStyle: {color: "#2f6fde", opacity: .7}},
        {name: "best so far", type: "line", step: "end", showSymbol: false, data: best, lineStyle: {color: "#d9534f", width: 2}, itemStyle: {color: "#d9534f"}},
        {name: "failed / pruned", type: "scatter", symbol: "triangle", symbolSize: 7, data: bad.map((b) => [b[0], floor, b[2]]), itemStyle: {color: "#9aa1af"}},
      ],
    }, true);
  }

  function curvesChart() {
    const series = [];
    const ids = Object.keys(S.reports).map(Number).sort((a, b) => a - b).slice(-300);
    const prunedEnds = [];
    for (const id of ids) {
      const t = S.byId.get(id);
      const pruned = t && t.status === "pruned";
      const data = S.reports[id].map((r) => [r[0], Array.isArray(r[1]) ? r[1][0] : r[1]]);
      series.push({name: "trial " + id, type: "line", showSymbol: false, data, silent: false,
                   lineStyle: {width: pruned ? 1.2 : 1, color: pruned ? "#d9534f" : "#2f6fde", opacity: pruned ? .8 : .45, type: pruned ? "dashed" : "solid"},
                   itemStyle: {color: pruned ? "#d9534f" : "#2f6fde"}, z: pruned ? 3 : 2});
      if (pruned && data.length) prunedEnds.push(data[data.length - 1].concat([id]));
    }
    series.push({name: "pruned", type: "scatter", symbol: "rect", symbolSize: 7, data: prunedEnds, itemStyle: {color: "#d9534f"}, z: 4});
    chart("c-curves").setOption({
      animation: false, grid: {left: 60, right: 20, top: 20, bottom: 40},
      tooltip: {trigger: "item", formatter: (p) => `${p.seriesName === "pruned" ? "trial " + p.value[2] + " (pruned)" : p.seriesName}: step ${p.value[0]}, ${show(p.value[1])}`},
      xAxis: {type: "value", name: "step", nameLocation: "middle", nameGap: 25, minInterval: 1},
      yAxis: {type: "value", scale: true},
      graphic: ids.length ? [] : [{type: "text", left: "center", top: "middle", style: {text: "no intermediate reports (# glovec: report)", fill: "#6b7385"}}],
      series,
    }, true);
  }

  function parallelChart() {
    const done = [];
    for (const id of S.ids) {
      const t = S.byId.get(id);
      if (t.status === "completed" && typeof objectiveOf(t, 0) === "number") done.push(t);
    }
    let shown = done;
    if (done.length > PARALLEL_MAX) {  // the best quarter, and an even sample of the rest
      const maximize = (S.doc.directions[0] || "maximize") === "maximize";
      const ranked = done.slice().sort((a, b) => (maximize ? -1 : 1) * (objectiveOf(a, 0) - objectiveOf(b, 0)));
      const top = ranked.slice(0, PARALLEL_MAX / 4), rest = ranked.slice(PARALLEL_MAX / 4);
      const step = rest.length / (PARALLEL_MAX - top.length);
      shown = top.concat(Array.from({length: PARALLEL_MAX - top.length}, (_, i) => rest[Math.floor(i * step)]));
    }
    const axes = [];
    const sites = S.sites.slice(0, 24);
    sites.forEach((s, i) => {
      const values = shown.map((t) => t.decisions[s]).filter((v) => v != null);
      const numeric = values.length && values.every((v) => typeof v === "number");
      const axis = {dim: i, name: s.length > 24 ? "\u2026" + s.slice(-23) : s, nameTextStyle: {fontSize: 11}};
      if (numeric) {
        axis.type = "value"; axis.scale = true;
        if (values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) > 100) { axis.type = "log"; delete axis.scale; }
      } else {
        axis.type = "category";
        axis.data = [...new Set(values.map(show))].sort((a, b) => a.localeCompare(b, undefined, {numeric: true}));
      }
      axes.push(axis);
    });
    axes.push({dim: sites.length, name: "objective", type: "value", scale: true, nameTextStyle: {fontWeight: "bold"}});
    const data = shown.map((t) => sites.map((s) => {
      const v = t.decisions[s];
      return v == null ? null : (typeof v === "number" ? v : show(v));
    }).concat([objectiveOf(t, 0)]));
    const objs = data.map((d) => d[d.length - 1]);
    const lo = objs.length ? Math.min(...objs) : 0, hi = objs.length ? Math.max(...objs) : 1;
    chart("c-parallel").setOption({
      animation: false,
      parallel: {left: 60, right: 90, top: 40, bottom: 30, parallelAxisDefault: {nameLocation: "end", nameGap: 12}},
      parallelAxis: axes,
      visualMap: {type: "continuous", min: lo, max: hi === lo ? lo + 1 : hi, dimension: sites.length, right: 0, top: "middle",
                  calculable: true, precision: 3, text: ["objective", ""], inRange: {color: ["#c6d4ef", "#2f6fde", "#d9534f"]}, itemHeight: 120},
      series: [{type: "parallel", data, lineStyle: {width: 1, opacity: .55}, progressive: 500}],
    }, true);
  }

  function importanceChart() {
    const items = S.importance.slice(0, 20).reverse();
    chart("c-importance").setOption({
      animation: false, grid: {left: 10, right: 30, top: 10, bottom: 30, containLabel: true},
      tooltip: {trigger: "item", formatter: (p) => `${p.name}: ${(p.value * 100).toFixed(1)}%`},
      xAxis: {type: "value", max: 1, axisLabel: {formatter: (v) => Math.round(v * 100) + "%"}},
      yAxis: {type: "category", data: items.map((i) => i.site), axisLabel: {fontSize: 11}},
      graphic: items.length ? [] : [{type: "text", left: "center", top: "middle", style: {text: "needs 4 completed trials", fill: "#6b7385"}}],
      series: [{type: "bar", data: items.map((i) => i.importance), itemStyle: {color: "#2f6fde"},
                label: {show: true, position: "right", formatter: (p) => (p.value * 100).toFixed(1) + "%"}}],
    }, true);
  }

  // the non-dominated completed trials on the first two objectives (each direction respected)
  function paretoFront(points, dirs) {
    const sign = dirs.map((d) => (d === "minimize" ? 1 : -1));  // minimise sign * value
    const sorted = points.slice().sort((a, b) => sign[0] * (a[0] - b[0]) || sign[1] * (a[1] - b[1]));
    const front = [];
    let bestY = Infinity;
    for (const p of sorted) {
      const y = sign[1] * p[1];
      if (y < bestY) { front.push(p); bestY = y; }
    }
    return front;
  }

  function paretoChart() {
    const card = $("#card-pareto");
    if (S.nobj < 2) { card.style.display = "none"; return; }
    card.style.display = "";
    const points = [];
    for (const id of S.ids) {
      const t = S.byId.get(id);
      const a = objectiveOf(t, 0), b = objectiveOf(t, 1);
      if (t.status === "completed" && typeof a === "number" && typeof b === "number") points.push([a, b, id]);
    }
    const front = paretoFront(points, S.doc.directions);
    chart("c-pareto").setOption({
      animation: false, grid: {left: 60, right: 20, top: 30, bottom: 45}, legend: {top: 0},
      tooltip: {trigger: "item", formatter: (p) => `trial ${p.value[2]}: ${show(p.value[0])}, ${show(p.value[1])}`},
      xAxis: {type: "value", scale: true, name: "objective 0 (" + S.doc.directions[0] + ")", nameLocation: "middle", nameGap: 28},
      yAxis: {type: "value", scale: true, name: "objective 1 (" + S.doc.directions[1] + ")"},
      series: [
        {name: "trials", type: "scatter", data: points, symbolSize: 6, large: points.length > 5000, itemStyle: {color: "#9aa1af"}},
        {name: "Pareto front", type: "line", step: false, data: front, symbolSize: 8, itemStyle: {color: "#d9534f"}, lineStyle: {color: "#d9534f"}},
      ],
    }, true);
  }

  // ---- one trial -----------------------------------------------------------------------
  // the materialized trial: saved as a file, or its diagnostic shown (a trial that does not fit
  // the program any more, e.g. after an edit of the space)
  async function download(event) {
    event.preventDefault();
    const link = event.currentTarget;
    const response = await fetch(link.href, {credentials: "same-origin"});
    if (!response.ok) {
      let message = "HTTP " + response.status;
      try { message = (await response.json()).error; } catch (e) { /* keep the status */ }
      $("#download-error").textContent = message;
      return;
    }
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const url = URL.createObjectURL(await response.blob());
    const save = el("a", {href: url, download: name ? name[1] : "trial.py"});
    document.body.append(save); save.click(); save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function showTrial(id) {
    S.trialShown = id;
    const box = $("#view-trial");
    let t = S.byId.get(id);
    let extra = null;
    if (!STATIC) {
      const r = await api("api/trials/" + id);
      if (r.ok) { extra = r.body; t = r.body; }
    } else if (t) {
      extra = Object.assign({}, t, {reports: S.reports[id] || []});
    }
    if (!t) { box.replaceChildren(el("p", {}, "no trial " + id)); return; }
    const kv = (rows) => el("table", {class: "kv"}, rows.filter(([, v]) => v !== "").map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, v))));
    const when = (s) => (s ? new Date(s * 1000).toLocaleString() : "");
    const parts = [
      el("div", {class: "trial-head"}, el("a", {href: "#trials"}, "\u2190 trials"), el("h2", {}, "Trial " + id),
         el("span", {class: "status " + t.status}, t.status),
         (!STATIC && CONFIG.source) ? el("a", {class: "button", href: `api/trials/${id}/materialized`, download: "", onclick: download}, "Download as plain code") : null,
         el("span", {class: "error", id: "download-error"})),
      el("div", {class: "grid"},
        el("div", {class: "card"}, el("h3", {}, "Result"), kv([
          ["objective", show(t.objective)], ["duration", t.seconds != null ? t.seconds.toFixed(3) + " s" : ""],
          ["started", when(extra && extra.started)], ["finished", when(extra && extra.finished)],
          ["attempts", extra && extra.attempts != null ? String(extra.attempts) : ""],
          ["ran on", t.node ? t.node : "this machine"],
          ["pruned at step", extra && extra.step != null ? String(extra.step) : ""]])),
        el("div", {class: "card"}, el("h3", {}, "Decisions"), kv(Object.entries(t.decisions).map(([k, v]) => [k, show(v)]))),
        el("div", {class: "card"}, el("h3", {}, "Metrics"),
           Object.keys(t.metrics || {}).length ? kv(Object.entries(t.metrics).map(([k, v]) => [k, show(v)])) : el("p", {class: "muted"}, "none")),
        el("div", {class: "card"}, el("h3", {}, "Intermediate reports"), el("div", {id: "c-trial-reports", class: "chart"})),
      ),
    ];
    if (t.error) {  // a failure's stderr tail, first thing under the title
      const lines = t.error.trimEnd().split("\n");
      parts.splice(1, 0, el("div", {class: "card error-card"}, el("h3", {}, "Error (last " + Math.min(40, lines.length) + " lines)"),
                            el("pre", {}, lines.slice(-40).join("\n"))));
    }
    box.replaceChildren(...parts);
    if (S.charts["c-trial-reports"]) { S.charts["c-trial-reports"].dispose(); delete S.charts["c-trial-reports"]; }
    const reports = (extra && extra.reports) || [];
    chart("c-trial-reports").setOption({
      animation: false, grid: {left: 60, right: 20, top: 20, bottom: 40}, tooltip: {trigger: "axis"},
      xAxis: {type: "value", name: "step", nameLocation: "middle", nameGap: 25, minInterval: 1}, yAxis: {type: "value", scale: true},
      graphic: reports.length ? [] : [{type: "text", left: "center", top: "middle", style: {text: "no reports", fill: "#6b7385"}}],
      series: [{type: "line", data: reports.map((r) => [r[0], Array.isArray(r[1]) ? r[1][0] : r[1]]),
                itemStyle: {color: t.status === "pruned" ? "#d9534f" : "#2f6fde"}}],
    });
  }

  // ---- the space editor ----------------------------------------------------------------
  function diffPre(diff) {
    const pre = el("pre", {class: "diff"});
    for (const line of diff.replace(/\n$/, "").split("\n")) {
      const cls = line.startsWith("@@") ? "hunk" : line.startsWith("+") && !line.startsWith("+++") ? "add"
                : line.startsWith("-") && !line.startsWith("---") ? "del" : "";
      pre.append(el("span", {class: cls}, line + "\n"));
    }
    return pre;
  }

  function flatSites(sites, depth, out) {
    for (const s of sites || []) {
      out.push([s, depth]);
      for (const k of Object.keys(s.children || {}).sort((a, b) => a - b)) flatSites(s.children[k], depth + 1, out);
    }
    return out;
  }

  const range = (s) => {
    if (s.kind === "floatv" || s.kind === "intv") return `[${s.lo}, ${s.hi}]` + (s.scale === "log" ? " log" : "");
    return s.candidates.join(" | ");
  };

  async function showSpace() {
    const box = $("#view-space");
    if (STATIC || !CONFIG.source) {
      box.replaceChildren(el("p", {class: "muted"}, "Start the dashboard with --source PROGRAM to edit the search space."));
      return;
    }
    const [sp, specs] = await Promise.all([api("api/space"), api("api/specs")]);
    if (!sp.ok || !specs.ok) {
      const r = sp.ok ? specs : sp;
      box.replaceChildren(el("p", {class: "error"}, r.body.error, "\n", ...(r.body.diagnostics || []).map((d) => d.text + "\n")));
      return;
    }
    S.space = sp.body; S.specs = specs.body;
    const size = S.space.size == null ? "infinite (floatv sites)" : Number(S.space.size).toLocaleString();
    const rows = flatSites(S.space.sites, 0, []).map(([s, depth]) => {
      const spec = S.specs[s.id] || {spec: "", origin: "rules"};
      const input = el("input", {type: "text", value: spec.spec, "data-site": s.id, spellcheck: "false"});
      const out = el("div", {class: "result"});
      const send = async (preview) => {
        const r = await api(`api/space/${encodeURIComponent(s.id)}${preview ? "?preview=1" : ""}`, {
          method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({spec: input.value})});
        if (!r.ok) {
          out.replaceChildren(el("div", {class: "error"}, r.body.error + "\n" + (r.body.diagnostics || []).map((d) => d.text).join("\n")));
          return;
        }
        out.replaceChildren(r.body.written ? el("div", {class: "okmsg"}, `written to ${r.body.file}; the next \`glovec run --resume --migrate\` searches it`) : "",
                            r.body.diff ? diffPre(r.body.diff) : el("div", {class: "muted"}, "no change"));
        if (r.body.written) setTimeout(showSpace, 1200);
      };
      const editable = spec.origin !== "rules" || spec.rule != null;  // a rule: its values template
      return el("tr", {class: "space-row", "data-site": s.id},
        el("td", {}, "\u00a0\u00a0".repeat(depth) + s.id),
        el("td", {}, s.kind + (s.repeat > 1 ? " x" + s.repeat : "")),
        el("td", {class: "muted"}, range(s)),
        el("td", {class: "muted"}, spec.origin === "rules" ? `rule \u00b7 ${spec.rule || "preset"}` : `${spec.origin} \u00b7 line ${s.line}`),
        el("td", {}, editable ? input : el("span", {class: "muted"}, "from the rules file"), out),
        el("td", {}, editable ? [el("button", {class: "secondary", onclick: () => send(true)}, "Diff"), " ",
                                 el("button", {class: "primary", onclick: () => send(false), ...(CONFIG.readOnly ? {disabled: ""} : {})}, "Apply")] : ""));
    });
    box.replaceChildren(
      el("p", {}, `${CONFIG.source} \u00b7 space size ${size}`, CONFIG.readOnly ? " \u00b7 read-only" : ""),
      el("div", {class: "table-wrap"}, el("table", {id: "space"},
        el("thead", {}, el("tr", {}, ["site", "kind", "candidates / range", "written in", "spec", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows))));
  }

  // ---- navigation ----------------------------------------------------------------------
  function route() {
    const hash = location.hash.replace(/^#/, "") || "trials";
    const [view, arg] = hash.split("/");
    S.view = view === "trial" ? "trial" : (["trials", "charts", "space"].includes(view) ? view : "trials");
    if (S.view !== "trial") S.trialShown = null;
    document.querySelectorAll(".view").forEach((v) => v.classList.toggle("active", v.id === "view-" + S.view));
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === S.view));
    if (S.view === "trial") showTrial(+arg);
    if (S.view === "space") showSpace();
    if (S.view === "charts") { S.chartsDirty = true; setTimeout(() => Object.values(S.charts).forEach((c) => c.resize()), 0); }
    if (S.view === "trials") S.dirty = true;
    schedule();
  }

  function start() {
    if (STATIC || !CONFIG.source) $("#nav-space").style.display = STATIC ? "none" : "";
    $("#f-status").addEventListener("change", () => { S.page = 0; S.dirty = true; schedule(); });
    let typing = null;
    $("#f-text").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { S.page = 0; S.dirty = true; schedule(); }, 150); });
    $("#p-prev").addEventListener("click", () => { S.page = Math.max(0, S.page - 1); S.dirty = true; schedule(); });
    $("#p-next").addEventListener("click", () => { S.page += 1; S.dirty = true; schedule(); });
    window.addEventListener("hashchange", route);
    renderLive();
    if (STATIC) {
      const data = window.GLOVEC_DATA;
      S.reports = data.reports || {};
      S.importance = data.importance || [];
      setDocument(data.study);
      route();
      return;
    }
    loadAll().then(() => { route(); setTimeout(poll, POLL_MS); })
             .catch((e) => { $("#summary").replaceChildren(el("p", {class: "error"}, String(e))); });
  }

  window.glovecDashboard = {state: S, paretoFront, update};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
