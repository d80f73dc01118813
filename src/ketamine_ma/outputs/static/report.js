/* The report's only script. Long tables (class "dt") become sortable and filterable with DataTables (vendored
   beside this file) and scroll inside a keyboard-focusable box, so no page grows past a few screens. A link to a
   row or a pool (#id) lands on it even when it sits in a closed <details> or in a filtered table. */
(function () {
  "use strict";
  var tables = [];

  function setUp(table) {
    var label = table.getAttribute("aria-label") ||
      (document.getElementById(table.getAttribute("aria-labelledby")) || {}).textContent || "Table";
    var dt = new window.DataTable(table, {
      paging: false,
      order: [],
      autoWidth: false,
      language: { search: "Filter " + label.trim().toLowerCase() + ":", info: "Rows: _TOTAL_", infoEmpty: "Rows: 0", infoFiltered: "(of _MAX_)" }
    });
    var cell = table.closest(".dt-layout-cell");
    if (cell) {
      cell.classList.add("table-scroll");
      cell.tabIndex = 0;
      cell.setAttribute("role", "region");
      cell.setAttribute("aria-label", label.trim() + " (scrolls)");
    }
    tables.push(dt);
  }

  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) { return; }
    var el = document.getElementById(id);
    if (!el) {
      // the row may be filtered out: clear every table's filter and look again
      tables.forEach(function (dt) { dt.search("").draw(); });
      el = document.getElementById(id);
    }
    if (!el) { return; }
    for (var d = el.closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) {
      d.open = true;
    }
    document.querySelectorAll(".targeted").forEach(function (e) { e.classList.remove("targeted"); });
    el.classList.add("targeted");
    el.scrollIntoView({ block: el.tagName === "TR" ? "center" : "start" });
  }

  if (window.DataTable) {
    document.querySelectorAll("table.dt").forEach(setUp);
    // a drop-down above a table filters one of its columns (the ledger's verification level)
    document.querySelectorAll("select.column-filter").forEach(function (sel) {
      var table = document.getElementById(sel.getAttribute("data-table"));
      var dt = tables.find(function (t) { return t.table().node() === table; });
      if (!dt) { return; }
      sel.addEventListener("change", function () {
        dt.column(Number(sel.getAttribute("data-column"))).search(sel.value).draw();
      });
    });
  }
  reveal();
  // the browser scrolls to the fragment itself once the page has loaded; land on the row after that
  window.addEventListener("load", function () { window.setTimeout(reveal, 0); });
  window.addEventListener("hashchange", reveal);
})();
