"""Reading the banks' exports: each layout, the generic mapping, camt.053, and amounts as banks write them."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import Workbook

from ledger.errors import InvalidEntry
from ledger.reconciliation.formats import StatementNotRecognised, UnreadableStatement, parse_amount, read_statement


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("2,308,471", 2_308_471),
        ("2.308.471", 2_308_471),
        ("2308471", 2_308_471),
        ("2,308,471.00", 2_308_471),
        ("2.308.471,00", 2_308_471),
        ("-11,000", -11_000),
        ("(11.000)", -11_000),
        ("500.000 VND", 500_000),
        ("1.500", 1_500),
        (2308471.0, 2_308_471),
        (15, 15),
    ],
)
def test_amounts_as_banks_write_them(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["2,308,471.50", "12,34", "abc", "1.2.3", 10.5])
def test_a_fraction_of_a_dong_or_garbage_is_refused(text):
    with pytest.raises(UnreadableStatement):
        parse_amount(text, "row 3")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


VCB = """SAO KÊ TÀI KHOẢN / STATEMENT OF ACCOUNT
Số tài khoản / Account number: 0011001932418,Kỳ / Period: 2026-10
Ngày giao dịch/Transaction Date,Số tham chiếu/Reference No.,Số tiền ghi nợ/Debit,Số tiền ghi có/Credit,Số dư/Balance,Mô tả/Description
,,,,"10,000,000",Số dư đầu kỳ/Opening balance
03/10/2026,5001,,"1,500,000","11,500,000",MBVCB.4530998360.029552.NGUYEN THI HOA chuyen tien MDD000123T1026
10/10/2026,5002,"500,000",,"11,000,000",CHUYEN TIEN CHO NGUOI GIAM HO
,,,,"11,000,000",Số dư cuối kỳ/Closing balance
"""

BIDV = """BÁO CÁO CHI TIẾT SỐ DƯ TÀI KHOẢN
Số dư đầu kỳ: 2.000.000
STT;NGÀY HIỆU LỰC;GHI NỢ;GHI CÓ;SỐ DƯ;MÔ TẢ
1;05/10/2026 08:31:02;;700.000;2.700.000;NGUYEN VAN A CK MDD000045 T1026
2;31/10/2026;11.000;;2.689.000;PHI QUAN LY TAI KHOAN
Số dư cuối kỳ: 2.689.000
"""


def test_vietcombank_csv(tmp_path):
    statement = read_statement(write(tmp_path, "vcb.csv", VCB))
    assert statement.format == "vietcombank"
    assert (statement.opening, statement.closing) == (10_000_000, 11_000_000)
    assert [(x.booked_on, x.amount, x.bank_reference) for x in statement.lines] == [
        (date(2026, 10, 3), 1_500_000, "5001"),
        (date(2026, 10, 10), -500_000, "5002"),
    ]
    assert "MDD000123T1026" in statement.lines[0].description


def test_bidv_csv_with_semicolons_and_balances_above_and_below(tmp_path):
    statement = read_statement(write(tmp_path, "bidv.csv", BIDV))
    assert statement.format == "bidv"
    assert (statement.opening, statement.closing) == (2_000_000, 2_689_000)
    assert [(x.booked_on, x.amount) for x in statement.lines] == [
        (date(2026, 10, 5), 700_000),
        (date(2026, 10, 31), -11_000),
    ]


def test_techcombank_xlsx(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["TECHCOMBANK", None])
    sheet.append(["Date", "Remitter", "Bank", "Details", "Transaction No.", "Debit", "Credit", "Balance"])
    sheet.append(
        [
            "02/10/2026",
            "TRAN THI B",
            "VCB",
            "TRAN THI B chuyen khoan MDD000007",
            "FT2627",
            None,
            "2,308,471.00",
            "5,308,471.00",
        ]
    )
    sheet.append([date(2026, 10, 4), "", "", "Phi SMS", "FT2628", 11000, None, 5297471])
    path = tmp_path / "tcb.xlsx"
    book.save(path)
    statement = read_statement(path)
    assert statement.format == "techcombank"
    assert [(x.booked_on, x.amount, x.counterparty, x.bank_reference) for x in statement.lines] == [
        (date(2026, 10, 2), 2_308_471, "TRAN THI B", "FT2627"),
        (date(2026, 10, 4), -11_000, "", "FT2628"),
    ]


def test_generic_csv_needs_a_mapping(tmp_path):
    path = write(
        tmp_path, "other.csv", "Ngày,Nội dung,Số tiền\n2026-10-05,ung ho MDD000001,300000\n06/10/2026,phi,-5500\n"
    )
    with pytest.raises(StatementNotRecognised):
        read_statement(path)
    statement = read_statement(path, mapping="date=Ngày,description=Nội dung,amount=Số tiền")
    assert [(x.booked_on, x.amount) for x in statement.lines] == [
        (date(2026, 10, 5), 300_000),
        (date(2026, 10, 6), -5_500),
    ]
    with pytest.raises(InvalidEntry, match="missing"):
        read_statement(path, mapping="date=Ngày")


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt><Stmt>
  <Acct><Id><Othr><Id>0011001932418</Id></Othr></Id></Acct>
  <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">1000000</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
  <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">1489000</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
  <Ntry><Amt Ccy="VND">500000</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-10-07</Dt></BookgDt>
   <AcctSvcrRef>REF1</AcctSvcrRef>
   <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Le Van C</Nm></Dbtr></RltdPties><RmtInf><Ustrd>MDD000009 T1026</Ustrd></RmtInf></TxDtls></NtryDtls>
  </Ntry>
  <Ntry><Amt Ccy="VND">11000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-10-31</Dt></BookgDt><AddtlNtryInf>FEE</AddtlNtryInf></Ntry>
 </Stmt></BkToCstmrStmt>
</Document>
"""


def test_camt053(tmp_path):
    statement = read_statement(write(tmp_path, "s.xml", CAMT))
    assert statement.format == "camt053" and statement.account_number == "0011001932418"
    assert (statement.opening, statement.closing) == (1_000_000, 1_489_000)
    assert [(x.booked_on, x.amount, x.description, x.counterparty) for x in statement.lines] == [
        (date(2026, 10, 7), 500_000, "MDD000009 T1026", "Le Van C"),
        (date(2026, 10, 31), -11_000, "FEE", ""),
    ]


def test_camt053_with_external_entities_is_refused_and_reads_nothing(tmp_path):
    evil = CAMT.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ).replace("MDD000009 T1026", "&xxe;")
    with pytest.raises(UnreadableStatement, match="safe"):
        read_statement(write(tmp_path, "evil.xml", evil))


def test_an_unknown_layout_asks_for_its_columns(tmp_path):
    with pytest.raises(StatementNotRecognised, match="name its columns"):
        read_statement(write(tmp_path, "x.csv", "a,b,c\n1,2,3\n"))


def agribank_workbook(path):
    """An Agribank internet-banking export as a commune gets it: title rows, a bilingual header, balances."""
    book = Workbook()
    sheet = book.active
    sheet.append(["NGÂN HÀNG NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN VIỆT NAM - AGRIBANK"])
    sheet.append(["SAO KÊ TÀI KHOẢN / ACCOUNT STATEMENT"])
    sheet.append(["Số tài khoản / Account No: 3100205123456", None, "Tên tài khoản: HOI LHPN XA AN LAO"])
    sheet.append(["Từ ngày 01/10/2026 đến ngày 31/10/2026"])
    sheet.append([])
    sheet.append(["STT", "Ngày giao dịch / Transaction date", "Số bút toán / Ref", "Số tiền ghi nợ / Debit",
                  "Số tiền ghi có / Credit", "Số dư / Balance", "Nội dung giao dịch / Description"])  # fmt: skip
    sheet.append([None, None, None, None, None, 4_000_000, "Số dư đầu kỳ / Opening balance"])
    sheet.append([1, "02/10/2026", "VBA0001", None, 500_000, 4_500_000, "NGUYEN THI HOA CK MDD000123T1026"])
    sheet.append([2, "05/10/2026", "VBA0002", 3_000_000, None, 1_500_000, "RUT TIEN MAT"])
    sheet.append([3, "31/10/2026", "VBA0003", 2_200, None, 1_497_800, "PHI SMS BANKING"])
    sheet.append([None, None, None, None, None, 1_497_800, "Số dư cuối kỳ / Closing balance"])
    book.save(path)
    return path


def vietinbank_workbook(path):
    """VietinBank's transaction history (eFAST/iPay): "Nợ / Debit", "Có / Credit", "Số dư TK / Account balance"."""
    book = Workbook()
    sheet = book.active
    sheet.append(["NGÂN HÀNG TMCP CÔNG THƯƠNG VIỆT NAM - VIETINBANK"])
    sheet.append(["LỊCH SỬ GIAO DỊCH - TRANSACTION HISTORY"])
    sheet.append(["Số tài khoản / Account No: 108000123456"])
    sheet.append(["Số dư đầu kỳ / Opening balance", None, None, None, "10.000.000"])
    sheet.append(["STT / No.", "Ngày hạch toán / Accounting date", "Mô tả giao dịch / Transaction description",
                  "Nợ / Debit", "Có / Credit", "Số dư TK / Account balance", "Số giao dịch / Transaction number"])  # fmt: skip
    sheet.append([1, "03/10/2026 09:12:44", "TRAN THI MAI chuyen tien MDD000045T1026", None, "700.000",
                  "10.700.000", "FT26276001"])  # fmt: skip
    sheet.append([2, "20/10/2026 14:01:02", "CHUYEN TIEN NGUOI GIAM HO THANG 10", "1.750.000", None, "8.950.000",
                  "FT26293002"])  # fmt: skip
    sheet.append(["Số dư cuối kỳ / Closing balance", None, None, None, "8.950.000"])
    book.save(path)
    return path


def test_an_agribank_export_is_recognised_with_its_balances(tmp_path):
    parsed = read_statement(agribank_workbook(tmp_path / "agribank.xlsx"))
    assert parsed.format == "agribank"
    assert [(line.booked_on, line.amount, line.bank_reference) for line in parsed.lines] == [
        (date(2026, 10, 2), 500_000, "VBA0001"),
        (date(2026, 10, 5), -3_000_000, "VBA0002"),
        (date(2026, 10, 31), -2_200, "VBA0003"),
    ]
    assert (parsed.opening, parsed.closing) == (4_000_000, 1_497_800)
    assert parsed.opening + sum(line.amount for line in parsed.lines) == parsed.closing


def test_a_vietinbank_history_is_recognised_debit_out_credit_in(tmp_path):
    parsed = read_statement(vietinbank_workbook(tmp_path / "vietinbank.xlsx"))
    assert parsed.format == "vietinbank"
    assert [(line.booked_on, line.amount, line.bank_reference) for line in parsed.lines] == [
        (date(2026, 10, 3), 700_000, "FT26276001"),
        (date(2026, 10, 20), -1_750_000, "FT26293002"),
    ]
    assert (parsed.opening, parsed.closing) == (10_000_000, 8_950_000)
    assert parsed.lines[0].description == "TRAN THI MAI chuyen tien MDD000045T1026"
