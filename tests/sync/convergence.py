"""What must hold once sites and their hub have synced after faults (DESIGN §4), checked on real databases.

- nothing applied twice: one changelog row per applied op, and each of a site's outbox rows is applied or
  rejected at the hub exactly once (``no_op_lost_or_doubled``), so no acknowledged op is lost either;
- the hub's record of each row equals the owner's row, and every site's copy equals the owner's;
- every site's cursor covers every change it may see, and it holds each of them;
- ``cunyi check`` is clean everywhere, and nothing is left to push.

``cursors_never_skip`` follows the cursors a site's requests carried (from a ``FaultTransport`` log).
"""

from __future__ import annotations

import json
from collections import Counter

from hub_harness import HubProcess
from site_harness import SiteFolder
from sqlalchemy import func, select

from app.sync.hub import tables as t
from app.sync.hub.pull import visible
from app.sync.hub.service import _site


def no_op_lost_or_doubled(hub: HubProcess, site: SiteFolder) -> None:
    """Each outbox row up to ``pushed_seq`` is applied or rejected once at the hub; one changelog row per applied op."""
    pushed = site.sql("SELECT pushed_seq FROM local_site")[0][0]
    outbox = dict(site.sql("SELECT local_seq, op_id FROM outbox WHERE local_seq <= ?", pushed))
    a, r, c = t.applied_ops.c, t.rejected_ops.c, t.changelog.c
    with hub.engine.connect() as conn:
        applied = conn.execute(select(a.local_seq, a.op_id, a.seq).where(a.site_id == site.site_id)).all()
        rejected = conn.execute(select(r.local_seq, r.op_id).where(r.site_id == site.site_id)).all()
        logged = conn.execute(select(func.count()).where(c.owner_site_id == site.site_id)).scalar()
        in_log = set(conn.execute(select(c.seq).where(c.owner_site_id == site.site_id)).scalars())
    settled = Counter([(row.local_seq, row.op_id) for row in applied] + [(row.local_seq, row.op_id) for row in rejected])
    assert [k for k, n in settled.items() if n > 1] == [], "an op was settled twice"
    assert set(settled) == set(outbox.items()), "the hub's settled ops differ from the acknowledged outbox"
    assert logged == len(applied) == len({row.seq for row in applied}), "an op has more than one changelog row"
    assert {row.seq for row in applied} == in_log


def hub_records_equal_owner(hub: HubProcess, site: SiteFolder) -> None:
    """The hub's latest payload of each of the site's rows equals the row at the site."""
    rec = t.records.c
    with hub.engine.connect() as conn:
        held = {(row.table_name, row.record_id): json.loads(row.payload) for row in conn.execute(
            select(rec.table_name, rec.record_id, rec.payload).where(rec.owner_site_id == site.site_id))}
    own = {k: v for k, v in site.rows().items() if v["owner_site_id"] == site.site_id}
    assert set(held) == set(own), "the hub's records of the site are not the site's rows"
    for key, row in own.items():
        assert held[key] == row, f"the hub holds a stale {key}"


def pulled_everything(hub: HubProcess, site: SiteFolder, rows: dict) -> None:
    """The site's cursor is past every change it may see and it holds each changed record."""
    pulled = site.sql("SELECT pulled_seq FROM local_site")[0][0]
    c = t.changelog.c
    with hub.engine.connect() as conn:
        me = _site(conn, site.site_id)
        changes = conn.execute(select(c.seq, c.table_name, c.record_id).where(visible(me))).all()
    assert all(ch.seq <= pulled for ch in changes), "the cursor is behind a visible change"
    missing = [(ch.table_name, ch.record_id) for ch in changes if (ch.table_name, ch.record_id) not in rows]
    assert missing == [], f"the cursor passed changes never saved: {missing[:3]}"


def converged(hub: HubProcess, sites: list[SiteFolder]) -> None:
    """Every check above, at every site, plus ``cunyi check`` and an empty outbox."""
    every = {site.site_id: site.rows() for site in sites}
    for site in sites:
        site.check()
        assert site.pending() == 0
        no_op_lost_or_doubled(hub, site)
        hub_records_equal_owner(hub, site)
        pulled_everything(hub, site, every[site.site_id])
        for key, row in every[site.site_id].items():
            assert row == every[row["owner_site_id"]][key], f"{site.site_id} holds a stale copy of {key}"


def cursors_never_skip(log: list, outbox_seqs: list[int], pushed0: int, pulled0: int) -> None:
    """Each request starts where the last answer the client read left it.

    Args:
        log: a ``FaultTransport.log`` of one site.
        outbox_seqs: the site's outbox ``local_seq`` values.
        pushed0, pulled0: ``pushed_seq`` and ``pulled_seq`` before the first request of the log.
    """
    pushed, pulled = pushed0, pulled0
    for sent in log:
        if sent.path == "push":
            first = sent.body["ops"][0]["local_seq"]
            assert first == min(s for s in outbox_seqs if s > pushed), f"push {sent.n} skipped past {pushed}"
            if sent.delivered:
                pushed = max(pushed, min(sent.answer["acked_local_seq"], sent.body["ops"][-1]["local_seq"]))
        elif sent.path == "pull":
            assert sent.body["cursor"] == pulled, f"pull {sent.n} asked from {sent.body['cursor']}, not {pulled}"
            if sent.delivered:
                pulled = sent.answer["cursor"]
