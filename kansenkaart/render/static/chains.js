/* kansenkaart chain map: site chains of a match, a list of moves, watermark.
 * Our own code (EUPL-1.2). Every text from the data is inserted with
 * textContent, never as HTML. The page makes no network request. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function watermark(text) {
    var box = document.getElementById("kk-watermark");
    if (!text) { box.remove(); return; }
    var inner = el("div", "kk-watermark-inner");
    for (var k = 0; k < 120; k++) { inner.appendChild(el("span", null, text)); }
    box.appendChild(inner);
  }

  var COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                 "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

  function panel(data, lines) {
    var box = document.getElementById("kk-panel");
    var head = el("div", "kk-title");
    head.appendChild(el("h1", null, data.meta.title));
    head.appendChild(el("div", "kk-sub", data.meta.subtitle));
    if (data.meta.attribution && data.meta.attribution.length) {
      head.appendChild(el("div", "kk-sub kk-attribution", "Bronnen: " + data.meta.attribution.join(" · ")));
    }
    if (data.meta.recipient) {
      head.appendChild(el("div", "kk-confidential", "Vertrouwelijk: " + data.meta.recipient));
    }
    box.appendChild(head);
    box.appendChild(el("div", "kk-listhead", data.moves.length + " verplaatsingen"));
    var list = el("ol", "kk-list");
    list.id = "kk-list";
    data.moves.forEach(function (move, k) {
      var row = el("li", "kk-row kk-move");
      row.setAttribute("data-batch", move.batch);
      row.tabIndex = 0;
      row.appendChild(el("span", "kk-id", move.text));
      row.addEventListener("click", function () {
        lines[k].openPopup();
        lines[k].setStyle({ weight: 6 });
      });
      list.appendChild(row);
    });
    box.appendChild(list);
  }

  window.kansenkaartChains = function (map, data) {
    watermark(data.meta.recipient);
    var bounds = L.latLngBounds([]);
    var batches = {};
    var lines = data.moves.map(function (move) {
      if (!(move.batch in batches)) {
        batches[move.batch] = COLOURS[Object.keys(batches).length % COLOURS.length];
      }
      var line = L.polyline(move.coords, {
        color: batches[move.batch], weight: 3, opacity: 0.85,
        dashArray: move.kind === "place" ? "6 4" : null
      }).addTo(map);
      var pop = el("div", "kk-popup");
      pop.appendChild(el("p", "kk-line", move.text));
      line.bindPopup(pop);
      move.coords.forEach(function (c) { bounds.extend(c); });
      return line;
    });
    data.sites.forEach(function (site) {
      var marker = L.circleMarker(site.coord, {
        radius: site.used ? 7 : 4, color: "#333", weight: 1,
        fillColor: site.used ? "#2c7fb8" : "#bbb", fillOpacity: 0.9
      }).addTo(map);
      var pop = el("div", "kk-popup");
      pop.appendChild(el("h3", null, site.id));
      pop.appendChild(el("p", "kk-line", site.text));
      marker.bindPopup(pop);
      bounds.extend(site.coord);
    });
    panel(data, lines);
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 }); }
    window.kansenkaart = {
      lines: function () { return lines.length; },
      sites: function () { return data.sites.length; }
    };
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { window.__kkFirstDraw = performance.now(); });
    });
  };
})();
