"""The map of an itinerant tour: commune polygons, the stops and each day's route."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D

from proximite.planning.tours import ToursResult
from proximite.report.formatting import fmt_number
from proximite.report.maps import png_bytes, report_figure

ROUTE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666")


def tour_map_png(tours: ToursResult, title: str = "", dpi: int = 90, note: str = "") -> bytes:
    """Commune polygons, stops and each day's route (straight legs between stops).

    ``note`` (e.g. the stand-in network warning) is printed under the map so it stays
    with the image.
    """
    fig = report_figure((7.5, 6.0), dpi)
    ax = fig.add_axes((0.01, 0.06, 0.68, 0.85))
    if tours.communes is not None and len(tours.communes):
        tours.communes.plot(ax=ax, color="#f2f2f2", edgecolor="#999999", linewidth=0.3)
    handles: list[Line2D] = []
    for index, day in enumerate(tours.days.itertuples(index=False)):
        stops = tours.timetable[(tours.timetable["day"] == day.day)
                               & (tours.timetable["vehicle"] == day.vehicle)]
        if stops.empty:
            continue
        depot = next(d for d in tours.plan.depots if d.name == day.depot)
        coords = tours.stops.set_index("stop_id").loc[stops["stop_id"], ["lon", "lat"]]
        xs = [depot.lon, *coords["lon"], depot.lon]
        ys = [depot.lat, *coords["lat"], depot.lat]
        colour = ROUTE_COLOURS[index % len(ROUTE_COLOURS)]
        ax.plot(xs, ys, color=colour, linewidth=1.6, zorder=3)
        ax.scatter(xs[1:-1], ys[1:-1], s=18, color=colour, edgecolors="white",
                   linewidths=0.5, zorder=4)
        label = f"{day.weekday} (sem. {day.week})" if tours.plan.weeks() > 1 \
            else str(day.weekday)
        if tours.plan.n_vehicles > 1 or len(tours.plan.depots) > 1:
            label += f", véhicule {day.vehicle}"
        handles.append(Line2D([], [], color=colour, linewidth=1.6, label=label))
    for depot in tours.plan.depots:
        ax.scatter([depot.lon], [depot.lat], marker="*", s=140, color="#222222",
                   edgecolors="white", zorder=5)
    handles.append(Line2D([], [], marker="*", linestyle="", markersize=10,
                          color="#222222", label="dépôt"))
    ax.set_aspect(1.0 / max(math.cos(math.radians(
        float(np.mean([d.lat for d in tours.plan.depots])))), 0.1))
    ax.set_axis_off()
    fig.suptitle(title or f"{tours.plan.label} : tournées", fontsize=11, x=0.02, ha="left")
    fig.text(0.02, 0.015,
             f"Population desservie (à moins de {tours.plan.coverage_min:g} min d'un "
             f"arrêt) : {fmt_number(tours.population_served)} hab.",
             fontsize=8, ha="left", va="bottom")
    if note:
        fig.text(0.02, 0.04, note, fontsize=7, color="#8a3f00", ha="left",
                 va="bottom", wrap=True)
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.70, 0.5),
               title="Tournées", fontsize=9, title_fontsize=9, frameon=False)
    return png_bytes(fig)
