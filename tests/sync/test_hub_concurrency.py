"""Concurrent pushers never make a puller skip a row: the changelog seq is given in commit order."""

from __future__ import annotations

import threading

from hub_harness import HubProcess, Site

from app.domain.ids import new_id

PUSHES = 12


def test_a_puller_never_skips_a_row_while_villages_push_at_once(hub: HubProcess, sites) -> None:
    town = sites.township
    villages = [sites.a, sites.b] + [Site.enroll(hub, hub.add_site("village", f"村{i}", town.site_id)[1])
                                     for i in range(2)]
    pushed: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def pusher(site: Site) -> None:
        try:
            for _ in range(PUSHES):
                tx = new_id()
                ops = [site.op("visits", tx_id=tx) for _ in range(3)]
                assert {r.status for r in site.push(ops).results} == {"applied"}
                with lock:
                    pushed.extend(op.record_id for op in ops)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=pusher, args=(site,)) for site in villages]
    for thread in threads:
        thread.start()
    pages = 0
    while any(thread.is_alive() for thread in threads):
        town.pull_page(limit=5)  # small pages while commits land: the cursor races the pushers
        pages += 1
    for thread in threads:
        thread.join()
    assert not errors, errors
    town.pull_all(limit=5)

    seqs = [c.seq for c in town.pulled]
    assert seqs == sorted(set(seqs)), "pulled pages repeat or reorder the changelog"
    assert sorted(c.record_id for c in town.pulled) == sorted(pushed), "the puller skipped or doubled rows"
    assert len(pushed) == len(villages) * PUSHES * 3 and pages > 1
    # and each village saw none of the others' rows
    for village in villages:
        assert village.pull_all() == []
