// Cartoparty page: the places of the event on a map; a click on the map opens the
// "new place" form at that point. The list under the map carries the same places and
// links (keyboard and screen-reader path); the map is a mouse shortcut only.
const container = document.getElementById("carte");
const places = JSON.parse(document.getElementById("lieux-json").textContent || "[]");

function say(text) {
  const p = document.createElement("p");
  p.className = "carte-absente";
  p.textContent = text;
  container.append(p);
}

async function init() {
  if (container.dataset.maplibre !== "1") {
    say("La carte n'est pas installée sur ce serveur (bibliothèque MapLibre absente) ; "
        + "la liste ci-dessous donne tous les lieux.");
    return;
  }
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/static/vendor/maplibre-gl/maplibre-gl.css";
  document.head.append(css);
  try {
    const maplibregl = await import("/static/vendor/maplibre-gl/maplibre-gl.mjs");
    const lons = places.map((p) => p.lon);
    const lats = places.map((p) => p.lat);
    const map = new maplibregl.Map({
      container,
      style: { version: 8, sources: {},
        layers: [{ id: "fond", type: "background", paint: { "background-color": "#f4f1ea" } }] },
      center: places.length ? [(Math.min(...lons) + Math.max(...lons)) / 2,
                               (Math.min(...lats) + Math.max(...lats)) / 2] : [3.5, 44.5],
      zoom: 8,
      attributionControl: false,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.on("load", () => {
      map.addSource("lieux", { type: "geojson", data: { type: "FeatureCollection",
        features: places.map((p) => ({ type: "Feature", properties: { id: p.id, name: p.name },
          geometry: { type: "Point", coordinates: [p.lon, p.lat] } })) } });
      map.addLayer({ id: "lieux", type: "circle", source: "lieux",
        paint: { "circle-radius": 6, "circle-color": "#c2410c",
                 "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
      container.dataset.ready = "1";
    });
    map.on("click", (event) => {
      const hit = map.queryRenderedFeatures(event.point, { layers: ["lieux"] })[0];
      const slug = encodeURIComponent(container.dataset.cartoparty);
      if (hit) {
        window.location.href = `/lieux/${encodeURIComponent(hit.properties.id)}/signaler?cartoparty=${slug}`;
        return;
      }
      const { lng, lat } = event.lngLat;
      window.location.href = `/proposer?cartoparty=${slug}`
        + `&lon=${lng.toFixed(6).replace(".", ",")}&lat=${lat.toFixed(6).replace(".", ",")}`;
    });
  } catch (error) {
    say("La carte ne peut pas s'afficher sur cet appareil ; la liste ci-dessous donne tous les lieux.");
  }
}

init();
