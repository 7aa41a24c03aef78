// Géoportail Proximité : recherche de commune, services les plus proches, fiche, carte.
// Everything shown on the map is also in the list and the fiche (RGAA text alternative).
// No framework: the DOM is built with createElement/textContent, so no data is ever
// interpreted as HTML.
import { api, el, minutes, placeParts } from "/static/common.js";

const CLASSES = [
  { max: 10, colour: "#d9efe4" },
  { max: 20, colour: "#8fcfb0" },
  { max: 30, colour: "#3f9b7f" },
  { max: Infinity, colour: "#145046" },
];
const NO_TIME = "#bdbdbd";
// Digital-fragility index classes (same colours as the report's map)
const INDEX_CLASSES = ["#ffffcc", "#a1dab4", "#41b6c4", "#253494"];

const state = { commune: null, category: "la_poste", categories: [], map: null,
                mapReady: null, layer: "temps" };

const $ = (id) => document.getElementById(id);
// "en voiture" / "à pied": the travel mode of the diagnostic's network (set by the server)
const MODE = document.body.dataset.mode || "";
// Set when the server keeps a contributions store: each place links to its fiche.
const CONTRIBUTIONS = document.body.dataset.contributions === "1";

function announce(text) {
  $("annonce").textContent = text;
}

// ------------------------------------------------------------------ categories
async function loadCategories() {
  const categories = await api("/api/categories");
  state.categories = categories.filter((c) => c.has_data);
  const select = $("categorie");
  select.replaceChildren(...state.categories.map((c) =>
    el("option", { value: c.code }, `${c.label} (${c.n_services})`)));
  select.value = state.categories.some((c) => c.code === state.category)
    ? state.category : state.categories[0]?.code;
  state.category = select.value;
}

function categoryLabel(code) {
  return state.categories.find((c) => c.code === code)?.label || code;
}

// ------------------------------------------------------------------ search
async function search(event) {
  event.preventDefault();
  const text = $("commune").value.trim();
  state.category = $("categorie").value;
  if (!text) {
    announce("Saisissez le nom d'une commune.");
    $("commune").focus();
    return;
  }
  let found;
  try {
    found = await api(`/api/communes?q=${encodeURIComponent(text)}&limit=8`);
  } catch (error) {
    announce(`La recherche a échoué : ${error.message}`);
    return;
  }
  const box = $("communes-trouvees");
  box.replaceChildren();
  if (!found.results.length) {
    clearResults(`Aucune commune ne correspond à « ${text} ».`);
    announce(`Aucune commune ne correspond à « ${text} ».`);
    $("resultats-titre").focus();
    return;
  }
  const [first, ...others] = found.results;
  if (others.length) {
    box.append(
      el("p", { id: "autres-titre" }, "Autres communes correspondant à votre recherche :"),
      el("ul", { class: "autres", "aria-labelledby": "autres-titre" },
        others.map((c) => el("li", {}, el("button", {
          type: "button", class: "lien",
          onclick: () => showCommune(c, true),
        }, `${c.name} (${c.code_insee})`)))));
  }
  await showCommune(first, true);
}

function clearResults(message) {
  $("resultats").replaceChildren();
  $("resultats-vide").textContent = message;
  $("resultats-vide").hidden = false;
  $("fiche").hidden = true;
}

// The view's permalink. A user's choice adds a history entry (so that Back returns to
// the previous view); a view rebuilt from the address itself leaves history alone.
function permalink() {
  const params = new URLSearchParams({ categorie: state.category });
  if (state.commune) params.set("commune", state.commune.code_insee);
  return `#${params}`;
}

function remember() {
  if (location.hash !== permalink()) history.pushState(null, "", permalink());
}

async function showCommune(commune, moveFocus, fromAddress = false) {
  state.commune = commune;
  if (!fromAddress) remember();
  let near;
  try {
    near = await api(`/api/services/near?commune=${encodeURIComponent(commune.code_insee)}`
                     + `&category=${encodeURIComponent(state.category)}&limit=10`);
  } catch (error) {
    clearResults(error.message);
    announce(error.message);
    return;
  }
  const label = categoryLabel(state.category);
  $("resultats-titre").textContent = `${label} les plus proches de ${commune.name}`;
  const list = $("resultats");
  list.replaceChildren(...near.services.map((s) => serviceItem(s, near.evaluated_at)));
  if (near.services.length) {
    $("resultats-vide").hidden = true;
  } else {
    $("resultats-vide").hidden = false;
    $("resultats-vide").textContent =
      `Aucun lieu « ${label} » à moins de ${Math.round(near.max_minutes)} minutes.`;
  }
  $("resultats-vide").after(ficheButton(commune));
  $("fiche").hidden = true;
  announce(`${near.services.length} résultat${near.services.length > 1 ? "s" : ""} : `
           + `${label} les plus proches de ${commune.name}.`);
  if (moveFocus) $("resultats-titre").focus();
  updateMap();
}

function ficheButton(commune) {
  document.querySelectorAll(".ouvrir-fiche").forEach((b) => b.remove());
  return el("p", { class: "ouvrir-fiche" }, el("button", {
    type: "button", onclick: () => showFiche(commune.code_insee),
  }, `Voir la fiche de ${commune.name}`));
}

function serviceItem(service, evaluated) {
  const [title, ...details] = placeParts(service, evaluated);
  return el("li", { class: "service", "data-service-id": service.service_id },
    title,
    el("p", { class: "temps" },
      el("strong", {}, minutes(service.travel_time_min)), ` ${MODE}`),
    ...details,
    state.map ? el("button", { type: "button", class: "lien",
      onclick: () => focusOnMap(service),
    }, `Montrer ${service.name || "ce lieu"} sur la carte`) : null,
    CONTRIBUTIONS ? el("p", {}, el("a", {
      href: `/lieux/${encodeURIComponent(service.service_id)}`,
    }, `Fiche et historique de ${service.name || "ce lieu"} · signaler une erreur`)) : null);
}

// ------------------------------------------------------------------ fiche
async function showFiche(code) {
  let fiche;
  try {
    fiche = await api(`/api/communes/${encodeURIComponent(code)}`);
  } catch (error) {
    announce(error.message);
    return;
  }
  const section = $("fiche");
  $("fiche-titre").textContent = `Fiche de ${fiche.name}`;
  const facts = el("ul", { class: "faits" },
    el("li", {}, `Code INSEE : ${fiche.code_insee}`),
    fiche.population !== null
      ? el("li", {}, `Population : ${Math.round(fiche.population).toLocaleString("fr-FR")} habitants`)
      : null,
    fiche.epci_name ? el("li", {}, `Intercommunalité : ${fiche.epci_name}`) : null);
  // a commune lacking data for part of the basket has no profile: say so and why
  const profile = fiche.profile
    ? (fiche.profile.profile
      ? el("p", { class: "profil" }, el("strong", {}, `Profil d'accès ${fiche.profile.profile}`),
           ` : ${fiche.profile.explanation.replace(/^[A-F] : /, "")}`)
      : el("p", { class: "profil" }, el("strong", {}, "Profil d'accès"),
           ` : aucun, ${fiche.profile.explanation.replace(/^pas de profil : /, "")}`))
    : null;
  const known = new Set(state.categories.map((c) => c.code));
  const rows = fiche.access.filter((row) => row.target_kind === "basket" || known.has(row.category));
  const table = el("table", {},
    el("caption", {}, `Temps d'accès depuis ${fiche.name}, ${MODE}`),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Service"),
      el("th", { scope: "col" }, "Temps d'accès"),
      el("th", { scope: "col" }, "Médiane de la commune"),
      el("th", { scope: "col" }, "Lieu le plus proche"))),
    el("tbody", {}, rows.map((row) => el("tr", {},
      el("th", { scope: "row" }, row.target_kind === "basket" ? `Panier : ${row.label}` : row.label),
      el("td", {}, row.status === "ok" ? minutes(row.travel_time_min) : "non calculé"),
      el("td", {}, row.median_min === null ? "—" : minutes(row.median_min)),
      el("td", {}, row.nearest_service ? row.nearest_service.name : "—")))));
  section.querySelector("#fiche-contenu").replaceChildren(facts, profile,
    // Scrolls sideways on a narrow screen: focusable so that the keyboard can scroll it.
    el("div", { class: "tableau", tabindex: "0", role: "region",
                "aria-label": `Tableau des temps d'accès depuis ${fiche.name}` }, table),
    ...otherAccess(fiche),
    el("p", { class: "aide" }, fiche.network_note));
  section.hidden = false;
  $("fiche-titre").focus();
  announce(`Fiche de ${fiche.name} affichée.`);
}

const number = (value, digits = 1) => value.toLocaleString("fr-FR",
  { minimumFractionDigits: digits, maximumFractionDigits: digits });

// Remote access, itinerant stops and the digital axis: never counted as permanent sites.
function otherAccess(fiche) {
  const blocks = [el("h3", {}, "À distance")];
  blocks.push(fiche.remote_access.length
    ? el("ul", {}, fiche.remote_access.map((r) => el("li", {},
      `${r.label} : ${r.name} (${r.modes.join(", ")})`)))
    : el("p", {}, "Aucun service de l'inventaire ne déclare d'accès par téléphone, en "
                  + "visioconférence ou en ligne."));
  if (fiche.itinerant_access.length) {
    blocks.push(el("h3", {}, "Permanences itinérantes"),
      el("ul", {}, fiche.itinerant_access.map((r) => el("li", {},
        `${r.label} : arrêt ${r.stop_name}, ${r.travel_time_min === null ? "temps non calculé"
          : minutes(r.travel_time_min)}, `
        + (r.days_per_month === null ? "fréquence inconnue"
          : `${number(r.days_per_month)} jour(s) par mois`)))));
  }
  const d = fiche.digital;
  if (d) {
    const fibre = d.fibre_share_max_pct === null ? "inconnue"
      : d.fibre_share_max_pct === 0 ? "aucun local raccordable"
        : `de ${number(d.fibre_share_min_pct, 0)} à ${number(d.fibre_share_max_pct, 0)} % des locaux`;
    blocks.push(el("h3", {}, "Numérique"), el("ul", { class: "faits" },
      d.fragility_index === null ? null : el("li", {},
        `Indice de fragilité numérique : ${number(d.fragility_index)} sur 100`
        + (d.among_most_fragile ? " (parmi les communes les plus fragiles)" : "")),
      el("li", {}, `Fibre${d.fibre_quarter ? ` (${d.fibre_quarter})` : ""} : ${fibre}`),
      d.operators_4g === null ? null : el("li", {},
        `Opérateurs avec un site 4G à moins de ${number(d.radius_4g_m / 1000, 0)} km : `
        + `${d.operators_4g} sur 4`),
      d.help_time_min === null ? null : el("li", {},
        `Aide numérique la plus proche : ${d.help_place}, ${minutes(d.help_time_min)}`
        + (d.help_hours_per_week === null ? ""
          : `, ${number(d.help_hours_per_week)} h d'ouverture par semaine`)),
      d.share_65plus_pct === null ? null : el("li", {},
        `Part des 65 ans ou plus : ${number(d.share_65plus_pct)} %`)));
  }
  return blocks;
}

// ------------------------------------------------------------------ map
function indexExpression() {
  return ["case", ["==", ["get", "indice"], null], NO_TIME,
    ["step", ["get", "indice"], INDEX_CLASSES[0],
      25, INDEX_CLASSES[1], 50, INDEX_CLASSES[2], 75, INDEX_CLASSES[3]]];
}

function colourExpression() {
  return ["case", ["==", ["get", "travel_time_min"], null], NO_TIME,
    ["step", ["get", "travel_time_min"], CLASSES[0].colour,
      10, CLASSES[1].colour, 20, CLASSES[2].colour, 30, CLASSES[3].colour]];
}

async function initMap() {
  const container = $("carte");
  if (document.body.dataset.maplibre !== "1") {
    container.append(el("p", { class: "carte-absente" },
      "La carte n'est pas installée sur ce serveur (bibliothèque MapLibre absente) ; "
      + "la liste des résultats donne toutes les informations."));
    return;
  }
  try {
    document.head.append(el("link", { rel: "stylesheet",
      href: "/static/vendor/maplibre-gl/maplibre-gl.css" }));
    const maplibregl = await import("/static/vendor/maplibre-gl/maplibre-gl.mjs");
    const map = new maplibregl.Map({
      container,
      style: {
        version: 8,
        sources: {},
        layers: [{ id: "fond", type: "background", paint: { "background-color": "#f4f1ea" } }],
      },
      center: [3.5, 44.5],
      zoom: 7.5,
      attributionControl: false,
      locale: { "Map.Title": "Carte des temps d'accès (mêmes informations que la liste)" },
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.addControl(new maplibregl.AttributionControl({
      compact: false, customAttribution: "Communes : IGN, INSEE · Services : ANCT, La Poste, SNCF",
    }));
    state.map = map;
    state.maplibregl = maplibregl;
    state.mapReady = new Promise((resolve) => map.on("load", resolve));
    await state.mapReady;
    map.addSource("communes", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addSource("services", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "communes-remplissage", type: "fill", source: "communes",
      paint: { "fill-color": colourExpression(), "fill-opacity": 0.85 } });
    map.addLayer({ id: "communes-contour", type: "line", source: "communes",
      paint: { "line-color": "#ffffff", "line-width": 0.6 } });
    map.addLayer({ id: "commune-choisie", type: "line", source: "communes",
      filter: ["==", ["get", "code_insee"], ""],
      paint: { "line-color": "#1a1a1a", "line-width": 3 } });
    map.addLayer({ id: "services-points", type: "circle", source: "services",
      paint: { "circle-radius": 5, "circle-color": "#c2410c",
               "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5 } });
    // Mouse shortcut only: the same choice is made with the search form.
    map.on("click", "communes-remplissage", (event) => {
      const props = event.features?.[0]?.properties;
      if (!props) return;
      $("commune").value = props.nom;
      showCommune({ code_insee: props.code_insee, name: props.nom }, false);
    });
    container.dataset.ready = "1";
    await updateMap();
  } catch (error) {
    state.map = null;
    container.replaceChildren(el("p", { class: "carte-absente" },
      "La carte ne peut pas s'afficher sur cet appareil ; la liste des résultats donne "
      + "toutes les informations."));
    console.warn("carte indisponible", error);
  }
}

async function updateMap() {
  if (!state.map || !state.mapReady) return;
  await state.mapReady;
  const map = state.map;
  const digital = state.layer === "numerique";
  const [communes, services] = digital
    ? [await api("/api/carte/numerique"), { type: "FeatureCollection", features: [] }]
    : await Promise.all([
      api(`/api/carte/communes?category=${encodeURIComponent(state.category)}`),
      api(`/api/carte/services?category=${encodeURIComponent(state.category)}`),
    ]);
  map.setPaintProperty("communes-remplissage", "fill-color",
    digital ? indexExpression() : colourExpression());
  map.getSource("communes")?.setData(communes);
  map.getSource("services")?.setData(services);
  const code = state.commune?.code_insee || "";
  map.setFilter("commune-choisie", ["==", ["get", "code_insee"], code]);
  const feature = communes.features.find((f) => f.properties.code_insee === code);
  const bounds = new state.maplibregl.LngLatBounds();
  const extend = (coords) => (typeof coords[0] === "number" ? bounds.extend(coords)
                                                             : coords.forEach(extend));
  (feature ? [feature] : communes.features).forEach((f) => extend(f.geometry.coordinates));
  if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 40, maxZoom: 9, duration: 0 });
  map.once("idle", () => { $("carte").dataset.rendered = digital ? "numerique" : state.category; });
}

function focusOnMap(service) {
  if (!state.map) return;
  state.map.jumpTo({ center: [service.lon, service.lat], zoom: 12 });
  new state.maplibregl.Popup({ closeButton: true })
    .setLngLat([service.lon, service.lat])
    .setText(`${service.name} — ${minutes(service.travel_time_min)} ${MODE}`)
    .addTo(state.map);
  announce(`${service.name} centré sur la carte.`);
}

// ------------------------------------------------------------------ start
async function fromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const code = params.get("commune");
  const category = params.get("categorie");
  if (category && state.categories.some((c) => c.code === category)) {
    state.category = category;
    $("categorie").value = category;
  }
  if (!code) {
    state.commune = null;
    $("commune").value = "";
    $("communes-trouvees").replaceChildren();
    document.querySelectorAll(".ouvrir-fiche").forEach((b) => b.remove());
    $("resultats-titre").textContent = "Résultats";
    clearResults("Aucune recherche pour l'instant.");
    updateMap();
    return;
  }
  try {
    const fiche = await api(`/api/communes/${encodeURIComponent(code)}`);
    $("commune").value = fiche.name;
    await showCommune(fiche, false, true);
  } catch (error) {
    announce(error.message);
  }
}

async function start() {
  $("recherche").addEventListener("submit", search);
  $("categorie").addEventListener("change", () => {
    state.category = $("categorie").value;
    if (state.commune) showCommune(state.commune, false);
    else {
      remember();
      updateMap();
    }
  });
  document.querySelectorAll("input[name=couche]").forEach((input) =>
    input.addEventListener("change", () => {
      state.layer = input.value;
      $("legende").hidden = state.layer !== "temps";
      $("legende-numerique").hidden = state.layer !== "numerique";
      $("carte-titre").textContent = state.layer === "numerique"
        ? "Carte de la fragilité numérique" : "Carte des temps d'accès";
      updateMap();
    }));
  // Back / Forward, and a permalink pasted into the address bar of an open page
  window.addEventListener("hashchange", () => fromHash());
  try {
    await loadCategories();
  } catch (error) {
    announce(`Les catégories n'ont pas pu être chargées : ${error.message}`);
  }
  initMap();
  await fromHash();
  document.body.dataset.ready = "1";
}

start();
