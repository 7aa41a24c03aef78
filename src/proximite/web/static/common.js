// Shared by the géoportail's pages: DOM building (textContent only, never HTML from
// data), API calls with French error messages, and the French wording of times, hours
// and access modes.

export const MODES = {
  on_site: "sur place",
  itinerant: "itinérant",
  phone: "par téléphone",
  video: "en visio",
  online: "en ligne",
};

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.detail || `Erreur ${response.status}`);
  }
  return body;
}

export function minutes(value) {
  if (value === null || value === undefined) return "temps non calculé";
  const rounded = Math.round(value);
  if (rounded < 1) return "moins d'une minute";
  if (rounded < 60) return `${rounded} min`;
  const h = Math.floor(rounded / 60);
  const m = rounded % 60;
  return m ? `${h} h ${String(m).padStart(2, "0")}` : `${h} h`;
}

const DAY = new Intl.DateTimeFormat("fr-FR", { weekday: "long", timeZone: "Europe/Paris" });
const HOUR = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit",
                                                timeZone: "Europe/Paris" });

function when(iso, evaluated) {
  const date = new Date(iso);
  const ref = new Date(evaluated);
  const sameDay = date.toDateString() === ref.toDateString();
  const hour = HOUR.format(date).replace(":", " h ");
  return sameDay ? `à ${hour}` : `${DAY.format(date)} à ${hour}`;
}

export function hoursText(service, evaluated) {
  if (service.hours_state === "open") {
    return service.next_change ? `Ouvert maintenant, ferme ${when(service.next_change, evaluated)}`
                               : "Ouvert maintenant";
  }
  if (service.hours_state === "closed") {
    return service.next_change ? `Fermé, ouvre ${when(service.next_change, evaluated)}`
                               : "Fermé";
  }
  return rawHoursText(service.opening_hours_raw);
}

function clock(text) {
  const [h, m] = text.split(":");
  return `${Number(h)} h ${m}`;
}

// The source's own hours text, when it is not an OSM expression the server could read:
// "HH:MM-HH:MM", optionally followed by "sauf Jour|Jour" (prix-carburants), becomes a
// sentence; anything else is quoted as given.
function exceptDays(text) {
  if (!text) return "";
  const days = text.split("|").map((d) => `le ${d.trim().toLowerCase()}`);
  const list = days.length > 1 ? `${days.slice(0, -1).join(", ")} et ${days.at(-1)}` : days[0];
  return `, sauf ${list}`;
}

export function rawHoursText(raw) {
  if (!raw) return "Horaires non renseignés";
  const range = /^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})(?:\s+sauf\s+([\p{L}|]+))?\s*$/u
    .exec(raw);
  if (!range) return `Horaires indiqués par la source : « ${raw} »`;
  const [, from, to, except] = range;
  if (from === to) {
    return `La source indique la même heure d'ouverture et de fermeture (${clock(from)})`
      + `${exceptDays(except)} : horaires inconnus, à vérifier auprès du lieu.`;
  }
  return `Horaires indiqués par la source : de ${clock(from)} à ${clock(to)}`
    + `${exceptDays(except)}.`;
}

export function modesText(modes) {
  if (!modes || !modes.length) return null;
  return "Accès : " + modes.map((m) => MODES[m] || m).join(", ");
}

export function osmLink(service) {
  const lat = service.lat.toFixed(5);
  const lon = service.lon.toFixed(5);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
}

// What both pages say about a place: its name (h3), category and operator, address,
// hours, access modes, and how to get there (its location on OpenStreetMap, where
// directions can be asked for). Null parts are skipped by el().
export function placeParts(service, evaluated) {
  const modes = modesText(service.access_modes);
  return [
    el("h3", {}, service.name || service.category_label),
    el("p", {}, service.category_label
      + (service.operator && service.operator !== service.name ? ` · ${service.operator}` : "")),
    service.address ? el("p", {}, service.address) : null,
    el("p", { class: `horaires ${service.hours_state}` }, hoursText(service, evaluated)),
    modes ? el("p", {}, modes) : null,
    el("p", {}, el("a", { class: "osm", href: osmLink(service) },
      `Plan d'accès de ${service.name || "ce lieu"} sur OpenStreetMap`)),
  ];
}
