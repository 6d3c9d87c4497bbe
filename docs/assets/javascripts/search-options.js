/*
 * Searching for a command-line option finds it.
 *
 * The search (lunr) reads a leading "-" as "must not contain": a query such as
 * `--network host` excluded every page that mentions "network" (nearly all of them) and
 * found nothing. The search box keeps showing what the reader typed, but the theme's
 * search reads the query through the `value` property, and for it the dashes in front of
 * a word are dropped: `--network host` is searched as `network host`.
 */
(function () {
  "use strict";

  var native = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
  var LEADING_DASHES = /(^|\s)-+(?=[^\s-])/g;

  function searchable(text) {
    return text.replace(LEADING_DASHES, "$1");
  }

  var inputs = document.querySelectorAll("input.md-search__input, input[data-md-component='search-query']");
  for (var i = 0; i < inputs.length; i++) {
    Object.defineProperty(inputs[i], "value", {
      configurable: true,
      get: function () { return searchable(native.get.call(this)); },
      set: function (text) { native.set.call(this, text); }
    });
  }

  /* Exposed for tests. */
  window.docsexecSearchable = searchable;
})();
