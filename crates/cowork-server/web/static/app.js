// cowork's web UI glue. No framework and no inline script (the page's CSP
// is default-src 'self'): htmx does the requests and swaps, this file only
// the few things htmx does not.
(function () {
  "use strict";

  // A recent-folder quick pick fills the folder field and its access.
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("[data-fill]");
    if (!pick) return;
    var field = document.getElementById(pick.getAttribute("data-fill"));
    if (field) {
      field.value = pick.getAttribute("data-value");
      field.focus();
    }
    var access = pick.getAttribute("data-access");
    var radios = document.querySelectorAll('input[name="access"]');
    for (var i = 0; i < radios.length; i++) {
      radios[i].checked = radios[i].value === access;
    }
  });

  // A step the person opened stays open when the stream replaces it.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    var fragment = event.detail && event.detail.fragment;
    if (!target || !fragment || !target.querySelector) return;
    if (target.querySelector("details[open]") && fragment.querySelector) {
      var details = fragment.querySelector("details");
      if (details) details.setAttribute("open", "");
    }
  });

  // An update for an item the page does not have yet (it loaded between
  // two events): add it to the transcript rather than lose it.
  document.addEventListener("htmx:oobErrorNoTarget", function (event) {
    var item = event.detail && event.detail.content;
    var transcript = document.getElementById("transcript");
    if (item && transcript && item.tagName === "LI") {
      transcript.appendChild(item);
      if (window.htmx) window.htmx.process(item);
    }
  });

  // Remember how far the stream got: if the connection fails for good and
  // the SSE extension opens a new one, it resumes there instead of
  // replaying what the page shows already.
  document.addEventListener("htmx:sseMessage", function (event) {
    var id = event.detail && event.detail.lastEventId;
    var source = document.querySelector("[sse-connect]");
    if (!id || !source) return;
    var url = new URL(source.getAttribute("sse-connect"), window.location.href);
    url.searchParams.set("after", id);
    source.setAttribute("sse-connect", url.pathname + url.search);
  });

  // The preview follows the files: when the list reloads (a file changed),
  // reload the file the preview shows, or show the first one.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    if (target.id === "preview") {
      var shown = event.detail.pathInfo && event.detail.pathInfo.requestPath;
      if (shown) target.setAttribute("data-shown", shown);
      return;
    }
    if (target.id !== "files" || !window.htmx) return;
    var preview = document.getElementById("preview");
    if (!preview) return;
    var url = preview.getAttribute("data-shown");
    if (!url) {
      var first = target.querySelector("a.name");
      if (first) url = first.getAttribute("href");
    }
    if (url) window.htmx.ajax("GET", url, { target: "#preview", swap: "innerHTML" });
  });

  // Whether the page is live: the header says so, and tests wait for it.
  document.addEventListener("htmx:sseOpen", function (event) {
    event.target.setAttribute("data-stream", "open");
  });
  document.addEventListener("htmx:sseError", function (event) {
    event.target.setAttribute("data-stream", "reconnecting");
  });

  // A sent message clears its box.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (form && form.hasAttribute && form.hasAttribute("data-reset") && event.detail.successful) {
      form.reset();
    }
  });
})();
