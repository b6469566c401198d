"""The back office's front page: who is online, traffic, and what needs attention."""
from __future__ import annotations

from flask_admin import AdminIndexView, expose
from flask_babel import format_date

from actions.dashboard import DailyCount, dashboard
from admin.security import OperatorAccess

# The SVG's size, and the plot inside it: room on the left for the count axis, below for the days.
CHART_WIDTH, CHART_HEIGHT = 640, 200
PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM = 48, 10, 160


def axis_top(peak: int) -> int:
    """The count axis' top: the smallest 1, 2 or 5 times a power of ten at or above the busiest day."""
    top = 1
    while top < peak:
        top = top * 5 // 2 if str(top).startswith("2") else top * 2
    return top


def bar_chart(days: list[DailyCount]) -> list[dict]:
    """Bars for the inline SVG chart: x, y, width, height per day (no chart library needed)."""
    top = axis_top(max((day.count for day in days), default=0))
    width = (CHART_WIDTH - PLOT_LEFT) / max(len(days), 1)
    plot_height = PLOT_BOTTOM - PLOT_TOP
    return [{"x": round(PLOT_LEFT + index * width + 1, 1), "width": round(width - 2, 1),
             "height": round(day.count / top * plot_height, 1),
             "y": round(PLOT_BOTTOM - day.count / top * plot_height, 1),
             "day": day.day.isoformat(), "count": day.count} for index, day in enumerate(days)]


def chart_axes(days: list[DailyCount], bars: list[dict]) -> dict:
    """The axes' ticks: counts (0, half the top rounded down, the top: 0, 2, 5 up to 5) and days
    (first, middle, last)."""
    top = axis_top(max((day.count for day in days), default=0))
    counts = [0, top // 2, top] if top >= 2 else [0, top]
    y_ticks = [{"value": count, "y": round(PLOT_BOTTOM - count / top * (PLOT_BOTTOM - PLOT_TOP), 1)}
               for count in counts]
    picked = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    x_ticks = [{"x": round(bars[index]["x"] + bars[index]["width"] / 2, 1),
                "label": format_date(days[index].day, "MMM d")} for index in picked]
    return {"y_ticks": y_ticks, "x_ticks": x_ticks, "left": PLOT_LEFT, "top": PLOT_TOP, "bottom": PLOT_BOTTOM,
            "width": CHART_WIDTH, "height": CHART_HEIGHT}


class SecureIndexView(OperatorAccess, AdminIndexView):
    @expose("/")
    def index(self):
        """The dashboard."""
        numbers = dashboard()
        bars = bar_chart(numbers.messages_per_day)
        return self.render("admin/index.html", numbers=numbers, bars=bars,
                           axes=chart_axes(numbers.messages_per_day, bars))
