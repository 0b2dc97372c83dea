"use strict";
(function () {
  var svg = document.getElementById("timeline");
  var detail = document.getElementById("detail");
  var head = detail.querySelector(".head");
  var hint = detail.querySelector(".hint");
  var list = document.getElementById("detail-lines");
  var MAXSHOW = 20000;
  var selected = null;

  function show(el) {
    var sub = el.getAttribute("data-sub");
    var from = parseInt(el.getAttribute("data-from"), 10);
    var to = parseInt(el.getAttribute("data-to"), 10);
    var src = document.getElementById("con-" + sub);
    if (!src || isNaN(from) || isNaN(to)) { return; }
    if (selected) { selected.classList.remove("sel"); }
    var bar = svg.querySelector('.act[data-sub="' + sub + '"][data-act="' + el.getAttribute("data-act") + '"]');
    if (bar) { bar.classList.add("sel"); selected = bar; }
    head.textContent = el.getAttribute("data-label");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var start = Math.max(from, to - MAXSHOW);
    var kids = src.children;
    var frag = document.createDocumentFragment();
    for (var i = start; i < to && i < kids.length; i++) { frag.appendChild(kids[i].cloneNode(true)); }
    list.appendChild(frag);
    list.setAttribute("start", String(start + 1));
    if (to <= from) {
      hint.textContent = "No console lines while this action ran.";
    } else if (start > from) {
      hint.textContent = "The last " + (to - start) + " of " + (to - from) + " console lines (line numbers are the sub-job's).";
    } else {
      hint.textContent = (to - from) + " console line" + (to - from === 1 ? "" : "s") + " while this action ran (line numbers are the sub-job's).";
    }
    list.classList.toggle("hidden", to <= from);
    detail.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("click", function (e) {
    var el = e.target.closest ? e.target.closest("[data-act]") : null;
    if (el) { e.preventDefault(); show(el); }
  });
  document.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && e.target.getAttribute && e.target.getAttribute("data-act") !== null) {
      e.preventDefault(); show(e.target);
    }
  });

  // Zoom stretches the time axis only: every element of class "z" is moved
  // (x, x1, x2, cx) and widened (width) from where the report placed it.
  var plotX = parseFloat(svg.getAttribute("data-plotx"));
  var base = parseFloat(svg.getAttribute("width"));
  var attrs = ["x", "x1", "x2", "cx", "width"];
  var placed = [];
  svg.querySelectorAll(".z").forEach(function (el) {
    var o = {};
    attrs.forEach(function (a) { if (el.hasAttribute(a)) { o[a] = parseFloat(el.getAttribute(a)); } });
    placed.push([el, o]);
  });
  var zoom = 1;
  function setZoom(z) {
    zoom = Math.min(Math.max(z, 1), 64);
    svg.setAttribute("width", String(plotX + (base - plotX) * zoom));
    svg.setAttribute("viewBox", "0 0 " + (plotX + (base - plotX) * zoom) + " " + svg.getAttribute("height"));
    placed.forEach(function (p) {
      var el = p[0], o = p[1];
      Object.keys(o).forEach(function (a) {
        el.setAttribute(a, String(a === "width" ? o[a] * zoom : plotX + (o[a] - plotX) * zoom));
      });
    });
    document.getElementById("zoom").textContent = Math.round(zoom * 100) + "%";
  }
  document.getElementById("zoom-in").addEventListener("click", function () { setZoom(zoom * 2); });
  document.getElementById("zoom-out").addEventListener("click", function () { setZoom(zoom / 2); });
  document.getElementById("zoom-fit").addEventListener("click", function () { setZoom(1); });
})();
