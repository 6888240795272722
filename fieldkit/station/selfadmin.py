"""Self-administered mode: a one-time link, shown as a QR code, opens one interview on
the respondent's phone.

The token is random (144 bits), shown once, stored only as its SHA-256, works once
(used atomically on the phone's "Begin" POST, not on GET, so a link preview cannot
burn it) and expires after ``SELFADMIN_TTL_SECONDS``. The phone's session can reach
that one interview and nothing else.
"""

from __future__ import annotations

import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from markupsafe import Markup

from fieldkit.station.app import current_record, render_error, state

bp = Blueprint("selfadmin", __name__)


def lan_address() -> str | None:
    """This laptop's address on its network (hotspot), without sending anything."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


def public_base() -> str:
    configured = state().config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/")
    base = request.host_url.rstrip("/")
    parts = urlsplit(base)
    if parts.hostname in ("127.0.0.1", "localhost"):
        lan = lan_address()
        if lan:
            port = f":{parts.port}" if parts.port else ""
            return f"{parts.scheme}://{lan}{port}"
    return base


def qr_svg(data: str) -> Markup:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = img.to_string(encoding="unicode")
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:]
    return Markup(svg.replace("<svg ", '<svg role="img" data-testid="qr" ', 1))


@bp.route("/i/<iid>/link")
def show(iid: str) -> Any:
    """The enumerator's view: a fresh one-time link as a QR code, and the status."""
    st = state()
    rec = current_record()
    iv = st.interviews.get(iid)
    if iv is None:                     # finished and sealed (or never existed)
        return redirect(url_for("home.index"))
    if iv.enumerator != rec.enumerator or iv.mode != "self":
        abort(404)
    with st.db_lock:
        used = st.store.link_used(iid)
    if used:
        return render_template("selfadmin_status.html", iv=iv)
    token = secrets.token_urlsafe(18)
    ttl = float(st.config.get("SELFADMIN_TTL_SECONDS") or 900)
    with st.db_lock:
        st.store.drop_links(iid)
        st.store.add_link(token, iid, ttl)
    url = public_base() + url_for("selfadmin.open", token=token)
    return render_template("selfadmin_link.html", iv=iv, url=url, qr=qr_svg(url),
                           minutes=int(ttl // 60))


@bp.route("/i/<iid>/link/close", methods=["POST"])
def close(iid: str) -> Any:
    """Cancel an unused link (nothing is recorded), or close an abandoned phone interview
    (sealed as interrupted)."""
    st = state()
    rec = current_record()
    iv = st.interviews.get(iid)
    if iv is None or iv.enumerator != rec.enumerator or iv.mode != "self":
        abort(404)
    with iv.lock:
        with st.db_lock:
            used = st.store.link_used(iid)
        if used:
            iv.interrupt()
            st.seal(iv)
        else:
            if iv.journal is not None:
                iv.journal.close_and_discard()
            st.interviews.remove(iid)
            with st.db_lock:
                st.store.drop_links(iid)
    return redirect(url_for("home.index"), code=303)


@bp.route("/s/<token>", methods=["GET", "POST"])
def open(token: str) -> Any:  # noqa: A001 - the route's name
    """The respondent's phone opens the link; "Begin" uses it (once)."""
    st = state()
    with st.db_lock:
        iid = st.store.peek_link(token)
    iv = st.interviews.get(iid) if iid else None
    if iv is None:
        return render_error("station.link_invalid", 410)
    g.lang = iv.lang
    if request.method != "POST":
        return render_template("selfadmin_open.html", iv=iv, token=token)
    with st.db_lock:
        iid = st.store.use_link(token)
    iv = st.interviews.get(iid) if iid else None
    if iv is None:
        return render_error("station.link_invalid", 410)
    with iv.lock:
        st.start_journal(iv)
    old = session.get("sid")
    if old:
        existing = st.sessions.get(old)
        if existing is not None and existing.role == "respondent":
            st.sessions.drop(old)
    session.clear()
    rec = st.sessions.create("respondent", iv.enumerator, interview_id=iid, ui_lang=iv.lang)
    session["sid"] = rec.sid
    return redirect(url_for("interview.consent", iid=iid), code=303)
