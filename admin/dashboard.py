"""The back office's front page: who is online, traffic, and what needs attention."""
from __future__ import annotations

from flask_admin import AdminIndexView, expose

from actions.dashboard import DailyCount, dashboard
from admin.security import OperatorAccess

CHART_WIDTH, CHART_HEIGHT = 600, 160


def bar_chart(days: list[DailyCount]) -> list[dict]:
    """Bars for the inline SVG chart: x, y, width, height per day (no chart library needed)."""
    peak = max((day.count for day in days), default=0) or 1
    width = CHART_WIDTH / max(len(days), 1)
    return [{"x": round(index * width + 1, 1), "width": round(width - 2, 1),
             "height": round(day.count / peak * (CHART_HEIGHT - 20), 1),
             "y": round(CHART_HEIGHT - day.count / peak * (CHART_HEIGHT - 20), 1),
             "day": day.day.isoformat(), "count": day.count} for index, day in enumerate(days)]


class SecureIndexView(OperatorAccess, AdminIndexView):
    @expose("/")
    def index(self):
        """The dashboard."""
        numbers = dashboard()
        return self.render("admin/index.html", numbers=numbers, bars=bar_chart(numbers.messages_per_day),
                           chart_width=CHART_WIDTH, chart_height=CHART_HEIGHT)
