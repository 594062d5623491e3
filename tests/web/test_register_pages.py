"""The register's pages through the web door: search without accents, a child's and a sponsor's page, the forms."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session, col, select

from ledger.access.models import AuditEvent
from ledger.register.models import CategoryChange, Child, PledgeChange
from tests.api.conftest import IN, OUT, PASSWORD


def signed_in(world, name):
    client = world.client
    client.cookies.clear()
    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    response = client.post("/sign-in", data={"name": name, "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


def csrf_of(text):
    return re.search(r'name="csrf" value="([^"]+)"', text)[1]


def test_search_finds_a_child_typed_without_accents_and_links_her_page(world):
    with Session(world.database.engine) as session:
        child = session.scalar(select(Child).where(col(Child.code) == world.codes.child[IN]))
    plain = child.full_name.lower()
    for a, b in (("ễ", "e"), ("ị", "i"), ("ầ", "a"), ("đ", "d"), ("ư", "u"), ("ơ", "o"), ("ê", "e"), ("ô", "o")):
        plain = plain.replace(a, b)
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFD", plain) if unicodedata.category(c) != "Mn")
    client = signed_in(world, "thu-quy-an-lao")
    found = client.get("/treasurer/search", params={"q": plain.upper()})
    assert found.status_code == 200
    assert f'href="/register/children/{child.code}"' in found.text
    by_code = client.get("/treasurer/search", params={"q": child.code.lower()})
    assert f'href="/register/children/{child.code}"' in by_code.text


def test_search_stays_within_the_treasurers_branches(world):
    with Session(world.database.engine) as session:
        other = session.scalar(select(Child).where(col(Child.code) == world.codes.child[OUT]))
    client = signed_in(world, "thu-quy-an-lao")
    found = client.get("/treasurer/search", params={"q": other.code})
    assert f"/register/children/{other.code}" not in found.text
    assert client.get(f"/register/children/{other.code}").status_code == 404


def test_a_childs_page_is_logged_and_a_category_change_is_asked_first(world):
    code = world.codes.child[IN]
    client = signed_in(world, "thu-quy-an-lao")
    shown = client.get(f"/register/children/{code}")
    assert shown.status_code == 200, shown.text
    assert "Xét hưởng tháng này và tháng sau" in shown.text
    with Session(world.database.engine) as session:
        assert session.scalar(select(AuditEvent).where(col(AuditEvent.action) == "child.view",
                                                       col(AuditEvent.subject) == f"child:{code}"))  # fmt: skip
    form = {"csrf": csrf_of(shown.text), "from_date": "2020-01-01", "categories": ["orphan_both", "special_hardship"]}
    asked = client.post(f"/register/children/{code}/categories", data=form)
    assert asked.status_code == 200 and "Mồ côi cả cha và mẹ" in asked.text and 'name="confirmed"' in asked.text
    with Session(world.database.engine) as session:
        child = session.scalar(select(Child).where(col(Child.code) == code))
        assert session.scalar(select(CategoryChange).where(col(CategoryChange.from_date) == date(2020, 1, 1),
                                                           col(CategoryChange.child_id) == child.id)) is None  # fmt: skip
    done = client.post(
        f"/register/children/{code}/categories", data=form | {"confirmed": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303
    with Session(world.database.engine) as session:
        child = session.scalar(select(Child).where(col(Child.code) == code))
        assert child.categories == ["orphan_both", "special_hardship"]
    future = client.post(f"/register/children/{code}/categories", data=form | {"from_date": "2999-01-01"})
    assert future.status_code == 422 and "muộn nhất là hôm nay" in future.text


def test_a_pledge_change_refused_is_told_in_the_form(world):
    code, pledge = world.codes.child[IN], world.codes.pledge[IN]
    client = signed_in(world, "thu-quy-an-lao")
    csrf = csrf_of(client.get(f"/register/children/{code}").text)
    form = {"csrf": csrf, "child": code, "kind": "pause", "from_month": "2000-01", "until_month": "2000-02",
            "reason": "đi học xa"}  # fmt: skip
    refused = client.post(f"/register/pledges/{pledge}/change", data=form)
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert "bắt đầu từ" in refused.text or "đã được nộp đến hết" in refused.text
    with Session(world.database.engine) as session:
        assert session.scalar(select(PledgeChange.id).where(col(PledgeChange.from_month) == date(2000, 1, 1))) is None


def test_a_sponsors_page_for_staff_shows_payments_with_allocation(world):
    client = signed_in(world, "thu-quy-an-lao")
    shown = client.get(f"/register/sponsors/{world.codes.sponsor[IN]}")
    assert shown.status_code == 200, shown.text
    assert "Đã phân bổ cho" in shown.text and world.codes.pledge[IN] in shown.text
    assert client.get(f"/register/sponsors/{world.codes.sponsor[OUT]}").status_code == 404


def test_an_auditor_lists_children_of_a_program_pages_them_and_exports_all(world):
    import io

    from openpyxl import load_workbook

    client = signed_in(world, "kiem-toan-an-lao")
    first = client.get("/register/children", params={"program": "godmother", "size": 25, "sort": "full_name"})
    assert first.status_code == 200, first.text
    count = int(re.search(r"Có (\d+) dòng", first.text)[1])
    assert count > 0
    with Session(world.database.engine) as session:
        from ledger.access.models import AuditEvent

        assert session.scalar(select(AuditEvent.id).where(col(AuditEvent.action) == "child.list").limit(1))
    sheet = client.get("/register/children.xlsx", params={"program": "godmother"})
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Mã" and len(rows) - 1 == count
    for kind in ("sponsors", "pledges", "payments", "handovers"):
        shown = client.get(f"/register/{kind}")
        assert shown.status_code == 200, (kind, shown.text[-500:])
    other = client.get("/register/children", params={"branch": world.codes.group[OUT]})
    assert other.status_code == 404


def test_every_import_template_has_vietnamese_titles_and_reads_back(world, tmp_path):
    import io

    from openpyxl import load_workbook

    from ledger.register import importing
    from ledger.register.spreadsheets import read_table

    client = signed_in(world, "thu-quy-an-lao")
    for kind in importing.KINDS:
        sheet = client.get(f"/treasurer/import/template/{kind}.xlsx")
        assert sheet.status_code == 200, kind
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(sheet.content)
        titles = next(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
        table = read_table(path, importing.aliases_of(kind))
        assert not [t for t in table.header if t.startswith("?")], (kind, titles)
        assert len(table.rows) == 1, kind
    children = next(
        load_workbook(io.BytesIO(client.get("/treasurer/import/template/children.xlsx").content)).active.iter_rows(
            values_only=True
        )
    )
    assert "Ngày sinh" in children


def test_a_children_file_is_previewed_corrected_in_the_browser_and_imported(world, tmp_path):
    client = signed_in(world, "thu-quy-an-lao")
    csrf = csrf_of(client.get("/treasurer/import").text)
    branch = world.codes.group[IN]
    sheet = ("Mã trẻ,Họ và tên,Ngày sinh,Giới tính,Chi hội,Diện,Người giám hộ,Ngày đồng ý của người giám hộ,"
             "Ngày đồng ý của trẻ\n"
             f"C-WEB-1,Nguyễn Thị Hoa,15/03/2016,nữ,{branch},orphan_both,Trần Thị Lan,01/09/2026,01/09/2026\n"
             f"C-WEB-2,Lê Văn Nam,31/02/2016,nam,{branch},orphan_one,Lê Thị Ba,01/09/2026,01/09/2026\n").encode()  # fmt: skip
    preview = client.post("/treasurer/import", data={"kind": "children", "csrf": csrf},
                          files={"file": ("tre.csv", sheet, "text/csv")})  # fmt: skip
    assert preview.status_code == 422
    assert "<td>3</td><td>Ngày sinh</td>" in preview.text  # the file's own title, not date_of_birth
    with Session(world.database.engine) as session:
        assert session.scalar(select(Child.id).where(col(Child.code) == "C-WEB-1")) is None
    form = dict(re.findall(r'<input name="(r\d+c\d+)" value="([^"]*)"', preview.text))
    form["r3c2"] = "28/02/2016"
    base = {"csrf": csrf, "kind": "children", "source": "tre.csv", "title": re.findall(r'name="title" value="([^"]*)"', preview.text),
            "row": ["2", "3"]}  # fmt: skip
    checked = client.post("/treasurer/import/table", data=base | form)
    assert checked.status_code == 200 and "2 mới" in checked.text.replace("2 dòng, ", "")
    done = client.post("/treasurer/import/table", data=base | form | {"confirmed": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    with Session(world.database.engine) as session:
        assert (
            session.scalar(select(Child.date_of_birth).where(col(Child.code) == "C-WEB-2")).isoformat() == "2016-02-28"
        )


def test_a_sponsor_added_by_form_is_checked_as_an_import_said_back_and_recorded(world):
    from ledger.register.models import Sponsor

    client = signed_in(world, "thu-quy-an-lao")
    form = client.get("/register/forms/sponsors")
    assert form.status_code == 200 and "Thêm mẹ đỡ đầu" in form.text
    csrf = csrf_of(form.text)
    sent = {"csrf": csrf, "code": "MDD-FORM-1", "name": "Đỗ Thị Hằng", "kind": "individual", "phone": "0912000999",
            "email": "khong-phai-thu", "language": "vi", "branch": world.codes.group[IN]}  # fmt: skip
    refused = client.post("/register/forms/sponsors", data=sent)
    assert refused.status_code == 422 and 'id="f-email-bad"' in refused.text
    asked = client.post("/register/forms/sponsors", data=sent | {"email": "hang@example.vn"})
    assert asked.status_code == 200 and 'name="confirmed"' in asked.text
    with Session(world.database.engine) as session:
        assert session.scalar(select(Sponsor.id).where(col(Sponsor.code) == "MDD-FORM-1")) is None
    done = client.post("/register/forms/sponsors", data=sent | {"email": "hang@example.vn", "confirmed": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].startswith("/register/sponsors/MDD-FORM-1")
    found = client.get("/treasurer/search", params={"q": "do thi hang"})
    assert 'href="/register/sponsors/MDD-FORM-1"' in found.text
    outside = client.post("/register/forms/sponsors", data=sent | {"code": "MDD-FORM-2", "branch": OUT,
                                                                    "email": "", "confirmed": "yes"})  # fmt: skip
    assert outside.status_code == 422
    with Session(world.database.engine) as session:
        assert session.scalar(select(Sponsor.id).where(col(Sponsor.code) == "MDD-FORM-2")) is None


def test_a_child_corrected_by_form_keeps_her_code_and_a_bad_date_is_refused_in_its_field(world):
    code = world.codes.child[IN]
    client = signed_in(world, "thu-quy-an-lao")
    form = client.get("/register/forms/children", params={"code": code})
    assert form.status_code == 200
    fields = dict(re.findall(r'<input[^>]*? name="([a-z_]+)" value="([^"]*)"', form.text))
    assert fields["code"] == code
    for name, options in re.findall(r'<select id="[^"]*" name="([a-z_]+)"[^>]*>(.*?)</select>', form.text):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        fields[name] = chosen[1] if chosen else ""
    fields["guardian_phone"] = "0988111222"
    fields["date_of_birth"] = "2999-01-01"
    refused = client.post("/register/forms/children", data=fields)
    assert refused.status_code == 422 and 'id="f-date_of_birth-bad"' in refused.text
    fields["date_of_birth"] = re.search(r'name="date_of_birth" value="([^"]*)"', form.text)[1]
    done = client.post("/register/forms/children", data=fields | {"confirmed": "yes"}, follow_redirects=False)
    assert done.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)<', done.text)
    with Session(world.database.engine) as session:
        assert session.scalar(select(Child.guardian_phone).where(col(Child.code) == code)) == "0988111222"
    assert 'href="/register/children/' + code in client.get("/treasurer/search", params={"q": "0988 111 222"}).text
    assert client.get("/register/forms/children", params={"code": world.codes.child[OUT]}).status_code == 404


def test_the_arrears_filter_lists_exactly_the_sponsors_who_owe(world):
    from ledger.access.actor import Actor
    from ledger.db import run_in_transaction
    from ledger.months import today_in_vietnam
    from ledger.people.forms import record_from_form
    from ledger.people.sponsor import sponsor_record

    this = today_in_vietnam()
    started = f"{this.year - 1}-{this.month:02d}"  # a year of months owed, none paid
    pledge = {"code": "P-OWED-1", "sponsor": world.codes.sponsor[IN], "child": world.codes.child[IN],
              "monthly_amount": "300000", "start_month": started}  # fmt: skip
    run_in_transaction(world.database.engine, lambda s: record_from_form(s, Actor.local_administrator("t"),
                                                                         "pledges", pledge, today=this))  # fmt: skip
    headers = world.login("thu-quy-an-lao")
    every = world.client.get("/api/v1/lists/sponsors", params={"size": 300}, headers=headers).json()
    owing = world.client.get("/api/v1/lists/sponsors", params={"size": 300, "in_arrears": "true"}, headers=headers)
    assert owing.status_code == 200, owing.text
    listed = {row["code"] for row in owing.json()["rows"]}
    assert world.codes.sponsor[IN] in listed and len(listed) < every["count"]
    with Session(world.database.engine) as session:
        admin = Actor.local_administrator("test")
        for row in every["rows"]:
            owed = sponsor_record(session, admin, row["code"], today=today_in_vietnam()).arrears
            assert (owed > 0) == (row["code"] in listed), (row["code"], owed)


def test_every_list_counts_and_totals_the_rows_it_filters(world):
    headers = world.login("kiem-toan-an-lao")
    for kind in ("children", "sponsors", "pledges", "payments", "handovers"):
        found = world.client.get(f"/api/v1/lists/{kind}", params={"size": 300}, headers=headers).json()
        assert found["count"] == len(found["rows"]) > 0, kind
        for name, total in found["totals"].items():
            column = "pledged" if name == "pledged" else name
            assert total == sum(row[column] or 0 for row in found["rows"]), (kind, name)


def test_the_apis_lists_of_children_and_sponsors_find_names_typed_without_accents(world):
    headers = world.login("thu-quy-an-lao")
    for path, name in (("/api/v1/children", "full_name"), ("/api/v1/sponsors", "name")):
        everyone = world.client.get(path, headers=headers).json()
        accented = next(row[name] for row in everyone if row[name].split()[0] in ("Nguyễn", "Đặng", "Đỗ", "Lê"))
        typed = {"Nguyễn": "nguyen", "Đặng": "DANG", "Đỗ": "do", "Lê": "le"}[accented.split()[0]]
        found = world.client.get(path, params={"q": typed}, headers=headers).json()
        assert any(row[name] == accented for row in found), (path, typed)


def test_a_category_may_be_written_by_its_vietnamese_name_in_a_file(world, tmp_path):
    from ledger.access.actor import Actor
    from ledger.db import run_in_transaction
    from ledger.register.importing import import_file

    path = tmp_path / "tre.csv"
    path.write_text("code,full_name,date_of_birth,gender,branch,categories,guardian_name,consent_guardian_on,"
                    f"consent_child_on\nC-CAT-1,Lò Thị Mai,2015-05-05,F,{world.codes.group[IN]},"
                    "MO COI CA CHA VA ME;Hoàn cảnh đặc biệt khó khăn,Bà,2026-01-01,2026-01-01\n", encoding="utf-8")  # fmt: skip
    run_in_transaction(world.database.engine, lambda s: import_file(s, "children", path,
                                                                    actor=Actor.local_administrator("t")))  # fmt: skip
    with Session(world.database.engine) as session:
        child = session.scalar(select(Child).where(col(Child.code) == "C-CAT-1"))
        assert child.categories == ["orphan_both", "special_hardship"]


def test_a_file_too_big_to_correct_in_the_browser_is_imported_by_choosing_it_again(world, monkeypatch):
    import api.web.importing

    monkeypatch.setattr(api.web.importing, "EDITABLE_ROWS", 2)
    client = signed_in(world, "thu-quy-an-lao")
    csrf = csrf_of(client.get("/treasurer/import").text)
    sheet = "code,name,kind,branch\n" + "".join(f"MDD-BIG-{n},Người {n},individual,{IN}\n" for n in range(3))
    files = {"file": ("lon.csv", sheet.encode(), "text/csv")}
    preview = client.post("/treasurer/import", data={"kind": "sponsors", "csrf": csrf}, files=files)
    assert preview.status_code == 200 and 'name="r2c0"' not in preview.text and 'id="file-again"' in preview.text
    done = client.post("/treasurer/import", data={"kind": "sponsors", "csrf": csrf, "confirmed": "yes"}, files=files,
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert 'href="/register/sponsors/MDD-BIG-2"' in client.get("/treasurer/search", params={"q": "MDD-BIG-2"}).text
