// The calendar page: dialogs to plan, move and cancel; drag and drop to move; auto-fill progress.
// Every text comes from the page (translated by the server); this file holds none.
(function () {
  "use strict";
  function $(sel, root) { return (root || document).querySelector(sel); }

  function init() {
    var create = $("#create-dialog"), item = $("#item-dialog");
    if (!create || !item) return;
    document.querySelectorAll("dialog .close").forEach(function (b) {
      b.addEventListener("click", function () { b.closest("dialog").close(); });
    });
    document.querySelectorAll(".day-cell .add").forEach(function (button) {
      button.addEventListener("click", function () {
        var cell = button.closest(".day-cell");
        $("#create_team").value = cell.dataset.team;
        $("#create_day").value = cell.dataset.day;
        create.showModal();
      });
    });
    var moveForm = $("#move-form"), removeForm = $("#remove-form");
    document.querySelectorAll(".day-cell .chip").forEach(function (chip) {
      if (!chip.dataset.moveUrl) { chip.disabled = false; return; }
      chip.addEventListener("click", function () {
        moveForm.action = chip.dataset.moveUrl;
        removeForm.action = chip.dataset.removeUrl;
        $("#remove-submit").textContent = chip.dataset.removeLabel;
        $("#move_day").value = chip.dataset.day;
        $("#move_team").value = chip.dataset.team;
        item.showModal();
      });
      chip.addEventListener("dragstart", function (event) {
        event.dataTransfer.setData("text/plain", chip.dataset.key);
        window.irbisDragged = chip;
      });
    });
    document.querySelectorAll(".day-cell").forEach(function (cell) {
      cell.addEventListener("dragover", function (event) { event.preventDefault(); cell.classList.add("drop"); });
      cell.addEventListener("dragleave", function () { cell.classList.remove("drop"); });
      cell.addEventListener("drop", function (event) {
        event.preventDefault();
        var chip = window.irbisDragged;
        if (!chip || !chip.dataset.moveUrl) return;
        moveForm.action = chip.dataset.moveUrl;
        $("#move_day").value = cell.dataset.day;
        $("#move_team").value = cell.dataset.team;
        moveForm.submit();
      });
    });
    var status = $("#run-status");
    if (status && status.dataset.pollUrl) {
      var poll = function () {
        fetch(status.dataset.pollUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
          .then(function (data) {
            if (data.progress && data.progress.total) {
              $("#run-progress").textContent = data.progress.done + " / " + data.progress.total;
            }
            if (data.status === "done" || data.status === "failed") { window.location.reload(); }
            else { window.setTimeout(poll, 1500); }
          }).catch(function () { window.setTimeout(poll, 5000); });
      };
      window.setTimeout(poll, 1500);
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
