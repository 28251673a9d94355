"""Where a domain's mail goes, drawn as a small SVG. Pure: no Django, no I/O.

Senders on the left, then the preference groups left to right, most preferred first;
each exchanger is a box, this server's box is highlighted and says what this server
does with the mail. Every piece of text is escaped, so a name can never inject markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

from mxroute.core.names import to_unicode
from mxroute.core.routing import Detection, Mode, PlanEntry

SVG_NS = "http://www.w3.org/2000/svg"
MARGIN = 12
SENDERS_W = 130
BOX_W, BOX_H = 210, 64
GAP_X, GAP_Y = 46, 12
HEAD_H = 40
FOOT_H = 34
MIN_WIDTH = 500
NAME_CHARS = 27
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"

# What this server does, by effective mode: on its own box, and as the closing sentence.
DOES = {
    Mode.LOCAL: "delivers here",
    Mode.BACKUP: "holds and relays",
    Mode.REMOTE: "passes on, does not accept",
}
_PLAIN = {"fill": "#ffffff", "stroke": "#4b5563", "stroke-width": "1.5"}
_SELF = {"fill": "#fff3c4", "stroke": "#9a5b00", "stroke-width": "3"}
_SENDERS = {"fill": "#e8eef6", "stroke": "#4b5563", "stroke-width": "1.5"}


def where_mail_goes(detection: Detection, effective: Mode) -> str:
    """The SVG (text) of ``detection``'s delivery plan under the ``effective`` mode."""
    effective = detection.mode if effective is Mode.AUTO else effective
    groups = detection.groups
    rows = max([len(entries) for _, entries in groups] + [1])
    has_self = any(e.is_self for _, entries in groups for e in entries)
    if not has_self and not detection.accepts_no_mail:
        rows = max(rows, 2)  # room for the stand-alone "this server" box under the senders
    width = max(MIN_WIDTH, 2 * MARGIN + SENDERS_W + len(groups) * (GAP_X + BOX_W))
    height = MARGIN + HEAD_H + rows * (BOX_H + GAP_Y) + FOOT_H
    title = f"Where mail for {to_unicode(detection.domain)} goes"
    closing = verdict(detection, effective)
    parts = [
        f'<svg xmlns="{SVG_NS}" role="img" aria-labelledby="mailmap-title mailmap-desc" '
        f'class="mailmap" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{escape(FONT)}" font-size="13">',
        f'<title id="mailmap-title">{escape(title)}</title>',
        f'<desc id="mailmap-desc">{escape(describe(detection, effective))}</desc>',
        '<defs><marker id="mailmap-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#374151"/></marker></defs>',
    ]
    top = MARGIN + HEAD_H
    parts += _box(
        "senders", MARGIN, top, SENDERS_W, ["Senders", "on the Internet"], _SENDERS, "Senders"
    )
    if not has_self and not detection.accepts_no_mail:
        parts += _box(
            "self outside",
            MARGIN,
            top + BOX_H + GAP_Y,
            SENDERS_W,
            ["This server", *_wrap(DOES[effective], 18)],
            _SELF,
            f"This server: {DOES[effective]} (it is not in the MX records)",
        )
    x = MARGIN + SENDERS_W
    for index, (priority, entries) in enumerate(groups):
        parts.append(_arrow(x, x + GAP_X, top + BOX_H // 2))
        x += GAP_X
        parts.extend(_group(index, priority, entries, x, effective, detection))
        x += BOX_W
    parts.append(
        f'<text class="verdict" x="{MARGIN}" y="{height - MARGIN}" font-weight="bold" '
        f'fill="#111827">{escape(closing)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def verdict(detection: Detection, effective: Mode) -> str:
    """One short sentence: what this server does with the domain's mail."""
    if detection.accepts_no_mail:
        return "The domain accepts no mail at all (Null MX)."
    if effective is Mode.LOCAL:
        return "This server delivers the mail here, into local mailboxes."
    if effective is Mode.BACKUP:
        relay = detection.relay_to
        if not relay:
            return "This server holds the mail, but has no better exchanger to relay it to."
        first = _fit(_name(relay[0]), NAME_CHARS)
        more = f" (or {len(relay) - 1} more)" if len(relay) > 1 else ""
        return f"This server holds the mail and relays it to {first}{more}."
    return "This server passes the mail on; it does not accept it."


def describe(detection: Detection, effective: Mode) -> str:
    """The picture in words, for screen readers (the SVG's ``desc``)."""
    words = [
        f"Priority {priority}: "
        + ", ".join(_name(e) + (" (this server)" if e.is_self else "") for e in entries)
        + "."
        for priority, entries in detection.groups
    ]
    return " ".join([*words, verdict(detection, effective)])


def _group(
    index: int,
    priority: int,
    entries: tuple[PlanEntry, ...],
    x: int,
    effective: Mode,
    detection: Detection,
) -> Iterator[str]:
    order = "tried first" if index == 0 else "tried next"
    yield f'<g class="group" data-priority="{priority}">'
    yield (
        f'<text class="heading" x="{x}" y="{MARGIN + 14}" font-weight="bold" '
        f'fill="#111827">{escape(f"Priority {priority}, {order}")}</text>'
    )
    if len(entries) > 1:
        yield (
            f'<text class="shared" x="{x}" y="{MARGIN + 30}" fill="#374151">'
            "share mail at random</text>"
        )
    y = MARGIN + HEAD_H
    for entry in entries:
        if entry.is_self:
            classes, style, roles = "exchanger self", _SELF, ["this server", DOES[effective]]
        elif entry.record.is_null:
            classes, style, roles = "exchanger null", _PLAIN, ["accepts no mail"]
        elif not entry.usable:
            classes, style, roles = "exchanger unresolved", _PLAIN, ["does not resolve"]
        else:
            classes, style = "exchanger", _PLAIN
            roles = ["no MX: the domain itself"] if detection.implicit else []
        full = ": ".join([_name(entry), ", ".join(roles)]) if roles else _name(entry)
        lines = [_fit(_name(entry), NAME_CHARS), *roles]
        yield from _box(classes, x, y, BOX_W, lines, style, full)
        y += BOX_H + GAP_Y
    yield "</g>"


def _box(
    classes: str, x: int, y: int, width: int, lines: list[str], style: dict[str, str], full: str
) -> Iterator[str]:
    """A rectangle with a name and up to two more lines, and its full text as a tooltip."""
    dashed = ' stroke-dasharray="5 4"' if "unresolved" in classes else ""
    paint = " ".join(f'{k}="{v}"' for k, v in style.items())
    yield f'<g class="{classes}"><title>{escape(full)}</title>'
    yield f'<rect x="{x}" y="{y}" width="{width}" height="{BOX_H}" rx="6" {paint}{dashed}/>'
    name, *roles = lines
    yield f'<text class="name" x="{x + 10}" y="{y + 20}" fill="#111827">{escape(name)}</text>'
    for line, text in enumerate(roles[:2], start=1):
        weight = ' font-weight="bold"' if line == 1 and "self" in classes else ""
        yield (
            f'<text class="role" x="{x + 10}" y="{y + 20 + 18 * line}" font-size="12"{weight} '
            f'fill="#374151">{escape(text)}</text>'
        )
    yield "</g>"


def _arrow(x1: int, x2: int, y: int) -> str:
    return (
        f'<line class="arrow" x1="{x1 + 4}" y1="{y}" x2="{x2 - 4}" y2="{y}" stroke="#374151" '
        'stroke-width="2" marker-end="url(#mailmap-arrow)"/>'
    )


def _name(entry: PlanEntry) -> str:
    if entry.record.is_null:
        return "Null MX"
    return to_unicode(entry.record.exchanger)


def _wrap(text: str, limit: int) -> list[str]:
    """``text`` on lines of at most about ``limit`` characters, broken at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (the tooltip has it all)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
