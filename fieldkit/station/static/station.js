/* Field station: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  var NEUTRAL = "/n";

  /* Quick exit: replace the page (so Back does not return) with the neutral page,
     which also locks the station on the server. */
  function quickExit() { window.location.replace(NEUTRAL); }

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-quick-exit]") : null;
    if (t) { ev.preventDefault(); quickExit(); }
  });

  /* Shift pressed three times within 1.5 s. */
  var shifts = [];
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Shift" || ev.repeat) { if (ev.key !== "Shift") shifts = []; return; }
    var now = Date.now();
    shifts = shifts.filter(function (t) { return now - t < 1500; });
    shifts.push(now);
    if (shifts.length >= 3) { shifts = []; quickExit(); }
  });

  /* Multiple choice: an exclusive option ("none of these") clears the others. */
  document.addEventListener("change", function (ev) {
    var box = ev.target;
    if (box.type !== "checkbox" || !box.checked) return;
    var all = box.form ? box.form.querySelectorAll("input[type=checkbox][name=answer]") : [];
    Array.prototype.forEach.call(all, function (other) {
      if (other === box) return;
      if (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive")) {
        other.checked = false;
      }
    });
  });

  /* Ranking: tap items in order; the rank selects stay the source of truth. */
  function renumber(list) {
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-code]"));
    items.forEach(function (li) {
      var sel = li.querySelector("select");
      li.classList.toggle("ranked", !!sel.value);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("ol.rank"), function (list) {
    var limit = parseInt(list.getAttribute("data-rank-limit"), 10) || 0;
    renumber(list);
    list.addEventListener("change", function () { renumber(list); });
    list.addEventListener("click", function (ev) {
      if (ev.target.tagName === "SELECT" || ev.target.tagName === "OPTION") return;
      var li = ev.target.closest("li[data-code]");
      if (!li) return;
      var sel = li.querySelector("select");
      var sels = Array.prototype.slice.call(list.querySelectorAll("select"));
      if (sel.value) {
        var removed = parseInt(sel.value, 10);
        sel.value = "";
        sels.forEach(function (s) {
          var v = parseInt(s.value, 10);
          if (v > removed) s.value = String(v - 1);
        });
      } else {
        var used = sels.filter(function (s) { return s.value; }).length;
        if (used < limit) sel.value = String(used + 1);
      }
      renumber(list);
    });
  });

  /* No double submits on slow hotspots. */
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.getAttribute("data-sent")) { ev.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
  });
})();
