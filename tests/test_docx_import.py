"""Word (.docx) import: documents are generated here with python-docx, no fixtures on disk."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

import markdown
import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import Pt

from portal.cases.docx_import import (
    DocxImportError,
    ImportedCase,
    ImportedImage,
    import_docx,
    match_section,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")
SECTION_HEADINGS = ["一、项目背景", "二、主要做法", "三、服务成效", "四、经验启示", "五、问题与展望"]
SECTION_NAMES = ["background", "approach", "outcomes", "lessons", "problems"]


# -- helpers ------------------------------------------------------------------------------------

def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def tiny_png(rgb: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    """A valid 1x1 truecolour PNG."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    raw = b"\x00" + bytes(rgb)  # filter byte + one pixel
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(raw)) + _png_chunk(b"IEND", b""))


def tiny_gif() -> bytes:
    """A valid 1x1 GIF (python-docx accepts it; the importer must skip it)."""
    return (b"GIF89a" + struct.pack("<HH", 1, 1) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
            + b",\x00\x00\x00\x00\x01\x00\x01\x00\x00" + b"\x02\x02D\x01\x00;")


def save(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def bold_paragraph(doc, text: str):
    paragraph = doc.add_paragraph()
    paragraph.add_run(text).bold = True
    return paragraph


def standard_case(heading_style: bool) -> bytes:
    doc = Document()
    doc.add_paragraph("幸福里社区“居民议事会”治理案例")
    bodies = {
        "background": "老旧小区停车难、加装电梯意见分歧大。",
        "approach": "每月召开一次居民议事会，议题由居民提出。",
        "outcomes": "两年内解决议题 56 项，居民满意度达到 92%。",
        "lessons": "让居民成为议事的主角，是治理可持续的关键。",
        "problems": "年轻居民参与偏少，下一步将开设线上议事。",
    }
    for heading, name in zip(SECTION_HEADINGS, SECTION_NAMES):
        if heading_style:
            doc.add_heading(heading, level=1)
        else:
            bold_paragraph(doc, heading)
        doc.add_paragraph(bodies[name])
    return save(doc)


def assert_chinese_error(excinfo) -> None:
    message = excinfo.value.message
    assert isinstance(message, str) and message
    assert CHINESE.search(message), message
    assert str(excinfo.value) == message


# -- sections -----------------------------------------------------------------------------------

@pytest.mark.parametrize("heading_style", [False, True], ids=["bold-paragraphs", "heading-1"])
def test_numbered_chinese_headings_fill_every_section(heading_style):
    case = import_docx(standard_case(heading_style))

    assert isinstance(case, ImportedCase)
    assert case.title == "幸福里社区“居民议事会”治理案例"
    assert case.background == "老旧小区停车难、加装电梯意见分歧大。"
    assert case.approach == "每月召开一次居民议事会，议题由居民提出。"
    assert case.outcomes == "两年内解决议题 56 项，居民满意度达到 92%。"
    assert case.lessons == "让居民成为议事的主角，是治理可持续的关键。"
    assert case.problems == "年轻居民参与偏少，下一步将开设线上议事。"
    assert case.matched_headings == dict(zip(SECTION_NAMES, SECTION_HEADINGS))
    assert case.images == []


HEADING_VARIANTS = [
    ("heading-2", "（一）项目缘起", "background"),
    ("bold", "1. 具体举措：", "approach"),
    ("heading-1", "第三部分 主要成果", "outcomes"),
    ("plain", "四、几点体会：", "lessons"),  # not bold: Chinese numbering is enough
    ("plain", "项目背景", "background"),  # short keyword line
    ("plain", "主要做法：", "approach"),
    ("bold", "社会影响", "outcomes"),
    ("plain", "【经验启示】", "lessons"),
    ("heading-1", "存在的不足与下一步打算", "problems"),
]


@pytest.mark.parametrize(("how", "heading", "section"), HEADING_VARIANTS,
                         ids=[f"{how}-{heading}" for how, heading, _ in HEADING_VARIANTS])
def test_heading_variants(how, heading, section):
    doc = Document()
    if how.startswith("heading-"):
        doc.add_heading(heading, level=int(how[-1]))
    elif how == "bold":
        bold_paragraph(doc, heading)
    else:
        doc.add_paragraph(heading)
    doc.add_paragraph("正文内容。")

    case = import_docx(save(doc))

    assert getattr(case, section) == "正文内容。"
    assert case.matched_headings == {section: heading}
    assert case.title == ""


def test_variant_headings_in_one_document():
    doc = Document()
    for heading, body in [("一、项目缘起", "缘起内容"), ("二、具体举措", "举措内容"),
                          ("三、主要成果", "成果内容"), ("四、几点体会：", "体会内容")]:
        doc.add_paragraph(heading)  # plain paragraphs, consistent numbering
        doc.add_paragraph(body)

    case = import_docx(save(doc))

    assert (case.background, case.approach, case.outcomes, case.lessons) == (
        "缘起内容", "举措内容", "成果内容", "体会内容")


def test_plain_text_that_merely_contains_a_keyword_is_not_a_heading():
    doc = Document()
    doc.add_heading("三、服务成效", level=1)
    doc.add_paragraph("成效显著")
    doc.add_paragraph("背景内容")
    doc.add_paragraph("项目实施过程中，居民参与度不断提高。")

    case = import_docx(save(doc))

    assert case.outcomes == "成效显著\n\n背景内容\n\n项目实施过程中，居民参与度不断提高。"
    assert case.matched_headings == {"outcomes": "三、服务成效"}


def test_text_before_first_heading_goes_to_approach():
    doc = Document()
    doc.add_paragraph("本案例由街道办事处于2023年整理，材料来源于社区工作台账，供同行交流参考使用。")
    doc.add_paragraph("第二段说明文字。")
    doc.add_heading("一、项目背景", level=1)
    doc.add_paragraph("背景内容")

    case = import_docx(save(doc))

    assert case.title == ""  # the first paragraph is too long to be a title
    assert case.approach == ("本案例由街道办事处于2023年整理，材料来源于社区工作台账，供同行交流参考使用。"
                             "\n\n第二段说明文字。")
    assert case.background == "背景内容"


def test_unmatched_top_level_heading_without_section_goes_to_approach():
    doc = Document()
    doc.add_heading("案例说明", level=1)  # first paragraph: becomes the title
    doc.add_heading("一、总体情况说明", level=1)  # no section keyword
    doc.add_paragraph("说明内容")
    doc.add_heading("二、经验启示", level=1)
    doc.add_paragraph("启示内容")

    case = import_docx(save(doc))

    assert case.title == "案例说明"
    assert case.approach == "### 一、总体情况说明\n\n说明内容"
    assert case.lessons == "启示内容"


def test_sub_headings_stay_in_their_section():
    doc = Document()
    doc.add_heading("二、主要做法", level=1)
    doc.add_heading("（一）党建引领，搭建议事平台", level=2)
    doc.add_paragraph("平台内容")
    bold_paragraph(doc, "（二）扩大社会影响")  # "影响" is an outcomes keyword, but nested deeper
    doc.add_paragraph("影响内容")
    doc.add_heading("三、服务成效", level=1)
    doc.add_paragraph("成效内容")

    case = import_docx(save(doc))

    assert case.approach == ("### （一）党建引领，搭建议事平台\n\n平台内容\n\n"
                             "### （二）扩大社会影响\n\n影响内容")
    assert case.outcomes == "成效内容"
    assert "outcomes" in case.matched_headings and case.matched_headings["outcomes"] == "三、服务成效"


def test_numbered_list_lines_in_text_are_not_headings():
    doc = Document()
    doc.add_heading("三、服务成效", level=1)
    doc.add_paragraph("1. 居民参与率提高")
    doc.add_paragraph("2. 矛盾纠纷减少")

    case = import_docx(save(doc))

    assert case.outcomes == "1. 居民参与率提高\n\n2. 矛盾纠纷减少"


# -- inline formatting, lists, tables ------------------------------------------------------------

def test_bold_runs_lists_and_indentation():
    doc = Document()
    doc.add_heading("二、主要做法", level=1)
    paragraph = doc.add_paragraph("\u3000\u3000我们坚持")  # full-width indentation is dropped
    paragraph.add_run("居民提、居民议、居民定").bold = True
    paragraph.add_run("的原则。")
    doc.add_paragraph("建立议事清单", style="List Bullet")
    doc.add_paragraph("公开议事结果", style="List Bullet")
    doc.add_paragraph("此后每季度复盘一次，形成闭环管理机制。")

    case = import_docx(save(doc))

    assert case.approach == ("我们坚持**居民提、居民议、居民定**的原则。\n\n"
                             "- 建立议事清单\n- 公开议事结果\n\n"
                             "此后每季度复盘一次，形成闭环管理机制。")


def test_table_becomes_markdown_table():
    doc = Document()
    doc.add_heading("三、服务成效", level=1)
    doc.add_paragraph("主要指标如下：")
    table = doc.add_table(rows=3, cols=3)
    cells = [["指标", "2022年", "2023年"], ["议题数", "20", "36"], ["满意度", "85%|良", ""]]
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 2).paragraphs[0].add_run("92%")
    table.cell(2, 2).add_paragraph("优")  # a second line in the cell
    doc.add_paragraph("表后说明。")

    case = import_docx(save(doc))

    expected_table = ("| 指标 | 2022年 | 2023年 |\n"
                      "| --- | --- | --- |\n"
                      "| 议题数 | 20 | 36 |\n"
                      "| 满意度 | 85%\\|良 | 92% 优 |")
    assert case.outcomes == f"主要指标如下：\n\n{expected_table}\n\n表后说明。"
    html = markdown.markdown(case.outcomes, extensions=["tables"])
    assert "<table>" in html and "<th>指标</th>" in html and "<td>85%|良</td>" in html


def test_ragged_table_rows_are_padded():
    doc = Document()
    doc.add_heading("一、项目背景", level=1)
    table = doc.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "甲"
    table.cell(0, 1).text = "乙"
    table.cell(0, 2).text = "丙"
    table.cell(1, 0).text = "合并"
    table.cell(1, 0).merge(table.cell(1, 1))  # row 2 has two w:tc, the first spanning two columns
    table.cell(1, 2).text = "尾"

    case = import_docx(save(doc))

    assert case.background == "| 甲 | 乙 | 丙 |\n| --- | --- | --- |\n| 合并 |  | 尾 |"


# -- images -------------------------------------------------------------------------------------

def test_png_image_is_extracted_and_other_formats_skipped(tmp_path):
    png = tiny_png()
    doc = Document()
    doc.add_heading("二、主要做法", level=1)
    doc.add_paragraph("活动现场照片：")
    doc.add_picture(io.BytesIO(png))
    doc.add_picture(io.BytesIO(png))  # the same picture twice
    doc.add_picture(io.BytesIO(tiny_gif()))

    case = import_docx(save(doc))

    assert case.images == [ImportedImage(filename="image1.png", content_type="image/png", data=png)]
    assert case.approach == "活动现场照片："


def test_two_different_images_keep_document_order():
    red, blue = tiny_png((255, 0, 0)), tiny_png((0, 0, 255))
    doc = Document()
    doc.add_paragraph("图片")
    doc.add_picture(io.BytesIO(blue))
    doc.add_picture(io.BytesIO(red))

    case = import_docx(save(doc))

    assert [image.data for image in case.images] == [blue, red]
    assert all(image.content_type == "image/png" for image in case.images)
    assert len({image.filename for image in case.images}) == 2


def test_image_bytes_decide_not_the_declared_type():
    """A part named .png whose bytes are a GIF is dropped; bytes of a JPEG are kept as JPEG."""
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 32 + b"\xff\xd9"
    original = save_with_picture()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/media/image1.png":
                data = jpeg
            dst.writestr(info, data)

    case = import_docx(out.getvalue())

    assert case.images == [ImportedImage(filename="image1.jpg", content_type="image/jpeg", data=jpeg)]


def save_with_picture() -> bytes:
    doc = Document()
    doc.add_paragraph("有图")
    doc.add_picture(io.BytesIO(tiny_png()))
    return save(doc)


# -- title and summary ---------------------------------------------------------------------------

def test_title_style_wins_over_first_paragraph():
    doc = Document()
    doc.add_paragraph("内部资料")
    doc.add_heading("“红色物业”让老旧小区焕新颜", level=0)  # level 0 = Title style
    doc.add_heading("一、项目背景", level=1)
    doc.add_paragraph("背景内容")

    case = import_docx(save(doc))

    assert case.title == "“红色物业”让老旧小区焕新颜"
    assert case.approach == "内部资料"
    assert "红色物业" not in case.background + case.approach


def test_no_title_when_document_starts_with_a_section_heading():
    case = import_docx(save_with(lambda doc: (doc.add_heading("一、项目背景", 1), doc.add_paragraph("内容"))))
    assert case.title == ""
    assert case.background == "内容"


def save_with(build) -> bytes:
    doc = Document()
    build(doc)
    return save(doc)


def test_inline_summary_paragraph():
    doc = Document()
    doc.add_paragraph("社区议事案例")
    doc.add_paragraph("摘要：本案例介绍了社区议事会的运行机制。")
    doc.add_heading("一、项目背景", level=1)
    doc.add_paragraph("背景内容")

    case = import_docx(save(doc))

    assert case.title == "社区议事案例"
    assert case.summary == "本案例介绍了社区议事会的运行机制。"
    assert case.approach == ""
    assert case.background == "背景内容"


def test_summary_heading_followed_by_one_paragraph_and_trimmed():
    long_summary = "社区治理" * 100  # 400 characters
    doc = Document()
    doc.add_heading("内容摘要", level=1)
    doc.add_paragraph(long_summary)
    doc.add_paragraph("这一段不是摘要。")
    doc.add_heading("一、项目背景", level=1)
    doc.add_paragraph("背景内容")

    case = import_docx(save(doc))

    assert len(case.summary) == 300
    assert case.summary.startswith("社区治理社区治理") and case.summary.endswith("…")
    assert case.approach == "这一段不是摘要。"
    assert case.background == "背景内容"


def test_english_colon_summary():
    case = import_docx(save_with(lambda doc: doc.add_paragraph("内容摘要: 简短摘要。")))
    assert case.summary == "简短摘要。"


# -- limits -------------------------------------------------------------------------------------

def test_too_many_paragraphs():
    doc = Document()
    for i in range(20):
        doc.add_paragraph(f"第{i}段内容。")
    data = save(doc)

    assert import_docx(data, max_paragraphs=20).approach.startswith("第0段内容。")
    with pytest.raises(DocxImportError) as excinfo:
        import_docx(data, max_paragraphs=10)
    assert_chinese_error(excinfo)
    assert "文档过长" in excinfo.value.message


def test_too_much_text():
    doc = Document()
    for _ in range(3):
        doc.add_paragraph("字" * 70_000)
    with pytest.raises(DocxImportError) as excinfo:
        import_docx(save(doc))
    assert_chinese_error(excinfo)
    assert "文档过长" in excinfo.value.message


# -- broken input -------------------------------------------------------------------------------

def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _docx_without(member: str) -> bytes:
    original = save_with(lambda doc: doc.add_paragraph("内容"))
    with zipfile.ZipFile(io.BytesIO(original)) as src:
        return _zip({name: src.read(name) for name in src.namelist() if name != member})


def _docx_with_broken_xml() -> bytes:
    original = save_with(lambda doc: doc.add_paragraph("内容"))
    with zipfile.ZipFile(io.BytesIO(original)) as src:
        files = {name: src.read(name) for name in src.namelist()}
    files["word/document.xml"] = files["word/document.xml"][:200]
    return _zip(files)


BROKEN_INPUTS = {
    "empty-bytes": lambda: b"",
    "not-a-zip": lambda: b"not a zip",
    "renamed-pdf": lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    "legacy-doc": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "zip-with-other-content": lambda: _zip({"hello.txt": b"hello", "word/readme.txt": b"x"}),
    "zip-without-document-xml": lambda: _docx_without("word/document.xml"),
    "zip-without-content-types": lambda: _docx_without("[Content_Types].xml"),
    "broken-document-xml": _docx_with_broken_xml,
    "truncated-docx": lambda: standard_case(True)[:2000],
    "xlsx-like-package": lambda: _zip({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                               b'package/2006/content-types"/>',
        "word/x.xml": b"<x/>",
    }),
}


@pytest.mark.parametrize("make", BROKEN_INPUTS.values(), ids=BROKEN_INPUTS.keys())
def test_broken_inputs_raise_chinese_error(make):
    with pytest.raises(DocxImportError) as excinfo:
        import_docx(make())
    assert_chinese_error(excinfo)


def test_unreadable_message_mentions_docx():
    with pytest.raises(DocxImportError) as excinfo:
        import_docx(b"not a zip")
    assert excinfo.value.message == "无法读取该文件：请上传 Word 2007 及以上版本的 .docx 文档。"


def test_a_small_file_inflating_to_a_huge_xml_is_refused_before_parsing(monkeypatch):
    """A few KB that inflate to more XML than any case document has: refused from the declared
    sizes, before python-docx builds a tree of it (it is never opened)."""
    original = save_with(lambda doc: doc.add_paragraph("内容"))
    with zipfile.ZipFile(io.BytesIO(original)) as src:
        files = {name: src.read(name) for name in src.namelist()}
    body = files["word/document.xml"]
    files["word/document.xml"] = body.replace(b"<w:body>", b"<w:body>" + b" " * (9 * 1024 * 1024), 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    data = out.getvalue()
    assert len(data) < 100 * 1024
    import docx

    monkeypatch.setattr(docx, "Document", lambda *a, **k: pytest.fail("the XML was parsed"))
    with pytest.raises(DocxImportError) as excinfo:
        import_docx(data)
    assert "文档的文字部分解压后体积异常" in excinfo.value.message


def test_empty_document_has_no_text():
    with pytest.raises(DocxImportError) as excinfo:
        import_docx(save(Document()))
    assert excinfo.value.message == "文档中没有可导入的文字。"


def test_document_with_only_blank_paragraphs_and_image_has_no_text():
    doc = Document()
    doc.add_paragraph("   ")
    doc.add_picture(io.BytesIO(tiny_png()))
    with pytest.raises(DocxImportError) as excinfo:
        import_docx(save(doc))
    assert excinfo.value.message == "文档中没有可导入的文字。"


# -- robustness extras -----------------------------------------------------------------------------

def test_bold_character_style_and_spaced_heading():
    doc = Document()
    style = doc.styles.add_style("醒目", WD_STYLE_TYPE.CHARACTER)
    style.font.bold = True
    style.font.size = Pt(14)
    paragraph = doc.add_paragraph()
    paragraph.add_run("背  景", style="醒目")  # bold through the character style, spaced out
    doc.add_paragraph("背景内容")

    case = import_docx(save(doc))

    assert case.background == "背景内容"
    assert case.matched_headings == {"background": "背  景"}


def test_hyperlink_text_is_kept():
    original = save_with(lambda doc: doc.add_paragraph("PLACEHOLDER"))
    with zipfile.ZipFile(io.BytesIO(original)) as src:
        files = {name: src.read(name) for name in src.namelist()}
    link = ('<w:r><w:t xml:space="preserve">详见</w:t></w:r><w:hyperlink w:anchor="x">'
            '<w:r><w:t>社区网站</w:t></w:r></w:hyperlink>')
    files["word/document.xml"] = files["word/document.xml"].replace(
        b"<w:r><w:t>PLACEHOLDER</w:t></w:r>", link.encode())
    assert link.encode() in files["word/document.xml"]

    case = import_docx(_zip(files))

    assert case.title == "详见社区网站"


# -- match_section ------------------------------------------------------------------------------

@pytest.mark.parametrize(("heading", "section"), [
    ("一、项目背景", "background"),
    ("项目缘起", "background"),
    ("（一）基本情况", "background"),
    ("1. 背景", "background"),
    ("第一部分 项目概况", "background"),
    ("问题提出", "background"),
    ("【案例背景】", "background"),
    ("背 景：", "background"),
    ("二、主要做法", "approach"),
    ("（二）具体举措", "approach"),
    ("1、工作措施", "approach"),
    ("实施过程", "approach"),
    ("服务内容", "approach"),
    ("主要工作：", "approach"),
    ("实施路径", "approach"),
    ("工作方法", "approach"),
    ("三、服务成效：", "outcomes"),
    ("主要成果", "outcomes"),
    ("实施效果", "outcomes"),
    ("项目实施成效", "outcomes"),
    ("工作成绩", "outcomes"),
    ("社会影响", "outcomes"),
    ("四、经验启示", "lessons"),
    ("几点体会", "lessons"),
    ("反思", "lessons"),
    ("４．思考与讨论", "lessons"),
    ("五、问题与展望", "problems"),
    ("存在的问题与未来展望", "problems"),
    ("不足之处", "problems"),
    ("面临的挑战", "problems"),
    ("困难", "problems"),
    ("下一步计划", "problems"),
    ("问题与展望：", "problems"),
    ("附件", None),
    ("一、", None),
    ("", None),
    ("参考资料", None),
])
def test_match_section(heading, section):
    assert match_section(heading) == section


def test_custom_heading_style_with_outline_level():
    doc = Document()
    style = doc.styles.add_style("一级标题", WD_STYLE_TYPE.PARAGRAPH)
    outline = style.element.get_or_add_pPr().makeelement(qn("w:outlineLvl"), {qn("w:val"): "0"})
    style.element.get_or_add_pPr().append(outline)
    doc.add_paragraph("总体概况与推进思路说明", style="一级标题")  # long-ish, not bold, no number
    doc.add_paragraph("概况内容")
    doc.add_paragraph("具体工作举措与创新做法", style="一级标题")
    doc.add_paragraph("做法内容")

    case = import_docx(save(doc))

    assert case.background == "概况内容"
    assert case.approach == "做法内容"


def test_content_controls_are_unwrapped():
    original = save_with(lambda doc: (doc.add_paragraph("一、项目背景"), doc.add_paragraph("背景内容")))
    with zipfile.ZipFile(io.BytesIO(original)) as src:
        files = {name: src.read(name) for name in src.namelist()}
    xml = files["word/document.xml"].decode()
    start = xml.index("<w:p>")
    end = xml.index("<w:sectPr")
    xml = (xml[:start] + "<w:sdt><w:sdtPr/><w:sdtContent>" + xml[start:end]
           + "</w:sdtContent></w:sdt>" + xml[end:])
    files["word/document.xml"] = xml.encode()

    case = import_docx(_zip(files))

    assert case.background == "背景内容"


def test_returning_to_a_section_marks_the_second_part():
    doc = Document()
    for heading, body in [("一、项目背景", "背景一"), ("二、主要做法", "做法内容"), ("三、补充背景", "背景二")]:
        doc.add_heading(heading, level=1)
        doc.add_paragraph(body)

    case = import_docx(save(doc))

    assert case.background == "背景一\n\n### 三、补充背景\n\n背景二"
    assert case.matched_headings["background"] == "一、项目背景"
    assert case.approach == "做法内容"


def test_numbered_list_style_and_list_after_paragraph():
    doc = Document()
    doc.add_heading("四、经验启示", level=1)
    doc.add_paragraph("坚持党建引领", style="List Number")
    doc.add_paragraph("坚持居民主体", style="List Number")

    case = import_docx(save(doc))

    assert case.lessons == "- 坚持党建引领\n- 坚持居民主体"
    html = markdown.markdown(case.lessons)
    assert html.count("<li>") == 2
