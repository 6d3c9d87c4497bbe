/*
 * Mermaid only where there is a diagram, and never blocking the page.
 *
 * The theme (Material for MkDocs, and Zensical's) renders each `pre.mermaid` with a global
 * `mermaid` object when one exists: it calls `mermaid.initialize(config)` once and then
 * `await mermaid.render(id, text)` per diagram. Only otherwise does it fetch Mermaid from
 * a CDN, which this site never reaches. So this tiny script defines a stand-in `mermaid`:
 * nothing happens on a page without diagrams (the theme never calls it), and on a page
 * with diagrams the first render() loads the vendored mermaid.min.js (3.5 MB) with an
 * async <script>, hands it the theme's configuration and lets it draw. The library then
 * replaces the stand-in as the global `mermaid`.
 */
(function () {
  "use strict";

  if (typeof window.mermaid !== "undefined" && !(window.mermaid instanceof Element)) return;

  var here = document.currentScript && document.currentScript.src;
  var libraryUrl = here ? new URL("mermaid.min.js", here).href : "assets/javascripts/mermaid.min.js";
  var config = null;
  var library = null;

  function load() {
    if (library) return library;
    library = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = libraryUrl;
      script.async = true;
      script.onload = function () {
        var real = window.mermaid;
        real.startOnLoad = false; // the theme renders; the library must not render again on load
        if (config) real.initialize(config);
        resolve(real);
      };
      script.onerror = function () { reject(new Error("could not load " + libraryUrl)); };
      document.head.appendChild(script);
    });
    return library;
  }

  window.mermaid = {
    docsexecLoader: true,
    initialize: function (options) { config = options; },
    render: function (id, text) {
      return load().then(function (real) { return real.render(id, text); });
    }
  };
})();
