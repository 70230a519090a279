/* kansenkaart map: candidates, side panel, filters, popups, legend, watermark.
 * Our own code (EUPL-1.2). Reads the payload written by kansenkaart.render;
 * every text from the data is inserted with textContent, never as HTML.
 * The page makes no network request: an embedded basemap is drawn from tiles
 * inside the page; an external one only when asked for. */
(function () {
  "use strict";

  var OUTCOMES = ["scored", "unknown", "excluded"];
  var OUTCOME_NL = { scored: "Gescoord", unknown: "Onbekend", excluded: "Uitgesloten" };
  var CLASSES = [
    { min: 80, color: "#253494", label: "score 80–100" },
    { min: 60, color: "#2c7fb8", label: "score 60–80" },
    { min: 40, color: "#41b6c4", label: "score 40–60" },
    { min: 20, color: "#a1dab4", label: "score 20–40" },
    { min: -Infinity, color: "#ffffb2", label: "score 0–20" }
  ];
  var UNKNOWN_COLOR = "#c51b7d";
  var EXCLUDED_COLOR = "#a0a0a0";
  var ZONING_COLORS = ["#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6",
    "#ffffcc", "#e5d8bd", "#fddaec", "#f2f2f2"];
  var KNOWN_ZONING = { water: "#a6cee3", verkeer: "#d4d4d4", groen: "#c7e9b4", natuur: "#b2df8a",
    bos: "#9ccc8a", agrarisch: "#eef3c7", wonen: "#fde0c5", tuin: "#d9f0d3" };
  var LIVE_OUTCOMES = ["excluded", "unknown", "scored"];
  var POLYGON_ZOOM = 15;
  var MIN_ZOOM = 6;  /* the Netherlands fills the screen at zoom 7 */
  var CHUNKED_FROM = 5000;
  var PAGE = 300;
  var EMPTY_TILE = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function scoreColor(score) {
    for (var k = 0; k < CLASSES.length; k++) {
      if (score >= CLASSES[k].min) { return CLASSES[k].color; }
    }
    return CLASSES[CLASSES.length - 1].color;
  }

  /* ---- data ------------------------------------------------------------ */

  function decodeCoords(xy) {
    var out = new Float64Array(xy.length);
    var x = 0, y = 0;
    for (var k = 0; k < xy.length; k += 2) {
      x += xy[k]; y += xy[k + 1];
      out[k] = x / 1e6; out[k + 1] = y / 1e6;
    }
    return out;
  }

  function latLngsOf(geom, coords, g) {
    var polys = [];
    for (var p = geom.part[g]; p < geom.part[g + 1]; p++) {
      var rings = [];
      for (var r = geom.poly[p]; r < geom.poly[p + 1]; r++) {
        var ring = [];
        for (var v = geom.ring[r]; v < geom.ring[r + 1]; v++) {
          ring.push([coords[2 * v + 1], coords[2 * v]]);
        }
        rings.push(ring);
      }
      polys.push(rings);
    }
    return polys;
  }

  function decodeCandidates(data) {
    var c = data.candidates, s = data.strings, list = [];
    for (var i = 0; i < c.id.length; i++) {
      list.push({
        i: i, id: c.id[i], outcome: OUTCOMES[c.outcome[i]], score: c.score[i],
        rank: c.rank[i], rankM: c.rank_m[i], muni: s[c.muni[i]],
        mcode: c.mcode ? s[c.mcode[i]] : s[c.muni[i]],
        scoreMax: c.score_max ? c.score_max[i] : null,
        assessed: c.assessed ? s[c.assessed[i]] : "",
        reason: s[c.reason[i]], lat: c.point[2 * i + 1] / 1e6, lon: c.point[2 * i] / 1e6,
        rules: c.rules.map(function (col) { return s[col[i]]; }),
        fields: c.fields.map(function (col) { return s[col[i]]; })
      });
    }
    return list;
  }

  /* ---- styles ---------------------------------------------------------- */

  function pathStyle(cand) {
    if (cand.outcome === "scored") {
      return { color: "#222", weight: 1, fillColor: scoreColor(cand.score), fillOpacity: 0.9 };
    }
    if (cand.outcome === "unknown") {
      return { color: UNKNOWN_COLOR, weight: 2, dashArray: "4 3", fillColor: UNKNOWN_COLOR,
        fillOpacity: 0.3 };
    }
    return { color: "#777", weight: 0.5, fillColor: EXCLUDED_COLOR, fillOpacity: 0.3 };
  }

  function pointStyle(cand) {
    var style = pathStyle(cand);
    style.radius = cand.outcome === "scored" ? (cand.rank <= 10 ? 7 : 5) :
      (cand.outcome === "unknown" ? 4 : 3);
    style.dashArray = null;
    style.weight = cand.outcome === "scored" ? 1 : 1.5;
    return style;
  }

  /* ---- popups ---------------------------------------------------------- */

  function popupHeading(cand) {
    if (cand.outcome === "scored") {
      return "#" + cand.rank + " · " + cand.id;
    }
    return OUTCOME_NL[cand.outcome] + " · " + cand.id;
  }

  function popupRules(cand, meta, live) {
    var table = el("table", "kk-rules");
    var head = el("tr");
    ["Regel", "Resultaat", "Bron"].forEach(function (t) { head.appendChild(el("th", null, t)); });
    table.appendChild(head);
    meta.rules.forEach(function (rule, k) {
      var row = el("tr", "kk-rule-" + rule.kind);
      var name = el("td");
      name.appendChild(el("b", null, rule.id));
      name.appendChild(el("div", "kk-small", rule.title));
      row.appendChild(name);
      row.appendChild(el("td", "kk-result", live ? live(cand, rule, k) : cand.rules[k]));
      row.appendChild(el("td", "kk-small", rule.source));
      table.appendChild(row);
    });
    return table;
  }

  function popupContent(cand, meta, live) {
    var box = el("div", "kk-popup");
    box.appendChild(el("h3", null, popupHeading(cand)));
    var upper = cand.scoreMax !== null && cand.scoreMax > cand.score ?
      " (hoogstens " + cand.scoreMax.toFixed(1) + ")" : "";
    var line = cand.outcome === "scored" ? "Score " + cand.score.toFixed(1) + upper +
      (cand.rankM ? " · nr. " + cand.rankM + " in de gemeente" : "") : OUTCOME_NL[cand.outcome];
    box.appendChild(el("p", "kk-line", line + " · " + cand.muni));
    if (cand.assessed) { box.appendChild(el("p", "kk-assessed", cand.assessed)); }
    box.appendChild(el("p", "kk-reason", live ? live(cand, null) : cand.reason));
    if (meta.fields.length) {
      var dl = el("dl", "kk-fields");
      meta.fields.forEach(function (f, k) {
        dl.appendChild(el("dt", null, f.label));
        dl.appendChild(el("dd", null, cand.fields[k] || "–"));
      });
      box.appendChild(dl);
    }
    box.appendChild(popupRules(cand, meta, live));
    return box;
  }

  /* ---- the app --------------------------------------------------------- */

  function App(map, data) {
    this.map = map;
    this.meta = data.meta;
    this.cands = decodeCandidates(data);
    this.geom = data.candidates.geom;
    this.coords = decodeCoords(this.geom.xy);
    this.visible = this.cands.map(function () { return true; });
    this.order = this.cands.map(function (c) { return c.i; });
    this.titles = {};
    this.meta.rules.forEach(function (r) { this.titles[r.id] = r.title; }, this);
    this.live = null;
    if (data.live && window.KansenkaartLive) {
      this.live = new window.KansenkaartLive.Scorer(data.live,
        this.cands.map(function (c) { return c.id; }),
        this.cands.map(function (c) { return c.mcode; }));
      this.liveIndex = {};
      data.live.rules.forEach(function (r, k) { this.liveIndex[r.id] = k; }, this);
    }
    this.liveChanged = false;
    this.filter = { outcomes: { scored: true, unknown: true, excluded: true }, muni: "" };
    this.shown = PAGE;
    this.points = null;
    this.polys = null;
    this.active = null;
  }

  App.prototype.openPopup = function (cand) {
    L.popup({ maxWidth: 420, maxHeight: 340, autoPanPadding: [20, 20] })
      .setLatLng([cand.lat, cand.lon])
      .setContent(popupContent(cand, this.meta, this.liveChanged ? this.liveText.bind(this) : null))
      .openOn(this.map);
  };

  App.prototype.makeLayer = function (cand, polygon) {
    var self = this;
    var layer = polygon ?
      L.polygon(latLngsOf(this.geom, this.coords, cand.i), pathStyle(cand)) :
      L.circleMarker([cand.lat, cand.lon], pointStyle(cand));
    layer.on("click", function () { self.openPopup(cand); });
    layer.kkOutcome = OUTCOMES.indexOf(cand.outcome);
    return layer;
  };

  App.prototype.buildLayers = function (polygon) {
    var layers = new Array(this.cands.length);
    for (var i = this.cands.length - 1; i >= 0; i--) {
      layers[i] = this.makeLayer(this.cands[i], polygon);
    }
    return {
      all: layers,
      group: polygon || !L.markerClusterGroup ? L.layerGroup() : clusterGroup(layers.length)
    };
  };

  function clusterIcon(cluster) {
    var n = cluster.getChildCount(), best = 2;
    cluster.getAllChildMarkers().forEach(function (m) { best = Math.min(best, m.kkOutcome); });
    var size = n < 100 ? 30 : (n < 1000 ? 36 : 44);
    return L.divIcon({
      html: "<div><span>" + n + "</span></div>",
      className: "marker-cluster kk-cluster kk-cluster-" + OUTCOMES[best],
      iconSize: L.point(size, size)
    });
  }

  function clusterGroup(n) {
    return L.markerClusterGroup({
      /* large maps: clusters are built in slices, the first drawn at once */
      chunkedLoading: n > CHUNKED_FROM, chunkInterval: 150, chunkDelay: 10,
      chunkProgress: function (done, total) {
        if (done === total) { window.__kkAllDrawn = performance.now(); }
      },
      disableClusteringAtZoom: POLYGON_ZOOM, maxClusterRadius: 45, animate: false,
      animateAddingMarkers: false, showCoverageOnHover: false, spiderfyOnMaxZoom: false,
      removeOutsideVisibleBounds: true, iconCreateFunction: clusterIcon
    });
  }

  App.prototype.fillGroup = function (set) {
    set.group.clearLayers();
    /* reverse order: the best ranked candidates are drawn last, on top */
    var add = [];
    for (var j = this.order.length - 1; j >= 0; j--) {
      var i = this.order[j];
      if (this.visible[i]) { add.push(set.all[i]); }
    }
    if (set.group.addLayers) { set.group.addLayers(add); } else {
      add.forEach(function (layer) { set.group.addLayer(layer); });
    }
  };

  App.prototype.updateMode = function () {
    var wantPolys = this.map.getZoom() >= POLYGON_ZOOM;
    if (wantPolys && !this.polys) {
      this.polys = this.buildLayers(true);
      this.fillGroup(this.polys);
    }
    var next = wantPolys ? this.polys : this.points;
    if (next === this.active) { return; }
    if (this.active) { this.map.removeLayer(this.active.group); }
    this.active = next;
    /* on the map first: markercluster adds to a detached group in O(n²) */
    next.group.addTo(this.map);
    if (next === this.points && this.clustersStale) {
      this.clustersStale = false;
      this.fillGroup(this.points);
    }
  };

  App.prototype.applyFilter = function () {
    var f = this.filter;
    this.visible = this.cands.map(function (c) {
      return f.outcomes[c.outcome] && (!f.muni || c.muni === f.muni);
    });
    if (this.active === this.points) { this.fillGroup(this.points); } else { this.clustersStale = true; }
    if (this.polys) { this.fillGroup(this.polys); }
    this.shown = PAGE;
    this.renderList();
  };

  App.prototype.focus = function (cand) {
    var zoom = Math.max(this.map.getZoom(), POLYGON_ZOOM + 2);
    this.map.setView([cand.lat, cand.lon], Math.min(zoom, 19));
    this.openPopup(cand);
  };

  /* ---- panel ----------------------------------------------------------- */

  App.prototype.renderTitle = function (panel) {
    var m = this.meta, head = el("header", "kk-title");
    head.appendChild(el("h1", null, m.title));
    var scan = [m.scan.name, m.scan.unit, m.scan.regime].filter(Boolean).join(" · ");
    head.appendChild(el("div", "kk-sub", scan));
    head.appendChild(el("div", "kk-sub", "Gemaakt " + (m.created || "?").slice(0, 16).replace("T", " ") +
      " · regelset " + (m.scan.version || "?") + " · kansenkaart " + (m.package_version || "?")));
    if (m.attribution.length) {
      head.appendChild(el("div", "kk-sub kk-attribution", "Bronnen: " + m.attribution.join(" · ")));
    }
    (m.plans || []).forEach(function (p) {
      head.appendChild(el("div", "kk-sub kk-plan", "Plan " + p.plan_id + ": " + (p.plan_status || "status onbekend") +
        ", " + (p.plan_date || "datum onbekend") + (p.note_nl ? " — let op: " + p.note_nl : "")));
    });
    if (m.recipient) {
      head.appendChild(el("div", "kk-confidential", "Vertrouwelijk — alleen voor " + m.recipient));
    }
    panel.appendChild(head);
  };

  App.prototype.countBy = function (outcome) {
    return this.cands.filter(function (c) { return c.outcome === outcome; }).length;
  };

  App.prototype.renderFilters = function (panel) {
    var self = this, box = el("section", "kk-filters");
    OUTCOMES.forEach(function (o) {
      var label = el("label", "kk-check kk-" + o), input = el("input");
      input.type = "checkbox"; input.checked = true; input.value = o; input.id = "kk-filter-" + o;
      input.addEventListener("change", function () {
        self.filter.outcomes[o] = input.checked; self.applyFilter();
      });
      label.appendChild(input);
      label.appendChild(el("span", "kk-swatch kk-swatch-" + o));
      var count = document.createTextNode(OUTCOME_NL[o] + " (" + self.countBy(o) + ")");
      self.countNodes = self.countNodes || {};
      self.countNodes[o] = count;
      label.appendChild(count);
      box.appendChild(label);
    });
    box.appendChild(this.muniSelect());
    panel.appendChild(box);
  };

  App.prototype.muniSelect = function () {
    var self = this, select = el("select");
    select.id = "kk-filter-muni";
    select.setAttribute("aria-label", "Gemeente");
    var all = el("option", null, "Alle gemeenten"); all.value = ""; select.appendChild(all);
    var names = Array.from(new Set(this.cands.map(function (c) { return c.muni; }))).sort();
    names.forEach(function (n) { var o = el("option", null, n); o.value = n; select.appendChild(o); });
    select.addEventListener("change", function () { self.filter.muni = select.value; self.applyFilter(); });
    return select;
  };

  App.prototype.listRow = function (cand) {
    var self = this, li = el("li", "kk-row kk-row-" + cand.outcome);
    li.tabIndex = 0;
    li.dataset.id = cand.id;
    li.appendChild(el("span", "kk-rank", cand.outcome === "scored" ? cand.rank : "–"));
    li.appendChild(el("span", "kk-score", cand.outcome === "scored" ? cand.score.toFixed(1) :
      OUTCOME_NL[cand.outcome].toLowerCase()));
    li.appendChild(el("span", "kk-id", cand.id));
    li.appendChild(el("span", "kk-muni", cand.muni));
    var go = function () { self.focus(cand); };
    li.addEventListener("click", go);
    li.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
    return li;
  };

  App.prototype.renderList = function () {
    var list = this.listEl, count = 0, total = 0;
    list.textContent = "";
    var frag = document.createDocumentFragment();
    for (var j = 0; j < this.order.length; j++) {
      var i = this.order[j];
      if (!this.visible[i]) { continue; }
      total++;
      if (count < this.shown) { frag.appendChild(this.listRow(this.cands[i])); count++; }
    }
    list.appendChild(frag);
    this.listHead.textContent = "Ranglijst · " + total + " kandidaten" +
      (total > count ? " (eerste " + count + " getoond)" : "");
    this.moreBtn.hidden = total <= count;
  };

  App.prototype.renderSources = function (panel) {
    var m = this.meta, foot = el("footer", "kk-sources");
    var rules = el("details"), sum = el("summary", null, "Regels (" + m.rules.length + ")");
    rules.appendChild(sum);
    m.rules.forEach(function (r) {
      rules.appendChild(el("div", "kk-small", r.id + " (" + r.kind + ") — " + r.title +
        (r.source ? " — " + r.source : "")));
    });
    if (m.skipped_rules.length) {
      rules.appendChild(el("div", "kk-small", "Niet toegepast: " + m.skipped_rules.join(", ")));
    }
    foot.appendChild(rules);
    foot.appendChild(el("div", "kk-small", "Invoerbestanden: " + m.inputs.map(function (i) {
      return i.name + (i.kind ? " (" + i.kind + ")" : "");
    }).join(" · ")));
    panel.appendChild(foot);
  };

  App.prototype.renderPanel = function (data) {
    var self = this, panel = document.getElementById("kk-panel");
    this.renderTitle(panel);
    this.renderSearch(panel);
    this.renderFilters(panel);
    if (this.live) { this.renderLive(panel); }
    this.listHead = el("div", "kk-listhead");
    this.listEl = el("ol", "kk-list");
    this.listEl.id = "kk-list";
    this.moreBtn = el("button", "kk-more", "Meer tonen");
    this.moreBtn.type = "button";
    this.moreBtn.addEventListener("click", function () { self.shown += PAGE; self.renderList(); });
    panel.appendChild(this.listHead);
    panel.appendChild(this.listEl);
    panel.appendChild(this.moreBtn);
    this.renderCharts(panel, data.charts || []);
    this.renderSources(panel);
    this.renderList();
  };

  /* ---- search and areas ------------------------------------------------ */

  App.prototype.matches = function (query, max) {
    var q = query.trim().toLowerCase(), out = [];
    if (!q) { return out; }
    for (var j = 0; j < this.order.length && out.length < max; j++) {
      var c = this.cands[this.order[j]];
      var hay = (c.id + " " + c.fields.join(" ")).toLowerCase();
      if (hay.indexOf(q) >= 0) { out.push(c); }
    }
    return out;
  };

  App.prototype.renderSearch = function (panel) {
    var self = this, box = el("section", "kk-search");
    var input = el("input");
    input.id = "kk-search"; input.type = "search";
    input.placeholder = "Zoek adres of kandidaat-id";
    input.setAttribute("aria-label", "Zoek adres of kandidaat-id");
    var hits = el("ul", "kk-hits"); hits.id = "kk-search-hits";
    function show() {
      hits.textContent = "";
      self.matches(input.value, 8).forEach(function (c) {
        var li = el("li", null, c.id + " · " + c.muni);
        li.addEventListener("click", function () { self.focus(c); });
        hits.appendChild(li);
      });
    }
    input.addEventListener("input", show);
    input.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter") { return; }
      var first = self.matches(input.value, 1)[0];
      if (first) { self.focus(first); }
    });
    box.appendChild(input);
    box.appendChild(hits);
    box.appendChild(this.areaSelect());
    panel.appendChild(box);
  };

  App.prototype.areas = function () {
    var seen = {}, out = [];
    this.order.forEach(function (i) {
      var c = this.cands[i];
      if (!(c.muni in seen)) { seen[c.muni] = true; out.push(c.muni); }
    }, this);
    return out;
  };

  App.prototype.areaSelect = function () {
    var self = this, select = el("select");
    select.id = "kk-area";
    select.setAttribute("aria-label", "Gebied in beeld");
    var names = this.areas().slice().sort();
    var all = el("option", null, "Alle gebieden in beeld"); all.value = ""; select.appendChild(all);
    names.forEach(function (n) { var o = el("option", null, "Gebied: " + n); o.value = n; select.appendChild(o); });
    select.hidden = names.length < 2;
    select.addEventListener("change", function () { self.fitArea(select.value); });
    this.areaEl = select;
    return select;
  };

  App.prototype.fitArea = function (muni) {
    var inArea = this.cands.filter(function (c) { return !muni || c.muni === muni; });
    var scored = inArea.filter(function (c) { return c.outcome === "scored"; });
    var pick = scored.length ? scored : inArea;
    if (!pick.length) { return; }
    var bounds = L.latLngBounds([]);
    pick.forEach(function (c) { bounds.extend([c.lat, c.lon]); });
    this.map.fitBounds(bounds, { padding: [30, 30], maxZoom: 17, animate: false });
  };

  /* ---- live weights ------------------------------------------------------ */

  App.prototype.liveText = function (cand, rule) {
    var s = this.live;
    if (!rule) { return s.reason(cand.i, this.titles); }
    var k = this.liveIndex[rule.id], text = cand.rules[this.meta.rules.indexOf(rule)];
    if (k === undefined || /^(n\.v\.t\.|overgeslagen)/.test(text || "")) { return text; }
    return s.resultText(cand.i, k);
  };

  App.prototype.applyLive = function () {
    var t0 = performance.now(), s = this.live;
    s.compute();
    this.liveChanged = s.changed();
    var unknown = [], excluded = [];
    for (var j = 0; j < s.n; j++) {
      var i = s.byId[j], c = this.cands[i];
      c.outcome = LIVE_OUTCOMES[s.outcome[i]];
      c.score = c.outcome === "scored" ? s.score[i] : null;
      c.rank = s.rank[i] || null;
      c.rankM = s.rankM[i] || null;
      if (c.outcome === "unknown") { unknown.push(i); }
      if (c.outcome === "excluded") { excluded.push(i); }
    }
    this.order = s.ranked.concat(unknown, excluded);
    var moved = this.restyle();
    this.refreshAfterLive(moved);
    window.__kkLastRerankMs = performance.now() - t0;
    return window.__kkLastRerankMs;
  };

  function styleKey(cand) {
    if (cand.outcome !== "scored") { return cand.outcome; }
    return scoreColor(cand.score) + (cand.rank <= 10 ? "+" : "");
  }

  /* Restyle the candidates whose look changed; return the point layers whose
   * outcome changed (their clusters need a new colour). */
  App.prototype.restyle = function () {
    var moved = [];
    this.keys = this.keys || this.cands.map(styleKey);
    for (var i = 0; i < this.cands.length; i++) {
      var cand = this.cands[i], key = styleKey(cand);
      if (key === this.keys[i]) { continue; }
      this.keys[i] = key;
      var point = this.points.all[i], outcome = OUTCOMES.indexOf(cand.outcome);
      if (point.kkOutcome !== outcome) { moved.push(point); }
      point.kkOutcome = outcome;
      point.setStyle(pointStyle(cand));
      if (this.polys) { this.polys.all[i].setStyle(pathStyle(cand)); }
    }
    return moved;
  };

  App.prototype.refreshAfterLive = function (moved) {
    var f = this.filter, all = f.outcomes.scored && f.outcomes.unknown && f.outcomes.excluded;
    if (!all) {
      this.applyFilter();
    } else {
      this.refreshClusters(moved);
      this.renderList();
    }
    OUTCOMES.forEach(function (o) {
      if (this.countNodes) { this.countNodes[o].textContent = OUTCOME_NL[o] + " (" + this.countBy(o) + ")"; }
    }, this);
    this.liveStatus.textContent = this.liveChanged ?
      "Sessiegewichten: scores, uitkomsten en rangen zijn herberekend." :
      "Gewichten van het scanbestand.";
    this.map.closePopup();
  };

  App.prototype.refreshClusters = function (moved) {
    var group = this.points.group;
    if (!group.refreshClusters || !moved.length) { return; }
    if (group._map) { group.refreshClusters(moved); } else { this.clustersStale = true; }
  };

  App.prototype.schedule = function () {
    var self = this;
    if (this.pending) { return; }
    this.pending = true;
    requestAnimationFrame(function () { self.pending = false; self.applyLive(); });
  };

  App.prototype.weightRow = function (rule, k, step, max) {
    var self = this, s = this.live, row = el("div", "kk-live-row");
    var label = el("label", null, rule.id + " — " + (this.titles[rule.id] || ""));
    var input = el("input"), out = el("output", "kk-weight");
    input.id = "kk-w-" + rule.id;
    input.type = "range"; input.min = "0"; input.max = String(max); input.step = String(step);
    input.dataset.rule = rule.id;
    label.htmlFor = input.id;
    function sync() { input.value = String(s.weights[k]); out.textContent = s.on[k] ? String(s.weights[k]) : "uit"; }
    input.addEventListener("input", function () {
      var w = parseFloat(String(Math.round(Math.round(parseFloat(input.value) / step) * step * 1e6) / 1e6));
      s.weights[k] = w; s.on[k] = w > 0;
      out.textContent = s.on[k] ? String(w) : "uit";
      self.schedule();
    });
    row.appendChild(label); row.appendChild(input); row.appendChild(out);
    this.syncers.push(sync);
    sync();
    return row;
  };

  App.prototype.switchRow = function (rule, k) {
    var self = this, s = this.live, row = el("label", "kk-check kk-live-switch");
    var input = el("input");
    input.type = "checkbox"; input.id = "kk-on-" + rule.id; input.dataset.rule = rule.id;
    input.addEventListener("change", function () { s.on[k] = input.checked; self.schedule(); });
    this.syncers.push(function () { input.checked = s.on[k]; });
    input.checked = true;
    row.appendChild(input);
    row.appendChild(document.createTextNode((rule.kind === "veto" ? "Uitsluiting " : "Signaal ") +
      rule.id + " — " + (this.titles[rule.id] || "")));
    return row;
  };

  App.prototype.renderLive = function (panel) {
    var self = this, s = this.live, box = el("details", "kk-live");
    box.open = true;
    box.appendChild(el("summary", null, "Gewichten (live)"));
    var weights = s.rules.map(function (r) { return r.weight; }).filter(function (w) { return w > 0; });
    var halves = weights.every(function (w) { return Math.abs(w * 2 - Math.round(w * 2)) < 1e-9; });
    var step = halves ? 0.5 : 0.01;
    var max = Math.max(halves ? 50 : 1, 2 * Math.max.apply(null, weights.concat([0])));
    this.syncers = [];
    s.rules.forEach(function (rule, k) {
      box.appendChild(rule.kind === "score" ? self.weightRow(rule, k, step, max) : self.switchRow(rule, k));
    });
    var reset = el("button", "kk-reset", "Terug naar het scanbestand");
    reset.type = "button"; reset.id = "kk-reset";
    reset.addEventListener("click", function () {
      s.reset(); self.syncers.forEach(function (f) { f(); }); self.applyLive();
    });
    box.appendChild(reset);
    box.appendChild(this.exportLink());
    this.liveStatus = el("div", "kk-small kk-live-status", "Gewichten van het scanbestand.");
    box.appendChild(this.liveStatus);
    panel.appendChild(box);
  };

  App.prototype.exportText = function () {
    var text = this.liveData.scan_text;
    if (!text) { return null; }
    return this.live.exportToml(text, new Date().toISOString().slice(0, 16).replace("T", " "));
  };

  App.prototype.exportLink = function () {
    var self = this, link = el("a", "kk-export", "Exporteer gewichten als scanbestand (TOML)");
    link.id = "kk-export";
    link.href = "#";
    link.download = (this.meta.scan.name || "scan") + "-sessie.toml";
    if (!this.liveData.scan_text) {
      link.removeAttribute("href");
      link.textContent = "Exporteren kan niet: het scanbestand zit niet in dit resultaat.";
      return link;
    }
    link.addEventListener("click", function () {
      link.href = "data:application/toml;charset=utf-8," + encodeURIComponent(self.exportText());
    });
    return link;
  };

  /* ---- charts ---------------------------------------------------------- */

  App.prototype.renderCharts = function (panel, charts) {
    if (!charts.length) { return; }
    var box = el("details", "kk-charts");
    box.appendChild(el("summary", null, "Grafieken (gewichten van het scanbestand)"));
    charts.forEach(function (chart) {
      var fig = el("figure", "kk-chart"), img = el("img");
      img.alt = chart.title;
      img.src = "data:image/svg+xml;base64," + chart.svg;
      fig.appendChild(img);
      fig.appendChild(el("figcaption", "kk-small", chart.title));
      box.appendChild(fig);
    });
    panel.appendChild(box);
  };

  /* ---- basemap ----------------------------------------------------------- */

  function embeddedBasemap(basemap) {
    var tiles = basemap.tiles, mime = "data:image/" + basemap.format + ";base64,";
    var Layer = L.TileLayer.extend({
      getTileUrl: function (c) {
        var t = tiles[c.z + "/" + c.x + "/" + c.y];
        return t ? mime + t : EMPTY_TILE;
      }
    });
    var layer = new Layer("", {
      minZoom: 0, maxZoom: 20, minNativeZoom: basemap.minzoom, maxNativeZoom: basemap.maxzoom,
      attribution: basemap.attribution || "", pane: "tilePane", className: "kk-basemap"
    });
    layer.kkTileCount = Object.keys(tiles).length;
    return layer;
  }

  /* ---- legend, context, watermark --------------------------------------- */

  function legendRow(box, color, label, cls) {
    var row = el("div", "kk-legend-row");
    var sw = el("span", "kk-swatch " + (cls || ""));
    if (color) { sw.style.background = color; }
    row.appendChild(sw);
    row.appendChild(document.createTextNode(label));
    box.appendChild(row);
  }

  App.prototype.addLegend = function (zoning) {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = el("div", "kk-legend leaflet-bar");
      box.appendChild(el("b", null, "Legenda"));
      CLASSES.forEach(function (c) { legendRow(box, c.color, c.label); });
      legendRow(box, null, "onbekend (gegevens ontbreken)", "kk-swatch-unknown");
      legendRow(box, null, "uitgesloten", "kk-swatch-excluded");
      zoning.forEach(function (z) { legendRow(box, z.color, "bestemming: " + z.name); });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(this.map);
  };

  App.prototype.addContext = function (context) {
    var renderer = L.canvas({ pane: "kk-context" }), overlays = {}, zoning = [];
    this.map.createPane("kk-context").style.zIndex = 350;
    var colorOf = {};
    var styles = {
      boundary: function () { return { color: "#444", weight: 2, dashArray: "6 4", fill: false }; },
      zoning: function (f) {
        var g = f.properties.main_group || "overig";
        if (!(g in colorOf)) {
          colorOf[g] = KNOWN_ZONING[String(g).toLowerCase()] ||
            ZONING_COLORS[zoning.length % ZONING_COLORS.length];
          zoning.push({ name: g, color: colorOf[g] });
        }
        return { stroke: false, fillColor: colorOf[g], fillOpacity: 0.5 };
      },
      buildings: function () { return { color: "#999", weight: 0.5, fillColor: "#ddd", fillOpacity: 0.6 }; }
    };
    var names = { zoning: "Bestemmingen (hoofdgroep)", buildings: "Gebouwen", boundary: "Gemeentegrens" };
    ["zoning", "buildings", "boundary"].forEach(function (key) {
      if (!context[key]) { return; }
      overlays[names[key]] = L.geoJSON(context[key], {
        renderer: renderer, interactive: false, style: styles[key]
      }).addTo(this.map);
    }, this);
    return { overlays: overlays, zoning: zoning };
  };

  function renderWatermark(text) {
    var box = document.getElementById("kk-watermark");
    if (!text) { box.remove(); return; }
    var inner = el("div", "kk-watermark-inner");
    for (var k = 0; k < 120; k++) { inner.appendChild(el("span", null, text)); }
    box.appendChild(inner);
  }

  App.prototype.fitStart = function () {
    if (!this.cands.length) { return; }
    var areas = this.areas();
    if (areas.length > 1) {
      this.areaEl.value = areas[0];  /* the area of the best ranked candidate */
      this.fitArea(areas[0]);
      return;
    }
    this.fitArea("");
  };

  App.prototype.start = function (data) {
    var self = this;
    renderWatermark(this.meta.recipient);
    if (!this.map.options.maxZoom) { this.map.setMaxZoom(20); }  /* clusters need one */
    this.map.setMinZoom(MIN_ZOOM);  /* fewer cluster levels to build */
    if (data.basemap) {
      this.basemap = embeddedBasemap(data.basemap).addTo(this.map);
    }
    var ctx = this.addContext(data.context || {});
    var overlays = ctx.overlays;
    if (this.basemap) { overlays["Achtergrondkaart (ingebed)"] = this.basemap; }
    this.map.eachLayer(function (layer) {
      if (layer instanceof L.TileLayer && layer !== self.basemap) {
        overlays["Achtergrondkaart (extern)"] = layer;
      }
    });
    if (Object.keys(overlays).length) {
      L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(this.map);
    }
    this.addLegend(ctx.zoning);
    this.liveData = data.live || {};
    this.renderPanel(data);
    this.fitStart();
    this.points = this.buildLayers(false);
    this.clustersStale = true;  /* filled when first shown */
    this.updateMode();
    this.map.on("zoomend", function () { self.updateMode(); });
    if (this.cands.length <= CHUNKED_FROM) { window.__kkAllDrawn = performance.now(); }
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { window.__kkFirstDraw = performance.now(); });
    });
  };

  App.prototype.countDrawn = function () {
    return this.active ? this.active.group.getLayers().length : 0;
  };

  App.prototype.countVisible = function () {
    return this.visible.filter(Boolean).length;
  };

  window.kansenkaartInit = function (map, data) {
    var app = new App(map, data);
    app.start(data);
    /* A small read-only handle for the test suite and the benchmark. */
    window.kansenkaart = {
      countDrawn: function () { return app.countDrawn(); },
      mode: function () { return app.active === app.polys ? "polygons" : "points"; },
      total: function () { return app.cands.length; },
      live: function () { return !!app.live; },
      setWeight: function (id, w) {
        var k = app.liveIndex[id]; app.live.weights[k] = w; app.live.on[k] = w > 0;
        app.syncers.forEach(function (f) { f(); });
        return app.applyLive();
      },
      ranking: function () {
        return app.cands.map(function (c) {
          return { id: c.id, outcome: c.outcome, score: c.score, rank: c.rank, rank_m: c.rankM };
        });
      },
      exportToml: function () { return app.exportText(); },
      clusters: function () { return document.querySelectorAll(".marker-cluster").length; },
      basemapTiles: function () {
        return Array.from(document.querySelectorAll(".kk-basemap img.leaflet-tile-loaded"))
          .filter(function (img) { return img.src.indexOf("data:image/gif") !== 0; }).length;
      },
      focus: function (id) {
        var cand = app.cands.filter(function (c) { return c.id === id; })[0];
        if (cand) { app.focus(cand); }
      }
    };
  };
})();
