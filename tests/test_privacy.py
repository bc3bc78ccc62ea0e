"""Personal-data scanner for case text (portal.cases.privacy)."""
import dataclasses
import hashlib
from datetime import date

import pytest

from portal.cases.privacy import KIND_LABELS, Finding, is_valid_id_number, luhn_ok, mask_in_text, mask_value, scan_fields, scan_text

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_char(body17: str) -> str:
    """Independent computation of the GB 11643 check character."""
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, WEIGHTS)) % 11]


def wrong_check_char(body17: str) -> str:
    right = with_check_char(body17)[-1]
    return body17 + ("0" if right != "0" else "1")


def with_luhn_digit(body: str) -> str:
    """Append the Luhn check digit (independent implementation)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def kinds(text):
    return [(f.kind, f.value) for f in scan_text(text, "body")]


ID_BODIES = ["11010519491231002", "44030019900101123", "32010219850615456", "51010720001229789",
             "61011319000101001", "11010120000229006"]
VALID_IDS = [with_check_char(b) for b in ID_BODIES]
PUBLISHED_ID = "11010519491231002X"
CARD = "4111111111111111"
CARD_19 = with_luhn_digit("622202020011223344")


# --- ID numbers ---------------------------------------------------------------------------

def test_published_sample_and_lowercase_x_validate():
    assert with_check_char("11010519491231002") == PUBLISHED_ID
    assert is_valid_id_number(PUBLISHED_ID)
    assert is_valid_id_number(PUBLISHED_ID.lower())


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers(number):
    assert is_valid_id_number(number)
    assert kinds(f"身份证号{number}，住址不详") == [("id_card", number)]


@pytest.mark.parametrize("body", ID_BODIES)
def test_invalid_check_char_is_not_valid_or_reported(body):
    bad = wrong_check_char(body)
    assert not is_valid_id_number(bad)
    assert not [f for f in scan_text(f"身份证{bad}", "body") if f.kind == "id_card"]


@pytest.mark.parametrize("body", [
    "11010519490231002",  # 19490231: February 31st
    "11010519491301002",  # month 13
    "11010519490000002",  # month/day zero
    "11010518991231002",  # year 1899
    "11010521000101002",  # year 2100
    "11010519010229002",  # 1901 is not a leap year
])
def test_implausible_birth_date_is_rejected_even_with_correct_check_char(body):
    number = with_check_char(body)
    assert not is_valid_id_number(number)
    assert kinds(f"证件号码{number}。") == []


def test_current_year_birth_date_is_accepted():
    number = with_check_char(f"110105{date.today().year}0101001")
    assert is_valid_id_number(number)


@pytest.mark.parametrize("value", [None, "", "11010519491231002", "11010519491231002XX",
                                   "1101051949123100２X", "11010519491231002Y", 110105194912310020])
def test_id_validator_rejects_wrong_shapes(value):
    assert not is_valid_id_number(value)


@pytest.mark.parametrize("text", [
    f"A{PUBLISHED_ID}",        # glued to a letter before
    f"{PUBLISHED_ID}9",        # part of a longer digit run
    f"1{PUBLISHED_ID}",
    f"{PUBLISHED_ID}abc",
])
def test_id_inside_longer_token_is_not_reported(text):
    assert not [f for f in scan_text(text, "body") if f.kind == "id_card"]


def test_id_number_is_not_also_reported_as_bank_card():
    digit_ids = [n for n in VALID_IDS if n[-1] != "X"]
    text = "；".join(f"身份证{n}" for n in digit_ids)
    found = scan_text(text, "body")
    assert [f.kind for f in found] == ["id_card"] * len(digit_ids)


def test_luhn_valid_id_number_is_an_id_not_a_card():
    # Find an ID that happens to pass Luhn too: it must still be reported only once, as an ID.
    for seq in range(1000):
        number = with_check_char(f"11010519800101{seq:03d}")
        if number.isdigit() and luhn_ok(number):
            break
    else:  # pragma: no cover - there is always one in 1000
        pytest.fail("no Luhn-valid ID found")
    assert [(f.kind, f.value) for f in scan_text(f"号码{number}", "x")] == [("id_card", number)]


# --- mobiles ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("联系电话13812345678，", "13812345678"),
    ("电话：13812345678", "13812345678"),
    ("13912345678", "13912345678"),
    ("手机19987654321。", "19987654321"),
    ("手机 138 1234 5678 请回电", "138 1234 5678"),
    ("手机138-1234-5678", "138-1234-5678"),
    ("拨打+8613812345678即可", "+8613812345678"),
    ("拨打+86 138 1234 5678即可", "+86 138 1234 5678"),
    ("拨打8613812345678", "8613812345678"),
    ("拨打+86-138-1234-5678", "+86-138-1234-5678"),
    ("(15012345678)", "15012345678"),
    ("电话13812345678\n下一行", "13812345678"),
])
def test_mobile_numbers_are_found(text, value):
    assert kinds(text) == [("mobile", value)]


@pytest.mark.parametrize("text", [
    "编号138123456789",        # 12 digits
    "编号238123456789",
    "1381234567",              # 10 digits
    "12812345678",             # second digit not 3-9
    "10012345678",
    "x13812345678",            # glued to a letter
    "13812345678y",
    "138  1234 5678",          # double space
    "138****5678",             # already masked
    "座机010-12345678",
    "１３８１２３４５６７８",     # full-width digits are not normalised
])
def test_not_mobile_numbers(text):
    assert [f for f in scan_text(text, "body") if f.kind == "mobile"] == []


# --- e-mail -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("邮箱zhangsan@example.com，谢谢", "zhangsan@example.com"),
    ("联系 li.si+case@mail.gov.cn。", "li.si+case@mail.gov.cn"),
    ("user_01@sub-domain.example.org", "user_01@sub-domain.example.org"),
    ("写信给A.B@Example.COM", "A.B@Example.COM"),
    ("QQ邮箱13812345678@qq.com", "13812345678@qq.com"),  # one finding, not also a mobile
])
def test_emails_are_found(text, value):
    assert kinds(text) == [("email", value)]


@pytest.mark.parametrize("text", [
    "not an email @example.com",
    "user@localhost",
    "user@example.c",
    "z***@example.com",
    "张三@例子.中国",
])
def test_not_emails(text):
    assert [f for f in scan_text(text, "body") if f.kind == "email"] == []


# --- bank cards ---------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["4111111111111111", "5500000000000004", "6011000990139424",
                                    "378282246310005", CARD_19])
def test_luhn_ok(number):
    assert luhn_ok(number)


def test_luhn_valid_15_digit_number_is_outside_card_length_range():
    assert kinds("卡号378282246310005") == []


@pytest.mark.parametrize("value, ok", [
    ("4111111111111112", False), ("79927398713", True), ("79927398710", False),
    ("", False), ("0", False), ("4111 1111 1111 1111", False), ("abcd", False),
])
def test_luhn_edge_cases(value, ok):
    assert luhn_ok(value) is ok


@pytest.mark.parametrize("text, value", [
    (f"银行卡号{CARD}，开户行不详", CARD),
    ("卡号4111 1111 1111 1111。", "4111 1111 1111 1111"),
    ("卡号4111-1111-1111-1111", "4111-1111-1111-1111"),
    (f"账号{CARD_19}", CARD_19),
    (f"账号{CARD_19[:4]} {CARD_19[4:8]} {CARD_19[8:12]} {CARD_19[12:16]} {CARD_19[16:]}",
     f"{CARD_19[:4]} {CARD_19[4:8]} {CARD_19[8:12]} {CARD_19[12:16]} {CARD_19[16:]}"),
    ("卡号5500000000000004", "5500000000000004"),
])
def test_luhn_valid_cards_are_reported(text, value):
    assert kinds(text) == [("bank_card", value)]


@pytest.mark.parametrize("text", [
    "卡号4111111111111112",          # Luhn fails
    "卡号4111 1111 1111 1112",
    "编号411111111111111",           # 15 digits
    "编号41111111111111111111",      # 20 digits
    "卡号4111****1111",              # masked
    "A4111111111111111",
])
def test_not_bank_cards(text):
    assert [f for f in scan_text(text, "body") if f.kind == "bank_card"] == []


# --- findings, context, keys --------------------------------------------------------------

def test_finding_fields_offsets_and_context():
    text = "居民王某反映情况，联系电话13812345678，希望社区尽快处理楼道堆物问题并反馈结果。"
    [f] = scan_text(text, "description")
    assert isinstance(f, Finding)
    assert f.field == "description" and f.kind == "mobile" and f.label == "手机号码"
    assert text[f.start:f.end] == f.value == "13812345678"
    assert "13812345678" in f.context
    assert "联系电话" in f.context and "希望社区" in f.context
    assert len(f.context) <= len(f.value) + 40
    assert f.context == text[max(f.start - 20, 0):f.end + 20]
    assert f.masked == "138****5678"


def test_context_is_single_line():
    text = "第一行\n联系电话\r\n13812345678\n第三行"
    [f] = scan_text(text, "b")
    assert "\n" not in f.context and "\r" not in f.context
    assert "13812345678" in f.context and "联系电话" in f.context


def test_key_is_stable_and_kind_scoped():
    [a] = scan_text("电话13812345678", "a")
    [b] = scan_text("另一个字段 13812345678 。", "b")
    assert a.key == b.key == "mobile:" + hashlib.sha256(b"13812345678").hexdigest()[:16]
    [c] = scan_text("电话13912345678", "a")
    assert c.key != a.key


@pytest.mark.parametrize("kind", sorted(KIND_LABELS))
def test_labels(kind):
    f = Finding(kind=kind, value="v", field="f", start=0, end=1, context="v", masked="v")
    assert f.label == KIND_LABELS[kind]


def test_finding_is_frozen():
    [f] = scan_text("13812345678", "a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.value = "x"


def test_ignore_keys_suppresses_only_that_finding():
    text = f"电话13812345678，邮箱a@b.cn，身份证{PUBLISHED_ID}"
    found = scan_text(text, "body")
    assert [f.kind for f in found] == ["mobile", "email", "id_card"]
    mobile = found[0]
    rest = scan_text(text, "body", ignore_keys=frozenset({mobile.key}))
    assert [f.kind for f in rest] == ["email", "id_card"]
    assert scan_fields({"x": text}, ignore_keys=frozenset(f.key for f in found)) == []


def test_multiple_findings_sorted_by_position():
    text = f"卡号{CARD}；电话138-1234-5678；身份证{PUBLISHED_ID}；邮箱w@x.org；电话13812345678"
    assert kinds(text) == [("bank_card", CARD), ("mobile", "138-1234-5678"), ("id_card", PUBLISHED_ID),
                           ("email", "w@x.org"), ("mobile", "13812345678")]


@pytest.mark.parametrize("text", ["", "社区治理案例，无个人信息。", "2024年共服务1234567户，经费12345678.90元"])
def test_clean_text(text):
    assert scan_text(text, "body") == []


def test_scan_fields_reports_field_names_in_field_order():
    fields = {"title": "无", "summary": "邮箱a@example.com 与 电话13812345678",
              "body": f"身份证{PUBLISHED_ID}", "empty": "", "none": None}
    found = scan_fields(fields)
    assert [(f.field, f.kind) for f in found] == [("summary", "email"), ("summary", "mobile"),
                                                  ("body", "id_card")]
    assert all(f.start < f.end for f in found)


# --- masking ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, value, masked", [
    ("id_card", PUBLISHED_ID, "110105********002X"),
    ("id_card", "110105194912310029", "110105********0029"),
    ("mobile", "13812345678", "138****5678"),
    ("mobile", "138 1234 5678", "138****5678"),
    ("mobile", "138-1234-5678", "138****5678"),
    ("mobile", "+8613812345678", "+86138****5678"),
    ("mobile", "+86 138 1234 5678", "+86 138****5678"),
    ("email", "zhangsan@example.com", "z***@example.com"),
    ("email", "a@b.cn", "a***@b.cn"),
    ("bank_card", "4111111111111111", "4111********1111"),
    ("bank_card", CARD_19, CARD_19[:4] + "*" * 11 + CARD_19[-4:]),
    ("bank_card", "4111 1111 1111 1111", "4111********1111"),
])
def test_mask_value(kind, value, masked):
    assert mask_value(kind, value) == masked


@pytest.mark.parametrize("number", VALID_IDS)
def test_id_mask_keeps_first_six_and_last_four(number):
    m = mask_value("id_card", number)
    assert m[:6] == number[:6] and m[-4:] == number[-4:] and m[6:-4] == "********"


def test_mask_value_unknown_kind():
    with pytest.raises(ValueError):
        mask_value("passport", "E12345678")


@pytest.mark.parametrize("value", ["13812345678", "138 1234 5678", "+86 138 1234 5678", PUBLISHED_ID,
                                   CARD, "4111-1111-1111-1111", CARD_19, "zhang.san@example.com"])
def test_mask_in_text_replaces_all_and_rescan_is_clean(value):
    text = f"第一次{value}，再次出现：{value}\n末尾{value}"
    [kind] = {f.kind for f in scan_text(text, "b")}
    out = mask_in_text(text, value, kind)
    assert value not in out
    assert out.count(mask_value(kind, value)) == 3
    assert scan_text(out, "b") == []
    assert out.startswith("第一次") and "再次出现" in out


def test_mask_in_text_respects_token_boundaries():
    text = "编号138123456789；电话13812345678"
    out = mask_in_text(text, "13812345678", "mobile")
    assert out == "编号138123456789；电话138****5678"
    assert mask_in_text("a@b.cn.x 与 a@b.cn", "a@b.cn", "email") == "a@b.cn.x 与 a***@b.cn"
    assert mask_in_text("", "13812345678", "mobile") == ""


def test_masked_values_are_not_reported():
    text = ("身份证110105********002X 电话138****5678 邮箱z***@example.com "
            "卡号4111********1111 +86138****5678")
    assert scan_text(text, "b") == []
