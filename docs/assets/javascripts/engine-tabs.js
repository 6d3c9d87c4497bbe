// Engine tabs: a page shows one content tab per distinct output, named after the engines
// that print it ("Engine 26.1", "Engines 28.5 and 26.1"). Material links only tabs with the
// very same title, so picking one engine's own tab also selects, in every other set of tabs
// on the page, the tab that holds that engine, whatever else it holds.
(function () {
  "use strict";
  var ENGINE_LABEL = /^Engines? \d/;
  var VERSION = /\d+\.\d+/g;

  function engineVersions(label) {
    var text = label.textContent.trim();
    return ENGINE_LABEL.test(text) ? text.match(VERSION) || [] : [];
  }

  function labelOf(input) {
    var set = input.closest(".tabbed-set");
    return set && set.querySelector('.tabbed-labels > label[for="' + input.id + '"]');
  }

  function follow(label) {
    var chosen = label ? engineVersions(label) : [];
    if (chosen.length !== 1) return; // only one engine's own tab says which engine the reader runs
    document.querySelectorAll(".tabbed-set").forEach(function (set) {
      set.querySelectorAll(".tabbed-labels > label").forEach(function (other) {
        if (engineVersions(other).indexOf(chosen[0]) < 0) return;
        var target = document.getElementById(other.htmlFor);
        if (target && !target.checked) target.click();
      });
    });
  }

  // A click on a tab's title (also on the tab already shown, which changes nothing), and a
  // tab selected by a script or by the keyboard.
  document.addEventListener("click", function (event) {
    var label = event.target instanceof Element ? event.target.closest(".tabbed-labels > label") : null;
    if (label) follow(label);
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.closest(".tabbed-set")) follow(labelOf(input));
  });
})();
