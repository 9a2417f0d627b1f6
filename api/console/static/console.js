// Progressive help only: every page works without it (but live refresh, which htmx does).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }  // one submit per rendering; the server also dedupes
  form.dataset.sent = "1";
  var button = form.querySelector("button[data-once]");
  if (button) { button.setAttribute("aria-busy", "true"); }
});
