// Annuaire : every place of the inventory, filtered, paged with the API's cursor.
// Same rules as the search page: DOM built with textContent, focus and announcements
// for keyboard and screen-reader users.
import { api, el, placeParts } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 20;
const state = { query: null, cursor: null, shown: 0 };

function announce(text) {
  $("annonce").textContent = text;
}

async function loadFilters() {
  const [categories, epcis] = await Promise.all([api("/api/categories"),
                                                 api("/api/epcis")]);
  $("categorie").append(...categories.filter((c) => c.has_data).map((c) =>
    el("option", { value: c.code }, `${c.label} (${c.n_services})`)));
  $("epci").append(...epcis.map((e) => el("option", { value: e.code }, e.name)));
}

function queryFromForm() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [field, name] of [["categorie", "category"], ["epci", "epci"],
                               ["mode", "access_mode"]]) {
    if ($(field).value) params.set(name, $(field).value);
  }
  if ($("ouvert").checked) params.set("open_now", "true");
  return params;
}

function placeItem(service, evaluated) {
  return el("li", { class: "service", "data-service-id": service.service_id },
    ...placeParts(service, evaluated));
}

async function showPage(first, moveFocus = true) {
  const params = new URLSearchParams(state.query);
  if (!first && state.cursor) params.set("cursor", state.cursor);
  let page;
  try {
    page = await api(`/api/services?${params}`);
  } catch (error) {
    announce(`L'annuaire n'a pas pu être chargé : ${error.message}`);
    return;
  }
  const list = $("liste");
  const items = page.services.map((s) => placeItem(s, page.evaluated_at));
  if (first) {
    list.replaceChildren(...items);
    state.shown = items.length;
  } else {
    list.append(...items);
    state.shown += items.length;
  }
  state.cursor = page.next_cursor;
  $("suite").hidden = !state.cursor;
  $("liste-titre").textContent = state.shown
    ? `Lieux (${state.shown} affichés${state.cursor ? ", d'autres suivent" : ""})`
    : "Lieux";
  if (!state.shown) {
    announce("Aucun lieu ne correspond à ces filtres.");
  } else {
    announce(`${items.length} lieu${items.length > 1 ? "x" : ""} `
             + `${first ? "trouvé" : "de plus"}${items.length > 1 ? "s" : ""}.`);
  }
  if (!moveFocus) return;
  if (first) {
    $("liste-titre").focus();
  } else if (items.length) {
    // keep the keyboard where reading continues: the first new place
    items[0].setAttribute("tabindex", "-1");
    items[0].focus();
  }
}

async function start() {
  try {
    await loadFilters();
  } catch (error) {
    announce(`Les filtres n'ont pas pu être chargés : ${error.message}`);
  }
  $("filtres").addEventListener("submit", (event) => {
    event.preventDefault();
    state.query = queryFromForm().toString();
    state.cursor = null;
    showPage(true);
  });
  $("suite").addEventListener("click", () => showPage(false));
  state.query = queryFromForm().toString();
  await showPage(true, false);  // on arrival the focus stays at the top of the page
  document.body.dataset.ready = "1";
}

start();
