"""The "where mail goes" drawing: a pure function, checked by parsing the SVG it returns."""

from __future__ import annotations

import ipaddress
import xml.etree.ElementTree as ET

from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import Detection, Mode, PlanEntry, Resolution, ServerIdentity, detect
from mxroute.web.svg import SVG_NS, where_mail_goes

NS = {"s": SVG_NS}
SELF = ServerIdentity.of(["mx.self.test"], ["192.0.2.1"])
RESOLVED = Resolution(frozenset({ipaddress.ip_address("192.0.2.50")}))


def _detection(zone: str, *records: tuple[int, str], resolve: bool = True) -> Detection:
    mx = MXSet.of(MXRecord.parse(p, e) for p, e in records)
    names = {e for _, e in records} | {zone}
    answers = {n: RESOLVED if resolve else Resolution(status="nxdomain") for n in names}
    return detect(zone, mx, SELF, answers)


def _draw(detection: Detection, effective: Mode | None = None) -> ET.Element:
    return ET.fromstring(where_mail_goes(detection, effective or detection.mode))


def _texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{{{SVG_NS}}}text")]


def _boxes(svg: ET.Element, cls: str = "exchanger") -> list[ET.Element]:
    return [g for g in svg.iter(f"{{{SVG_NS}}}g") if cls in g.get("class", "").split()]


def _x(box: ET.Element) -> float:
    rect = box.find("s:rect", NS)
    assert rect is not None
    return float(rect.get("x", "nan"))


def test_it_is_an_accessible_image_with_a_title_and_a_description() -> None:
    svg = _draw(_detection("shop.test", (10, "mx.self.test")))
    assert svg.get("role") == "img"
    title = svg.find("s:title", NS)
    desc = svg.find("s:desc", NS)
    assert title is not None and title.text == "Where mail for shop.test goes"
    assert desc is not None and "mx.self.test (this server)" in (desc.text or "")
    assert svg.get("aria-labelledby") == "mailmap-title mailmap-desc"


def test_groups_go_left_to_right_from_the_most_preferred() -> None:
    detection = _detection(
        "shop.test", (30, "mx3.shop.test"), (10, "mx1.shop.test"), (20, "mx.self.test")
    )
    svg = _draw(detection)
    groups = _boxes(svg, "group")
    assert [g.get("data-priority") for g in groups] == ["10", "20", "30"]
    xs = [_x(_boxes(g)[0]) for g in groups]
    assert xs == sorted(xs) and len(set(xs)) == 3
    headings = [t for t in _texts(svg) if t.startswith("Priority")]
    assert headings == [
        "Priority 10, tried first",
        "Priority 20, tried next",
        "Priority 30, tried next",
    ]


def test_this_server_is_highlighted_and_says_it_delivers_here_when_local() -> None:
    svg = _draw(_detection("shop.test", (10, "mx.self.test"), (20, "mx2.shop.test")))
    (mine,) = _boxes(svg, "self")
    assert _texts(mine) == ["mx.self.test", "this server", "delivers here"]
    others = [b for b in _boxes(svg) if b is not mine]
    assert [_texts(b)[0] for b in others] == ["mx2.shop.test"]
    mine_rect, other_rect = mine.find("s:rect", NS), others[0].find("s:rect", NS)
    assert mine_rect is not None and other_rect is not None
    assert mine_rect.get("fill") != other_rect.get("fill")
    assert float(mine_rect.get("stroke-width", "0")) > float(other_rect.get("stroke-width", "0"))
    assert _texts(svg)[-1] == "This server delivers the mail here, into local mailboxes."


def test_a_backup_holds_and_relays_to_the_better_exchanger() -> None:
    svg = _draw(_detection("shop.test", (10, "mx1.primary.test"), (20, "mx.self.test")))
    (mine,) = _boxes(svg, "self")
    assert _texts(mine)[1:] == ["this server", "holds and relays"]
    (better,) = [b for b in _boxes(svg) if "self" not in b.get("class", "")]
    assert _x(better) < _x(mine)
    assert _texts(svg)[-1] == "This server holds the mail and relays it to mx1.primary.test."


def test_a_server_outside_the_mx_set_is_drawn_apart_and_passes_mail_on() -> None:
    svg = _draw(_detection("shop.test", (10, "mx1.elsewhere.test")))
    (mine,) = _boxes(svg, "self")
    assert "outside" in (mine.get("class") or "")
    assert _texts(mine) == ["This server", "passes on, does", "not accept"]
    assert _texts(svg)[-1] == "This server passes the mail on; it does not accept it."


def test_a_mode_chosen_by_hand_decides_what_this_server_does() -> None:
    detection = _detection("shop.test", (10, "mx.self.test"))
    svg = _draw(detection, Mode.REMOTE)
    (mine,) = _boxes(svg, "self")
    assert _texts(mine)[1:] == ["this server", "passes on, does not accept"]


def test_equal_priorities_share_one_column_and_say_they_share_mail_at_random() -> None:
    svg = _draw(_detection("shop.test", (10, "mx1.shop.test"), (10, "mx2.shop.test")))
    (group,) = _boxes(svg, "group")
    boxes = _boxes(group)
    assert len(boxes) == 2 and _x(boxes[0]) == _x(boxes[1])
    assert "share mail at random" in _texts(group)


def test_a_null_mx_says_the_domain_accepts_no_mail() -> None:
    svg = _draw(_detection("shop.test", (0, ".")))
    (box,) = _boxes(svg)
    assert _texts(box) == ["Null MX", "accepts no mail"]
    assert _texts(svg)[-1] == "The domain accepts no mail at all (Null MX)."


def test_an_exchanger_without_address_is_dashed_and_says_so() -> None:
    svg = _draw(
        _detection("shop.test", (10, "mx.self.test"), (20, "gone.shop.test"), resolve=False)
    )
    (box,) = _boxes(svg, "unresolved")
    rect = box.find("s:rect", NS)
    assert rect is not None and rect.get("stroke-dasharray")
    assert _texts(box) == ["gone.shop.test", "does not resolve"]


def test_no_mx_records_draw_the_domain_itself() -> None:
    svg = _draw(_detection("shop.test"))
    (box,) = _boxes(svg)
    assert _texts(box) == ["shop.test", "no MX: the domain itself"]


def test_idn_names_are_shown_in_unicode_and_long_ones_are_cut_with_the_full_name_kept() -> None:
    long_name = "a-very-long-exchanger-name-indeed.example.test"
    svg = _draw(_detection("xn--bcher-kva.test", (10, "mx.xn--bcher-kva.test"), (20, long_name)))
    title = svg.find("s:title", NS)
    assert title is not None and title.text == "Where mail for bücher.test goes"
    names = [_texts(b)[0] for b in _boxes(svg)]
    assert names[0] == "mx.bücher.test"
    assert names[1].endswith("…") and long_name.startswith(names[1][:-1])
    tooltip = _boxes(svg)[1].find("s:title", NS)
    assert tooltip is not None and tooltip.text == long_name


def test_every_piece_of_text_is_escaped() -> None:
    hostile = "<script>alert('x')</script>&amp;\"."
    entry = PlanEntry(MXRecord(10, "mx.self.test"), frozenset(), True, "ok")
    detection = Detection(hostile, Mode.LOCAL, True, ((10, (entry,)),), 10)
    markup = where_mail_goes(detection, Mode.LOCAL)
    assert "<script>" not in markup
    svg = ET.fromstring(markup)
    title = svg.find("s:title", NS)
    assert title is not None and title.text == f"Where mail for {hostile} goes"
    assert not list(svg.iter("script")) and not list(svg.iter(f"{{{SVG_NS}}}script"))
