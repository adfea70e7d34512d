"""The retroplanning as a picture: `/plan timeline` (`/plan frise`) and the digest's PNG.

One row per milestone, in date order, its label on the left (number, title,
owner's company, date) and its marker on a shared date axis: done, overdue and
upcoming differ by shape *and* colour (colour-blind safe palette), an overdue
milestone draws a bar to today, a moved milestone shows its earlier dates as
hollow grey circles joined to where it is now. D-day and today are vertical
lines. Dates, months and labels are in the channel's language (Babel) and the
"today" of the channel's time zone.

Readable at chat width whatever the plan's size: at most `MAX_ROWS` labelled
rows (overdue first, then the next upcoming, then the latest done); the rest
are grouped on one unlabelled row whose count is written out, so labels never
overlap. The text alternative (`describe`) stands alone and names every
overdue milestone, shown in the picture or not.

Headless like `bot.kpi.charts`: the Agg canvas directly, no pyplot state.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from bot.kernel.i18n import Translator
from bot.kernel.registry import DigestWeek, RenderContext
from bot.kernel.tenancy import parties, people
from bot.kernel.types import Attachment, Reply, Tenant, Visibility
from bot.planning.dates import local_today
from storage.models import Milestone, MilestoneMove, Partnership
from storage.models.planning import CANCELLED, DONE

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_PX = 800
DPI = 100
ROW_PX = 22
HEADER_PX = 92
FOOTER_PX = 34
LEFT_PX = 330
RIGHT_PX = 24
MIN_ROWS = 3
# Labelled rows at most: 30 rows of 22 px keep the picture under 800 px tall.
MAX_ROWS = 30
LABEL_MAX = 46  # characters, at 8 pt in LEFT_PX
COMPANY_MAX = 16
MIN_SPAN_DAYS = 14
OVERDUE_LISTED = 1000  # the text names every overdue milestone (a sanity cap only)
MOVES_LISTED = 10

DONE_STATE = "done"
OVERDUE = "overdue"
UPCOMING = "upcoming"
# Okabe-Ito colours (safe for the common colour-blindnesses) and distinct shapes.
STYLE = {
    DONE_STATE: ("#009E73", "o"),  # green circle
    OVERDUE: ("#D55E00", "X"),  # vermilion cross
    UPCOMING: ("#0072B2", "s"),  # blue square
}
PREVIOUS_COLOR = "#8c8c8c"
DDAY_COLOR = "#7b3294"
TODAY_COLOR = "#333333"


@dataclass(frozen=True, slots=True)
class Item:
    number: int
    title: str
    due: date
    state: str  # DONE_STATE, OVERDUE or UPCOMING
    company: str  # the owners' companies (or names when unknown), "" when nobody
    # Earlier dates of a moved milestone, oldest first.
    previous: tuple[date, ...] = ()

    @property
    def moved(self) -> bool:
        return bool(self.previous)


@dataclass(frozen=True, slots=True)
class Timeline:
    items: list[Item]  # every milestone but the cancelled ones, by date
    launch: date | None
    today: date
    cancelled: int = 0
    # Earlier D-days, oldest first.
    launch_previous: tuple[date, ...] = ()
    # Rows of the picture; the rest are grouped (see `layout`).
    shown: list[Item] = field(default_factory=list)
    hidden: list[Item] = field(default_factory=list)

    @property
    def overdue(self) -> list[Item]:
        return [i for i in self.items if i.state == OVERDUE]

    @property
    def is_empty(self) -> bool:
        return not self.items and self.launch is None


# -- reading ---------------------------------------------------------------------


def build(
    items: Sequence[Item],
    launch: date | None,
    today: date,
    cancelled: int = 0,
    launch_previous: Sequence[date] = (),
) -> Timeline:
    """A timeline from items (in any order), with the rows it shows chosen."""
    ordered = sorted(items, key=lambda i: (i.due, i.number))
    shown, hidden = layout(ordered)
    return Timeline(ordered, launch, today, cancelled, tuple(launch_previous), shown, hidden)


def layout(items: Sequence[Item], max_rows: int = MAX_ROWS) -> tuple[list[Item], list[Item]]:
    """(shown, hidden): all when they fit; else overdue first (oldest first), then the
    next upcoming, then the latest done, shown in date order; one row is kept for the
    group of the others."""
    if len(items) <= max_rows:
        return list(items), []
    room = max_rows - 1
    overdue = [i for i in items if i.state == OVERDUE]
    upcoming = [i for i in items if i.state == UPCOMING]
    done = sorted((i for i in items if i.state == DONE_STATE), key=lambda i: i.due, reverse=True)
    picked = (overdue + upcoming + done)[:room]
    keep = {id(i) for i in picked}
    return [i for i in items if id(i) in keep], [i for i in items if id(i) not in keep]


def load(session: Session, partnership: Partnership, today: date) -> Timeline:
    """The partnership's timeline as stored: milestones, their moves, owners' companies."""
    tenant = Tenant(partnership.platform, partnership.team_id)
    rows = list(
        session.exec(
            select(Milestone)
            .where(
                Milestone.platform == tenant.platform,
                Milestone.team_id == tenant.team_id,
                Milestone.partnership_id == partnership.id,
            )
            .order_by(col(Milestone.due_date), col(Milestone.number))
        ).all()
    )
    moves: dict[int | None, list[MilestoneMove]] = {}
    for move in session.exec(
        select(MilestoneMove)
        .where(
            MilestoneMove.platform == tenant.platform,
            MilestoneMove.team_id == tenant.team_id,
            MilestoneMove.partnership_id == partnership.id,
        )
        .order_by(col(MilestoneMove.moved_at), col(MilestoneMove.id))
    ):
        moves.setdefault(move.milestone_id, []).append(move)
    company_of = {
        user: party.name for party, users in parties(session, partnership) for user in users
    }
    owners = {o for m in rows for o in m.owners if o not in company_of}
    names = people(session, tenant, partnership, owners)
    items: list[Item] = []
    cancelled = 0
    for m in rows:
        if m.status == CANCELLED:
            cancelled += 1
            continue
        state = DONE_STATE if m.status == DONE else OVERDUE if m.due_date < today else UPCOMING
        companies = [company_of.get(o) or names.get(o, o) for o in m.owners]
        previous = tuple(
            dict.fromkeys(
                mv.old_date for mv in moves.get(m.id or 0, []) if mv.old_date != m.due_date
            )
        )
        items.append(
            Item(
                number=m.number,
                title=m.title,
                due=m.due_date,
                state=state,
                company=" / ".join(dict.fromkeys(companies)),
                previous=previous,
            )
        )
    launch = partnership.launch_date
    earlier = [mv.old_date for mv in moves.get(None, []) if mv.old_date != launch]
    return build(items, launch, today, cancelled, list(dict.fromkeys(earlier)))


# -- words -------------------------------------------------------------------------


def short_date(day: date, lang: str, *, with_year: bool = False) -> str:
    from babel.dates import format_date

    return format_date(day, "d MMM y" if with_year else "d MMM", locale=lang)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)].rstrip() + "…"


def row_label(item: Item, lang: str, *, with_year: bool = False) -> str:
    """'#3 Landing page · Acme · 12 Mar', the title shortened first so the rest stays."""
    company = f" · {_truncate(item.company, COMPANY_MAX)}" if item.company else ""
    tail = f"{company} · {short_date(item.due, lang, with_year=with_year)}"
    head = f"#{item.number} "
    return head + _truncate(item.title, LABEL_MAX - len(head) - len(tail)) + tail


def describe(tl: Timeline, t: Translator) -> list[str]:
    """The text alternative, one sentence a line: reads on its own, without the picture."""
    fmt = t("format.date")
    lines: list[str] = []
    if tl.items:
        lines.append(
            t(
                "plan.timeline.alt_span",
                count=len(tl.items),
                first=tl.items[0].due.strftime(fmt),
                last=tl.items[-1].due.strftime(fmt),
            )
        )
    else:
        lines.append(t("plan.timeline.alt_no_milestones"))
    if tl.launch is not None:
        days = (tl.launch - tl.today).days
        key = "alt_dday" if days > 0 else "alt_dday_today" if days == 0 else "alt_dday_past"
        lines.append(t(f"plan.timeline.{key}", date=tl.launch.strftime(fmt), count=abs(days)))
        if tl.launch_previous:
            earlier = ", ".join(d.strftime(fmt) for d in tl.launch_previous)
            lines.append(t("plan.timeline.alt_dday_moved", dates=earlier))
    else:
        lines.append(t("plan.timeline.alt_no_dday"))
    lines.append(t("plan.timeline.alt_today", date=tl.today.strftime(fmt)))
    overdue = tl.overdue
    if overdue:
        lines.append(t("plan.timeline.alt_overdue", count=len(overdue)))
        lines.extend(
            "• "
            + t(
                "plan.timeline.alt_overdue_item",
                number=i.number,
                title=i.title,
                company=i.company or "—",
                date=i.due.strftime(fmt),
                count=(tl.today - i.due).days,  # the days late
            )
            for i in overdue[:OVERDUE_LISTED]
        )
    else:
        lines.append(t("plan.timeline.alt_no_overdue"))
    done = sum(1 for i in tl.items if i.state == DONE_STATE)
    upcoming = [i for i in tl.items if i.state == UPCOMING]
    if upcoming:
        nxt = upcoming[0]
        lines.append(
            t(
                "plan.timeline.alt_upcoming",
                done=done,
                count=len(upcoming),
                number=nxt.number,
                title=nxt.title,
                company=nxt.company or "—",
                date=nxt.due.strftime(fmt),
            )
        )
    else:
        lines.append(t("plan.timeline.alt_done_only", done=done))
    moved = [i for i in tl.items if i.moved]
    if moved:
        described = [
            t(
                "plan.timeline.alt_moved_item",
                number=i.number,
                title=i.title,
                old=i.previous[0].strftime(fmt),
                new=i.due.strftime(fmt),
            )
            for i in moved[:MOVES_LISTED]
        ]
        more = len(moved) - MOVES_LISTED
        sep = t("plan.timeline.alt_separator")
        text = sep.join(described) + (t("plan.timeline.alt_more", count=more) if more > 0 else "")
        lines.append(t("plan.timeline.alt_moved", count=len(moved), items=text))
    if tl.cancelled:
        lines.append(t("plan.timeline.alt_cancelled", count=tl.cancelled))
    if tl.hidden:
        lines.append(t("plan.timeline.alt_grouped", shown=len(tl.shown), count=len(tl.hidden)))
    return lines


# -- the picture ---------------------------------------------------------------------


def rows_of(tl: Timeline) -> int:
    return max(MIN_ROWS, len(tl.shown) + (1 if tl.hidden else 0))


def size_for(tl: Timeline) -> tuple[int, int]:
    """The PNG's (width, height) in pixels: chat width, one band per row."""
    return WIDTH_PX, HEADER_PX + FOOTER_PX + rows_of(tl) * ROW_PX


def _span(tl: Timeline) -> tuple[date, date]:
    days = [tl.today, *(i.due for i in tl.items), *(d for i in tl.items for d in i.previous)]
    days.extend(tl.launch_previous)
    if tl.launch is not None:
        days.append(tl.launch)
    first, last = min(days), max(days)
    if (last - first).days < MIN_SPAN_DAYS:
        middle = first + (last - first) / 2
        first = middle - timedelta(days=MIN_SPAN_DAYS / 2)
        last = middle + timedelta(days=MIN_SPAN_DAYS / 2)
    pad = timedelta(days=max(1, round((last - first).days * 0.04)))
    return first - pad, last + pad


def render(tl: Timeline, t: Translator) -> bytes:
    figure = draw(tl, t)
    buffer = io.BytesIO()
    # No bbox="tight": the size stays exactly what size_for() says.
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def draw(tl: Timeline, t: Translator) -> Figure:
    """The figure, drawn on its own Agg canvas (no pyplot state)."""
    # Imported here, as in bot.kpi.charts: only pictures pay matplotlib's start-up.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, date2num
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    lang = t.lang
    width, height = size_for(tl)
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_axes(
        (
            LEFT_PX / width,
            FOOTER_PX / height,
            (width - LEFT_PX - RIGHT_PX) / width,
            (height - HEADER_PX - FOOTER_PX) / height,
        )
    )
    rows = rows_of(tl)
    first, last = _span(tl)
    ax.set_xlim(date2num(first), date2num(last))
    ax.set_ylim(rows - 0.5, -0.5)  # row 0 at the top
    for y, item in enumerate(tl.shown):
        color, marker = STYLE[item.state]
        x = date2num(item.due)
        if item.state == OVERDUE:
            ax.plot(
                [x, date2num(tl.today)],
                [y, y],
                color=color,
                linewidth=2,
                alpha=0.45,
                solid_capstyle="butt",
            )
        if item.previous:
            xs = [date2num(d) for d in item.previous]
            ax.plot(
                [*xs, x], [y] * (len(xs) + 1), color=PREVIOUS_COLOR, linestyle=":", linewidth=1.2
            )
            ax.plot(
                xs,
                [y] * len(xs),
                linestyle="none",
                marker="o",
                markersize=6,
                markerfacecolor="white",
                markeredgecolor=PREVIOUS_COLOR,
                markeredgewidth=1.3,
            )
        ax.plot(
            [x],
            [y],
            linestyle="none",
            marker=marker,
            markersize=8,
            color=color,
            markeredgecolor="white",
            markeredgewidth=0.6,
        )
    years = first.year != last.year  # a date without its year would be ambiguous
    labels = [row_label(i, lang, with_year=years) for i in tl.shown]
    if tl.hidden:
        y = len(tl.shown)
        for state in (DONE_STATE, UPCOMING, OVERDUE):
            group = [date2num(i.due) for i in tl.hidden if i.state == state]
            if group:
                color, marker = STYLE[state]
                ax.plot(
                    group,
                    [y] * len(group),
                    linestyle="none",
                    marker=marker,
                    markersize=5,
                    color=color,
                    alpha=0.7,
                )
        labels.append(t("plan.timeline.grouped_row", count=len(tl.hidden)))
    if not tl.items:
        ax.text(
            0.5,
            0.5,
            t("plan.timeline.no_milestones"),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=10,
            color=TODAY_COLOR,
        )
    ax.set_yticks(range(len(labels)), labels)
    ax.tick_params(axis="y", length=0, labelsize=8)
    ax.tick_params(axis="x", labelsize=8)
    for y in range(0, rows, 2):  # zebra bands guide the eye from label to marker
        ax.axhspan(y - 0.5, y + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
    # Dates with their year are longer: fewer ticks, so they never touch.
    locator = AutoDateLocator(minticks=3, maxticks=5 if years else 8)
    ax.xaxis.set_major_locator(locator)
    long_span = (last - first).days > 240

    def tick(value: float, _: object) -> str:
        from matplotlib.dates import num2date

        day = num2date(value).date()
        if long_span:
            from babel.dates import format_date

            return format_date(day, "MMM y", locale=lang)
        return short_date(day, lang, with_year=years)

    ax.xaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(axis="x", alpha=0.25)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)

    # The two vertical lines, their labels stacked in the header (never on each other).
    def align(day: date) -> str:
        """Labels near an edge grow inwards, so none is cut."""
        share = (day - first).days / max(1, (last - first).days)
        return "left" if share < 0.2 else "right" if share > 0.8 else "center"

    today_x = date2num(tl.today)
    ax.axvline(today_x, color=TODAY_COLOR, linestyle="--", linewidth=1.2)
    ax.annotate(
        t("plan.timeline.today", date=short_date(tl.today, lang, with_year=years)),
        xy=(today_x, 1),
        xycoords=("data", "axes fraction"),
        xytext=(0, 2),
        textcoords="offset points",
        ha=align(tl.today),
        va="bottom",
        fontsize=8,
        color=TODAY_COLOR,
        annotation_clip=False,
    )
    for day in tl.launch_previous:
        ax.axvline(date2num(day), color=DDAY_COLOR, linestyle=":", linewidth=1.2, alpha=0.6)
    if tl.launch is not None:
        launch_x = date2num(tl.launch)
        ax.axvline(launch_x, color=DDAY_COLOR, linewidth=2)
        ax.annotate(
            t("plan.timeline.dday", date=short_date(tl.launch, lang, with_year=True)),
            xy=(launch_x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, 15),
            textcoords="offset points",
            ha=align(tl.launch),
            va="bottom",
            fontsize=9,
            fontweight="bold",
            color=DDAY_COLOR,
            annotation_clip=False,
        )
    figure.text(
        8 / width, 1 - 20 / height, t("plan.timeline.picture_title"), fontsize=11, fontweight="bold"
    )
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker=STYLE[s][1],
            color=STYLE[s][0],
            markersize=7,
            label=t(f"plan.timeline.legend.{s}"),
        )
        for s in (DONE_STATE, OVERDUE, UPCOMING)
    ]
    handles.append(
        Line2D(
            [],
            [],
            linestyle=":",
            marker="o",
            color=PREVIOUS_COLOR,
            markerfacecolor="white",
            markersize=6,
            label=t("plan.timeline.legend.previous"),
        )
    )
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(8 / width, 1 - 30 / height),
        ncol=4,
        fontsize=8,
        frameon=False,
        handletextpad=0.3,
        columnspacing=1.2,
    )
    return figure


# -- replies ------------------------------------------------------------------------


def attachment(tl: Timeline, t: Translator, name: str = "timeline.png") -> Attachment:
    return Attachment(
        filename=name, content=render(tl, t), mime="image/png", alt=" ".join(describe(tl, t))
    )


def reply(tl: Timeline, t: Translator) -> Reply:
    """`/plan timeline`: the picture, and its text alternative as the message."""
    if tl.is_empty:
        return Reply(text=t("plan.empty"), visibility=Visibility.EPHEMERAL)
    lines = describe(tl, t)
    return Reply(
        title=t("plan.timeline.title", count=len(tl.items)),
        sections=lines,
        image=attachment(tl, t),
        footer=t("plan.timeline.footer"),
        visibility=Visibility.EPHEMERAL,
    )


def digest_attachment(
    session: Session, partnership: Partnership, week: DigestWeek, rc: RenderContext
) -> list[Attachment]:
    """The weekly digest's timeline picture; nothing when the plan has no milestone."""
    from bot.planning.reminders import zone, zone_name

    now = rc.now if isinstance(rc.now, datetime) else week.end
    assert isinstance(now, datetime)
    tz = zone(zone_name(session, partnership, rc.timezone))
    tl = load(session, partnership, local_today(now, tz))
    if not tl.items:
        return []
    t = Translator(rc.lang)
    return [attachment(tl, t, name=f"timeline-{week.year}-W{week.week:02d}.png")]
