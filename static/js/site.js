// ShopAgent: small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  var BANNER_KEY = "shopagent:feedback-dismissed";
  var root = document.documentElement;

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  // Runs in <head> before the body paints, so a dismissed banner never flashes.
  if (stored(BANNER_KEY)) { root.classList.add("feedback-dismissed"); }

  function track(event, properties) {
    if (window.posthog && typeof window.posthog.capture === "function") {
      window.posthog.capture(event, properties);
    }
  }

  function setupBanner() {
    var banner = document.getElementById("feedback-banner");
    if (!banner) { return; }
    var button = banner.querySelector("[data-dismiss-banner]");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      try { window.localStorage.setItem(BANNER_KEY, "1"); } catch (e) { /* private mode: hide for this page only */ }
      root.classList.add("feedback-dismissed");
      track("feedback_banner_dismissed", {});
    });
  }

  // Shop filters: the form works as a plain GET form; this only reports use and applies a new sort at once.
  function setupFilters() {
    var form = document.querySelector("form[data-shop-filters]");
    if (!form) { return; }
    var sort = form.querySelector("[data-track-sort]");
    if (sort) {
      sort.addEventListener("change", function () {
        track("sort_changed", { sort: sort.value, path: window.location.pathname });
        form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    }
    form.addEventListener("submit", function () {
      var filters = {};
      new FormData(form).forEach(function (value, name) {
        if (name !== "sort" && value !== "") {
          filters[name] = filters[name] ? filters[name] + "," + value : value;
        }
      });
      if (Object.keys(filters).length) {
        track("filter_applied", { filters: filters, path: window.location.pathname });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupBanner();
    setupFilters();
  });
})();
