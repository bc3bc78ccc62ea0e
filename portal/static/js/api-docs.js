// The API documentation page (/api/v1/docs): ReDoc (vendored) draws the OpenAPI document.
// A script file, not an inline one: the Content-Security-Policy allows scripts from this site only.
(function () {
  var target = document.getElementById("api-reference");
  if (!target || !window.Redoc) return;
  window.Redoc.init(target.getAttribute("data-spec-url"), { hideDownloadButton: true, expandResponses: "200" }, target);
})();
