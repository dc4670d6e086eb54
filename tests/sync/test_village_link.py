"""An enrolled village names its township on its own site row once the township's row has arrived.

The hub enrolls a village under a township, but the village's site row is made before the township's
row is on the village's PC. The first sync brings that row; the village (which owns its site row) then
fills ``township_id`` and pushes it, so the township finds the village among its own (per-village
reports and the resident registry's "which village" name read it).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from hub_harness import HubProcess
from site_harness import PASSWORD, joined


def test_village_site_row_names_its_township_at_both_ends(hub: HubProcess, tmp_path: Path) -> None:
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD, encoding="utf-8")
    tag = uuid.uuid4().hex[:6]
    township_id, code = hub.add_site("township", f"乡镇{tag}")
    township = joined(code, tmp_path / "township", password_file)
    village = joined(hub.add_site("village", f"东村{tag}", township_id)[1], tmp_path / "village", password_file)

    # joining pulled the township's row, linked the village to it and pushed the link
    assert village.sql("SELECT township_id FROM sites WHERE id = ?", village.site_id) == [(township_id,)]
    assert village.pending() == 0
    assert village.audit_texts("site.link_township") == [f"所属乡镇：乡镇{tag}"]

    township.sync()
    assert township.sql("SELECT kind, township_id FROM sites WHERE id = ?", village.site_id) == [
        ("village", township_id)]
    # linking is done once: a later sync writes nothing more
    assert village.sync()["pushed"] == 0
    assert village.sql("SELECT count(*) FROM audit_log WHERE action = 'site.link_township'") == [(1,)]
    for site in (township, village):
        site.check()
