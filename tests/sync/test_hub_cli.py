"""``cunyi-hub`` as a command line: exit codes, messages, the enrollment code and its QR image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hub_harness import hub_inline, run_hub

from app.domain.errors import ValidationError
from app.sync import codes


def test_init_add_site_and_sites_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    made = run_hub("init", "--home", str(home), "--public-url", "https://10.0.0.2:8443")
    assert made.returncode == 0, made.stderr
    fingerprint = json.loads(made.stdout.splitlines()[-1])["fingerprint"]
    assert (home / "hub.db").is_file() and oct((home / "tls" / "hub-key.pem").stat().st_mode)[-3:] == "600"

    status, _, err = hub_inline("init", "--home", str(home))
    assert status == 1 and "已经初始化过" in err

    township = run_hub("add-site", "--home", str(home), "--kind", "township", "--name", "某乡卫生院")
    assert township.returncode == 0, township.stderr
    lines = township.stdout.strip().splitlines()
    site = json.loads(lines[0])
    code = codes.decode(lines[-1])
    assert (code.hub_url, code.fingerprint) == ("https://10.0.0.2:8443", fingerprint)
    assert code.secret.startswith(site["site_id"] + ".")
    png = Path(site["qr_png"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and str(png) in lines[1]

    status, _, err = hub_inline("add-site", "--home", str(home), "--kind", "village", "--name", "某村")
    assert status == 1 and "--township" in err
    usage = run_hub("add-site", "--home", str(home), "--kind", "city", "--name", "某市")
    assert usage.returncode == 2

    rows = json.loads(hub_inline("sites", "--home", str(home), "--json")[1])
    assert [(r["site_id"], r["kind"], r["enrolled"], r["last_sync_at"], r["rejected_ops"]) for r in rows] == [
        (site["site_id"], "township", False, None, 0)]


def test_an_address_is_needed_before_a_code_can_be_made(tmp_path: Path) -> None:
    home = tmp_path / "hub"
    assert hub_inline("init", "--home", str(home))[0] == 0
    status, _, err = hub_inline("add-site", "--home", str(home), "--kind", "township", "--name", "某乡")
    assert status == 1 and "cunyi-hub serve" in err
    assert json.loads(hub_inline("sites", "--home", str(home), "--json")[1]) == []  # nothing registered
    status, _, err = hub_inline("init", "--home", str(tmp_path / "other"), "--db", "mysql://x/y")
    assert status == 1 and "--db" in err


def test_an_enrollment_code_reads_back_and_a_damaged_one_is_named() -> None:
    code = codes.EnrollmentCode("https://192.168.1.5:8443", "ab" * 32, "site.secret")
    text = codes.encode(code)
    assert codes.decode(f"  {text}\n") == code
    for damaged, words in [("", "没有输入内容"), ("hello", "CY1-"), (text[:-2], "校验码"),
                           (text[:10] + ("x" if text[10] != "x" else "y") + text[11:], "校验码")]:
        with pytest.raises(ValidationError) as refused:
            codes.decode(damaged)
        assert words in str(refused.value) and refused.value.field == "同步码"
