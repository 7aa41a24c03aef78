// Starts Swagger UI on /docs from a file (the Content-Security-Policy forbids inline
// scripts). The bundle is copied from npm's swagger-ui-dist by `make install`.
if (window.SwaggerUIBundle) {
  window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    // No deep links: Swagger UI renders them as a link inside each operation's toggle
    // button, a focusable control nested in another (axe: nested-interactive).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
}
