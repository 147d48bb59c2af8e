(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var status = document.getElementById("kg-status");
  var details = document.getElementById("kg-details");
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function plural(n, one, many) { return n.toLocaleString("en") + " " + (n === 1 ? one : (many || one + "s")); }
  function pubmedLink(pmid) {
    var a = el("a", {href: data.pubmed.replace("{pmid}", encodeURIComponent(pmid)), target: "_blank",
                     rel: "noopener", text: pmid});
    if (data.articles[pmid]) { a.title = data.articles[pmid]; }
    return a;
  }
  function pmidList(rel) {
    var span = el("span", {"class": "kg-pmids"});
    rel.pmids.forEach(function (p) { span.appendChild(pubmedLink(p)); });
    if (rel.count > rel.pmids.length) { span.appendChild(document.createTextNode("… and " + (rel.count - rel.pmids.length) + " more")); }
    return span;
  }
  function nameOf(id) { return byId[id] ? byId[id].name : id; }
  function relationLine(rel) {
    var arrow = rel.directed ? " → " : " — ";
    return el("div", {}, [el("b", {text: rel.relation.replace(/_/g, " ")}),
      " " + nameOf(rel.from) + arrow + nameOf(rel.to) + " (" + plural(rel.count, "article") + "): ", pmidList(rel)]);
  }
  function nodeTip(n) {
    var parts = [el("b", {text: n.name}), el("br"), n.id + " · " + n.type + " · " + plural(n.articles, "article")];
    if (n.synonyms.length) { parts.push(el("br"), "also: " + n.synonyms.join(", ")); }
    return el("div", {}, parts);
  }
  function edgeTip(e) {
    return el("div", {}, e.relations.map(relationLine));
  }
  function colorOf(n) { return data.colors[n.type] || "#9c755f"; }
  function short(s) { return s.length > 28 ? s.slice(0, 26) + "…" : s; }

  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    return {id: n.id, label: short(n.name), value: n.articles, title: nodeTip(n), shape: "dot",
            color: {background: colorOf(n), border: n.seed ? "#111" : colorOf(n),
                    highlight: {background: colorOf(n), border: "#111"}},
            borderWidth: n.seed ? 4 : 1};
  }));
  var edges = new vis.DataSet(data.edges.map(function (e, i) {
    return {id: i, from: e.from, to: e.to, value: e.count, arrows: e.arrow ? "to" : "",
            color: {color: e.color, highlight: e.color, hover: e.color, opacity: 0.85}, selectionWidth: 2, title: edgeTip(e)};
  }));
  var container = document.getElementById("kg-network");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, {
    layout: {randomSeed: 7, improvedLayout: data.nodes.length <= 150},
    nodes: {scaling: {min: 8, max: 40}, font: {size: 12, color: "#222"}},
    edges: {scaling: {min: 1, max: 8}, smooth: false},
    physics: {solver: "forceAtlas2Based", forceAtlas2Based: {gravitationalConstant: -40, springLength: 90},
              stabilization: {iterations: 400, updateInterval: 50}},
    interaction: {hover: true, tooltipDelay: 150, navigationButtons: false, keyboard: false}
  });

  function showNode(id) {
    var n = byId[id];
    details.textContent = "";
    details.appendChild(el("h2", {text: n.name}));
    details.appendChild(el("div", {"class": "kg-muted", text: n.id + " · " + n.type + " · " + plural(n.articles, "article")}));
    if (n.synonyms.length) { details.appendChild(el("div", {"class": "kg-muted", text: "also: " + n.synonyms.join(", ")})); }
    var mine = data.edges.filter(function (e) { return e.from === id || e.to === id; });
    details.appendChild(el("h3", {text: plural(mine.length, "link", "links") + " drawn"}));
    mine.forEach(function (e) { e.relations.forEach(function (r) { details.appendChild(relationLine(r)); }); });
    details.hidden = false;
  }
  function showEdge(i) {
    var e = data.edges[i];
    details.textContent = "";
    details.appendChild(el("h2", {text: nameOf(e.from) + " — " + nameOf(e.to)}));
    e.relations.forEach(function (r) {
      details.appendChild(relationLine(r));
      var list = el("ul");
      r.pmids.forEach(function (p) {
        list.appendChild(el("li", {}, [pubmedLink(p), data.articles[p] ? " " + data.articles[p] : ""]));
      });
      details.appendChild(list);
    });
    details.hidden = false;
  }
  function select(id) {
    network.selectNodes([id]);
    network.focus(id, {scale: 1.2, animation: {duration: 400}});
    showNode(id);
  }
  network.on("click", function (p) {
    if (p.nodes.length) { showNode(p.nodes[0]); }
    else if (p.edges.length) { showEdge(p.edges[0]); }
    else { details.hidden = true; }
  });

  var names = document.getElementById("kg-names");
  data.nodes.slice().sort(function (a, b) { return b.articles - a.articles; }).forEach(function (n) {
    names.appendChild(el("option", {value: n.name}));
  });
  function search(text) {
    var q = text.trim().toLowerCase();
    if (!q) { return; }
    var exact = data.nodes.filter(function (n) { return n.name.toLowerCase() === q || n.id.toLowerCase() === q; });
    var partial = exact.length ? exact : data.nodes.filter(function (n) {
      return n.name.toLowerCase().indexOf(q) >= 0 || n.id.toLowerCase().indexOf(q) >= 0 ||
             n.synonyms.some(function (s) { return s.toLowerCase().indexOf(q) >= 0; });
    });
    partial.sort(function (a, b) { return b.articles - a.articles; });
    if (partial.length) {
      select(partial[0].id);
      report(partial.length > 1 ? plural(partial.length, "match", "matches") + "; showing " + partial[0].name : "");
    } else {
      report("no drawn entity matches “" + text.trim() + "”");
    }
  }
  var box = document.getElementById("kg-search");
  box.addEventListener("change", function () { search(box.value); });
  box.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { search(box.value); } });

  var legend = document.getElementById("kg-legend");
  Object.keys(data.colors).forEach(function (t) {
    legend.appendChild(el("span", {}, [el("span", {"class": "kg-chip", style: "background:" + data.colors[t]}), t]));
  });
  Object.keys(data.relationColors).forEach(function (r) {
    legend.appendChild(el("span", {}, [el("span", {"class": "kg-line", style: "background:" + data.relationColors[r]}), r.replace(/_/g, " ")]));
  });

  var counts = "";
  function report(extra) { status.textContent = counts + (extra ? " · " + extra : ""); }
  var first = true;
  network.on("afterDrawing", function () {
    if (!first) { return; }
    first = false;
    var drawn = Object.keys(network.getPositions()).length;
    status.dataset.drawn = String(drawn);
    status.dataset.edges = String(edges.length);
    counts = plural(drawn, "entity", "entities") + ", " + plural(edges.length, "link") + " drawn";
    report("");
  });
  // Labels that would overprint each other (around a hub): the entity in more articles keeps
  // its label, the other shows its name on hover and when clicked. Boxes are vis-network's
  // own (dot and label, canvas units, so the answer holds at every zoom).
  function labelBoxes() {
    return data.nodes.filter(function (n) { return nodes.get(n.id).label; }).sort(function (a, b) {
      return (b.seed - a.seed) || (b.articles - a.articles);
    }).map(function (n) { return network.getBoundingBox(n.id); });
  }
  function meets(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
  function declutter() {
    var kept = [], hide = [];
    data.nodes.slice().sort(function (a, b) { return (b.seed - a.seed) || (b.articles - a.articles); }).forEach(function (n) {
      var box = network.getBoundingBox(n.id);
      if (kept.some(function (k) { return meets(box, k); })) { hide.push({id: n.id, label: ""}); } else { kept.push(box); }
    });
    nodes.update(hide);
    return hide.length;
  }
  function overlaps() {
    var boxes = labelBoxes(), count = 0;
    boxes.forEach(function (a, i) { boxes.slice(i + 1).forEach(function (b) { count += meets(a, b) ? 1 : 0; }); });
    return count;
  }
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({physics: false});
    network.fit();
    network.redraw();  // draw now rather than at the next animation frame (which a busy or headless browser may delay)
    status.dataset.overlapsBefore = String(overlaps());
    status.dataset.labelsHidden = String(declutter());
    network.redraw();
    status.dataset.overlaps = String(overlaps());
    status.dataset.stabilized = "1";
  });
  var wanted = decodeURIComponent(location.hash.slice(1));
  if (wanted && byId[wanted]) { showNode(wanted); network.selectNodes([wanted]); }
})();
