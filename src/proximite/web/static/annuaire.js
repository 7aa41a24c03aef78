// Annuaire : the places of the inventory, filtered, paged with the API's cursor.
// Same rules as the search page: DOM built with textContent, focus and announcements
// for keyboard and screen-reader users. The filters live in the address (#zone=…&…), so
// that a filtered list can be shared, bookmarked, and followed with Back / Forward.
import { api, el, placeParts } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 20;
// form field -> [address key, API parameter]; the zone is the territory by default
const FIELDS = [["zone", "zone"], ["categorie", "categorie"], ["epci", "epci"],
                ["mode", "mode"]];
const state = { query: null, cursor: null, shown: 0, total: 0 };

function announce(text) {
  $("annonce").textContent = text;
}

function places(n) {
  return `${n.toLocaleString("fr-FR")} lieu${n > 1 ? "x" : ""}`;
}

async function loadFilters() {
  const [categories, epcis] = await Promise.all([api("/api/categories"),
                                                 api("/api/epcis")]);
  $("categorie").append(...categories.filter((c) => c.has_data).map((c) =>
    el("option", { value: c.code }, `${c.label} (${c.n_services})`)));
  $("epci").append(...epcis.map((e) => el("option", { value: e.code }, e.name)));
}

// ------------------------------------------------------------------ address <-> form
function formFromAddress() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const [field, key] of FIELDS) {
    const select = $(field);
    const value = params.get(key);
    const known = [...select.options].some((o) => o.value === value);
    select.value = known ? value : select.options[0].value;
  }
  $("ouvert").checked = params.get("ouvert") === "1";
}

function addressFromForm() {
  const params = new URLSearchParams();
  for (const [field, key] of FIELDS) {
    const value = $(field).value;
    if (value && !(field === "zone" && value === "territoire")) params.set(key, value);
  }
  if ($("ouvert").checked) params.set("ouvert", "1");
  const text = params.toString();
  return text ? `#${text}` : location.pathname;
}

function queryFromForm() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if ($("zone").value === "territoire") params.set("in_territory", "true");
  for (const [field, name] of [["categorie", "category"], ["epci", "epci"],
                               ["mode", "access_mode"]]) {
    if ($(field).value) params.set(name, $(field).value);
  }
  if ($("ouvert").checked) params.set("open_now", "true");
  return params.toString();
}

// ------------------------------------------------------------------ list
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
  const from = first ? 1 : state.shown + 1;
  if (first) {
    list.replaceChildren(...items);
    state.shown = items.length;
  } else {
    list.append(...items);
    state.shown += items.length;
  }
  state.total = page.total;
  state.cursor = page.next_cursor;
  $("suite").hidden = !state.cursor;
  $("liste-titre").textContent = state.shown
    ? `Lieux : ${state.shown < state.total ? `1 à ${state.shown} sur ` : ""}${places(state.total)}`
    : "Lieux";
  if (!state.total) {
    announce("Aucun lieu ne correspond à ces filtres.");
  } else if (first) {
    announce(`${places(state.total)} trouvé${state.total > 1 ? "s" : ""} ; `
             + `${items.length} affiché${items.length > 1 ? "s" : ""}`
             + (state.shown < state.total ? ` (1 à ${state.shown}).` : "."));
  } else {
    announce(`${places(items.length)} de plus : ${from} à ${state.shown} `
             + `sur ${places(state.total)}.`);
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

async function fromAddress(moveFocus) {
  formFromAddress();
  state.query = queryFromForm();
  state.cursor = null;
  await showPage(true, moveFocus);
}

async function start() {
  try {
    await loadFilters();
  } catch (error) {
    announce(`Les filtres n'ont pas pu être chargés : ${error.message}`);
  }
  $("filtres").addEventListener("submit", (event) => {
    event.preventDefault();
    const address = addressFromForm();
    if (address !== location.hash && !(address === location.pathname && !location.hash)) {
      history.pushState(null, "", address);
    }
    state.query = queryFromForm();
    state.cursor = null;
    showPage(true);
  });
  $("suite").addEventListener("click", () => showPage(false));
  // Back / Forward between filter choices, or an address pasted into the open page
  window.addEventListener("hashchange", () => fromAddress(false));
  await fromAddress(false);  // on arrival the focus stays at the top of the page
  document.body.dataset.ready = "1";
}

start();
