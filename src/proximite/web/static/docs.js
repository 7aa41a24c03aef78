// Starts Swagger UI on /docs from a file (the Content-Security-Policy forbids inline
// scripts). The bundle is copied from npm's swagger-ui-dist by `make install`.
if (window.SwaggerUIBundle) {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
}
