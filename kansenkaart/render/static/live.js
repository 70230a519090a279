/* kansenkaart live weights: recompute outcomes, scores and ranks in the browser.
 * Our own code (EUPL-1.2). Mirrors kansenkaart/scoring/score.py exactly:
 *  - excluded: a switched-on veto holds; unknown: not excluded and a switched-on
 *    veto with on_unknown "unknown" is undecided; scored: the rest (undecided
 *    score rules count 0: the score is the lower end of its interval);
 *  - points of a score rule = value * (100 * weight / sum of the weights of the
 *    switched-on score rules, decided or not), summed in rule order with Kahan
 *    summation (as pandas does), rounded to 6 decimals (half to even), clipped;
 *  - ranks: highest score first, then the larger share of the weight decided,
 *    then candidate id; again per municipality code.
 * And exports the scan file with the chosen weights as TOML (no network). */
(function () {
  "use strict";

  var EXCLUDED = 0, UNKNOWN = 1, SCORED = 2;

  function rint(y) {
    var r = Math.round(y);
    if (r - y === 0.5 && r % 2 !== 0) { r -= 1; }
    return r;
  }

  function fmt1(x) { return (Math.round(x * 10) / 10).toFixed(1).replace(".", ","); }

  function idOrder(ids) {
    var order = ids.map(function (_, i) { return i; });
    order.sort(function (a, b) { return ids[a] < ids[b] ? -1 : (ids[a] > ids[b] ? 1 : 0); });
    return order;
  }

  function Scorer(live, ids, mcodes) {
    var n = ids.length;
    this.n = n;
    this.ids = ids;
    this.mcodes = mcodes;
    this.rules = live.rules;
    this.cols = live.values.map(function (v) {
      var arr = new Float64Array(n);
      for (var i = 0; i < n; i++) { arr[i] = v.c[i] < 0 ? NaN : v.u[v.c[i]]; }
      return arr;
    });
    this.byId = idOrder(ids);
    this.reset();
    this.outcome = new Uint8Array(n);
    this.score = new Float64Array(n);
    this.assessed = new Float64Array(n);
    this.rank = new Int32Array(n);
    this.rankM = new Int32Array(n);
  }

  Scorer.prototype.reset = function () {
    this.weights = this.rules.map(function (r) { return r.weight; });
    this.on = this.rules.map(function () { return true; });
  };

  Scorer.prototype.changed = function () {
    for (var k = 0; k < this.rules.length; k++) {
      if (!this.on[k] || this.weights[k] !== this.rules[k].weight) { return true; }
    }
    return false;
  };

  Scorer.prototype.active = function (kind) {
    var out = [];
    for (var k = 0; k < this.rules.length; k++) {
      if (this.on[k] && this.rules[k].kind === kind) { out.push(k); }
    }
    return out;
  };

  Scorer.prototype.shares = function (scores) {
    var total = 0, k;
    for (k = 0; k < scores.length; k++) { total += this.weights[scores[k]]; }
    var out = new Float64Array(scores.length);
    for (k = 0; k < scores.length; k++) {
      out[k] = total > 0 ? 100.0 * this.weights[scores[k]] / total : 0.0;
    }
    return out;
  };

  Scorer.prototype.outcomeOf = function (i, vetoes, scores) {
    var k, v, undecided = false;
    for (k = 0; k < vetoes.length; k++) {
      v = this.cols[vetoes[k]][i];
      if (v === 1) { return EXCLUDED; }
      if (v !== v && this.rules[vetoes[k]].on_unknown !== "flag") { undecided = true; }
    }
    return undecided ? UNKNOWN : SCORED;
  };

  Scorer.prototype.sumOf = function (i, scores, shares) {
    var s = 0.0, c = 0.0;
    for (var k = 0; k < scores.length; k++) {
      var v = this.cols[scores[k]][i];
      if (v !== v) { continue; }
      var y = v * shares[k] - c, t = s + y, nc = (t - s) - y;
      if (nc !== nc) { nc = 0.0; }
      s = t; c = nc;
    }
    var r = rint(s * 1e6) / 1e6;
    return Math.min(Math.max(r, 0), 100);
  };

  Scorer.prototype.assessedOf = function (i, scores) {
    var total = 0, decided = 0, k;
    for (k = 0; k < scores.length; k++) { total += this.weights[scores[k]]; }
    for (k = 0; k < scores.length; k++) {
      var v = this.cols[scores[k]][i];
      decided += v !== v ? 0.0 : this.weights[scores[k]];
    }
    return total > 0 ? rint((decided / total) * 1e6) / 1e6 : 1.0;
  };

  Scorer.prototype.compute = function () {
    var vetoes = this.active("veto"), scores = this.active("score");
    var shares = this.shares(scores);
    this.sharesNow = { rules: scores, shares: shares };
    for (var i = 0; i < this.n; i++) {
      var o = this.outcomeOf(i, vetoes, scores);
      this.outcome[i] = o;
      this.score[i] = o === SCORED ? this.sumOf(i, scores, shares) : NaN;
      this.assessed[i] = this.assessedOf(i, scores);
    }
    this.rankAll();
  };

  Scorer.prototype.rankAll = function () {
    var self = this, list = [];
    for (var j = 0; j < this.n; j++) {
      var i = this.byId[j];
      this.rank[i] = 0; this.rankM[i] = 0;
      if (this.outcome[i] === SCORED) { list.push(i); }
    }
    list.sort(function (a, b) {
      return (self.score[b] - self.score[a]) || (self.assessed[b] - self.assessed[a]);
    });
    var perMuni = {};
    for (var r = 0; r < list.length; r++) {
      var c = list[r], m = this.mcodes[c];
      this.rank[c] = r + 1;
      perMuni[m] = (perMuni[m] || 0) + 1;
      this.rankM[c] = perMuni[m];
    }
    this.ranked = list;
  };

  /* ---- Dutch texts (as kansenkaart.scoring.explain writes them) ---------- */

  Scorer.prototype.pointsOf = function (i, k) {
    var pos = this.sharesNow.rules.indexOf(k);
    var v = this.cols[k][i];
    return pos < 0 || v !== v ? NaN : v * this.sharesNow.shares[pos];
  };

  Scorer.prototype.resultText = function (i, k) {
    var rule = this.rules[k], v = this.cols[k][i];
    if (!this.on[k]) { return "uitgeschakeld in deze sessie"; }
    if (v !== v) { return "niet beoordeeld: gegevens ontbreken"; }
    if (rule.kind === "score") {
      var pos = this.sharesNow.rules.indexOf(k);
      return "+" + fmt1(this.pointsOf(i, k)) + " van " + fmt1(this.sharesNow.shares[pos]) +
        " punten";
    }
    if (rule.kind === "veto") { return v === 1 ? "ja – uitgesloten" : "nee – geen belemmering"; }
    return v === 1 ? "ja" : "nee";
  };

  Scorer.prototype.named = function (ks, titles) {
    var self = this;
    return ks.map(function (k) { return titles[self.rules[k].id]; })
      .join("; ");
  };

  Scorer.prototype.bestWorst = function (i, titles) {
    var scores = this.sharesNow.rules, shares = this.sharesNow.shares;
    if (!scores.length) { return ""; }
    var best = 0, worst = 0, hi = -1, lo = 2;
    for (var p = 0; p < scores.length; p++) {
      var f = this.cols[scores[p]][i];
      if (f > hi) { hi = f; best = p; }
      if (f < lo) { lo = f; worst = p; }
    }
    var text = "sterkste punt: " + titles[this.rules[scores[best]].id] + " (+" +
      fmt1(this.cols[scores[best]][i] * shares[best]) + ")";
    return lo < 1 ? text + ", zwakste: " + titles[this.rules[scores[worst]].id] : text;
  };

  Scorer.prototype.reason = function (i, titles) {
    var self = this, flags = "";
    this.active("flag").forEach(function (k) {
      if (self.cols[k][i] === 1) { flags += " Let op: " + titles[self.rules[k].id] + "."; }
    });
    if (this.outcome[i] === EXCLUDED) {
      var hits = this.active("veto").filter(function (k) { return self.cols[k][i] === 1; });
      return "Uitgesloten: " + this.named(hits, titles) + "." + flags;
    }
    if (this.outcome[i] === UNKNOWN) {
      var open = this.active("veto").concat(this.active("score")).filter(function (k) { return self.cols[k][i] !== self.cols[k][i]; });
      return "Onbekend: niet beoordeeld (gegevens ontbreken): " + this.named(open, titles) +
        "." + flags;
    }
    return "Score " + fmt1(this.score[i]) + " van 100 (rang " + this.rank[i] + "); " +
      this.bestWorst(i, titles) + "." + flags;
  };

  /* ---- the scan file with the session's weights --------------------------- */

  function ruleBlocks(lines) {
    var blocks = [], k, start = -1;
    var isRule = /^\s*\[\[\s*rule\s*\]\]\s*(#.*)?$/, isTable = /^\s*\[/, isSub = /^\s*\[+\s*rule\./;
    function close(end) {
      while (end > start + 1 && /^\s*(#.*)?$/.test(lines[end - 1])) { end--; }
      blocks.push({ start: start, end: end });
    }
    for (k = 0; k < lines.length; k++) {
      if (isRule.test(lines[k])) {
        if (start >= 0) { close(k); }
        start = k;
      } else if (start >= 0 && isTable.test(lines[k]) && !isSub.test(lines[k])) {
        close(k); start = -1;
      }
    }
    if (start >= 0) { close(lines.length); }
    blocks.forEach(function (b) {
      for (var j = b.start; j < b.end; j++) {
        var m = /^\s*id\s*=\s*["']([^"']*)["']/.exec(lines[j]);
        if (m) { b.id = m[1]; }
      }
    });
    return blocks;
  }

  function numberText(x) {
    return String(Math.round(x * 1e6) / 1e6);
  }

  Scorer.prototype.exportToml = function (text, when) {
    var self = this, lines = text.split(/\r?\n/);
    var byId = {};
    this.rules.forEach(function (r, k) { byId[r.id] = k; });
    var notes = [];
    ruleBlocks(lines).forEach(function (b) {
      var k = byId[b.id];
      if (k === undefined) { return; }
      var rule = self.rules[k];
      if (!self.on[k]) {
        for (var j = b.start; j < b.end; j++) { lines[j] = "# " + lines[j]; }
        lines[b.start] = "# [uitgeschakeld in de sessie]\n" + lines[b.start];
        notes.push(rule.id + " uitgeschakeld");
        return;
      }
      if (rule.kind !== "score" || self.weights[k] === rule.weight) { return; }
      for (var w = b.start; w < b.end; w++) {
        var m = /^(\s*weight\s*=\s*)([^#]*?)(\s*(#.*)?)$/.exec(lines[w]);
        if (m) {
          lines[w] = m[1] + numberText(self.weights[k]) + "  # sessie; was " + m[2].trim();
        }
      }
      notes.push(rule.id + " gewicht " + numberText(rule.weight) + " -> " +
        numberText(self.weights[k]));
    });
    var head = ["# Aangepast in een kansenkaart-sessie (" + when + "): " +
      (notes.length ? notes.join(", ") : "geen wijzigingen") + ".",
      "# Draai opnieuw met: kansenkaart scan --scan <dit bestand> ..."];
    return head.concat(lines).join("\n");
  };

  window.KansenkaartLive = { Scorer: Scorer, EXCLUDED: EXCLUDED, UNKNOWN: UNKNOWN, SCORED: SCORED };
})();
