"""Twelve demo cases for the case library (also the JSON Lines import format, one dict per line).

Facts (places, programmes, figures) come from the newspaper page in ../shared/seed/; every
sentence is our own wording and every organisation is a demo unit from ``portal/demo.py``.
No real person is named: people appear only by role (驻站社工, 村党支部书记 …).

The draft case (demo-004) deliberately carries one fake mobile number so that the privacy
check has something to find; no other case contains personal data.

Run ``python -m portal.cases.demo_cases`` to validate the data; it prints ``ok``.
"""
from __future__ import annotations

import textwrap


def _md(text: str) -> str:
    """Dedent a triple-quoted Markdown block and trim surrounding blank lines."""
    return textwrap.dedent(text).strip()


QDN = "黔东南州示例社会工作服务中心"
TONGREN = "铜仁市示例乡镇社工站"
CHONGQING = "重庆市示例社会工作发展中心"
SHANGHAI = "上海市示例街道社区服务中心"

DEMO_CASES: list[dict] = [
    # ------------------------------------------------------------------ demo-001
    {
        "external_id": "demo-001",
        "org": QDN,
        "status": "published",
        "featured": True,
        "title": "五社联动进搬迁社区：青禾社区的“共治工作台”",
        "summary": (
            "青禾社区是一个易地扶贫搬迁安置社区，居民来自州内多个县，彼此陌生、诉求分散。"
            "驻站社工借助黔东南州“五社联动”试点，让社区、社会组织、社工、志愿者和慈善资源"
            "坐到同一张议事桌前，一年多时间里建起了楼栋互助网络和社区微基金。"
        ),
        "background": _md("""
            青禾社区位于凯里市城郊，自 2019 年起陆续安置了来自州内各县的搬迁群众，现有 1100 余户。搬进新家之后，社区很快暴露出三方面的难题：

            - 居民来自不同村寨，生活习惯和语言各不相同，邻里之间缺少信任；
            - 老人和留守儿童占比高，就业岗位离家远，青壮年多数外出务工；
            - 居委会人手有限，过去主要靠社区、社会组织和社工三方配合，志愿者和慈善资源一直没有稳定的进入渠道。

            2022 年，黔东南州在原有“三社联动”做法的基础上启动“五社联动”服务试点，青禾社区成为试点社区之一，我们中心承担了驻点服务。
        """),
        "approach": _md("""
            我们把试点工作拆成四步推进：

            1. 摸底建档：驻站社工与楼栋长一起逐户走访，按老人、儿童、就业、困难家庭四类建立需求台账。
            2. 搭建联席会：每月召开一次“五社”联席会，由社区党支部书记主持，社会组织、社工、志愿者代表和爱心企业现场认领任务。
            3. 培育本土力量：从搬迁群众中发现热心人，组建楼栋互助队、民族文艺队和课后托管志愿队。
            4. 设立社区微基金：与州内慈善组织合作设立微基金，用于应急救助和小型公益项目，收支每季度张榜公开。

            联席会议定的事项由社工负责跟进，并在下一次会议上通报进展，形成**提议—认领—反馈**的闭环。
        """),
        "outcomes": _md("""
            截至 2023 年底，试点的主要产出如下：

            | 指标 | 数量 |
            | --- | --- |
            | 建立需求台账的家庭 | 1126 户 |
            | 召开“五社”联席会 | 21 次 |
            | 培育社区社会组织 | 6 支 |
            | 注册社区志愿者 | 240 人 |
            | 微基金支持的小项目 | 15 个 |

            居民对邻里关系的看法也在改变：回访时表示遇到困难愿意找邻居帮忙的受访者，从首轮走访时的不到三成升至六成左右。课后托管点由志愿者轮流值守，社工不在场时也能照常开放。社区居委会已把联席会写进年度工作计划，试点结束后继续按月召开。
        """),
        "lessons": _md("""
            - 从“三社”走向“五社”，要紧的不是多拉两方入场，而是给志愿者和慈善资源一个固定入口和明确分工。
            - 联席会必须有人兜底跟进。社工负责记录和反馈进度，议定的事情才不会停留在纸面上。
            - 搬迁社区的融合急不来，文艺队、节庆聚会这类轻松的集体活动，往往比正式开会更能拉近距离。
            - 账目公开是居民愿意为微基金捐款的前提，按季度公示的做法效果很好。
            - 搬迁群众中有不少能人，社工要善于发现并为他们搭台子，让居民从“被服务”转向“一起干”。
        """),
        "problems": _md("""
            社区微基金的捐赠目前仍主要来自一家爱心企业，来源比较单一；部分志愿队伍依赖个别骨干，骨干外出务工后活动就容易停下来，下一阶段需要着力培养后备力量。
        """),
        "themes": ["五社联动", "三社联动", "资源链接与慈善"],
        "tags": ["易地扶贫搬迁", "社区微基金", "联席会"],
        "province": "贵州省",
        "city": "黔东南苗族侗族自治州",
        "county": "凯里市",
        "community": "青禾社区",
        "community_type": "城乡结合部",
        "started_on": "2022-03-01",
        "ended_on": "2023-12-31",
        "beneficiaries": 3400,
        "partners": "街道办事处、社区居委会、州内慈善组织",
        "funding_source": "民政部门购买服务、社区微基金",
    },
    # ------------------------------------------------------------------ demo-002
    {
        "external_id": "demo-002",
        "org": QDN,
        "status": "published",
        "featured": False,
        "title": "“检察+社工”：山区县涉案未成年人社会观护探索",
        "summary": (
            "参照省内威宁县、兴仁市探索“检察+社工”的做法，我们与县人民检察院合作，"
            "由乡镇社工站承担涉案及有不良行为未成年人的社会调查、观护帮教和家庭支持。"
            "两年下来，司法程序与社区服务衔接得更顺畅，观护对象复学、就业的情况明显好转。"
        ),
        "background": _md("""
            台江县外出务工人员多，不少孩子跟着祖辈生活。县检察院在办理未成年人案件时注意到，一些孩子在检察机关作出不起诉或附条件不起诉决定后回到村里，身边缺少持续的教育和陪伴，家里人也不知道该怎么管。检察官手头案件多，很难长期跟进每一个孩子。

            当时，毕节市威宁县和黔西南州兴仁市已在尝试让社工参与司法帮教。县检察院与我们中心商量后，决定依托乡镇社工站，先在柳溪村所在的镇试点，再逐步推广到全县。
        """),
        "approach": _md("""
            合作按照“检察机关委托、社工站承接、村（居）协同”的思路开展：

            1. 社会调查：接到委托后，社工在十个工作日内完成家访，写出社会调查报告，供检察官办案参考。
            2. 观护帮教：为每名观护对象制定个别化帮教计划，每周至少面谈或通话一次，内容包括法治教育、情绪疏导和学业规划。
            3. 家庭支持：组织监护人参加亲职课堂，帮助祖辈学会和青春期的孩子沟通。
            4. 社区融入：协调村委会和学校，安排观护对象参加公益劳动和兴趣小组，避免被贴上标签。

            每个季度，检察官、社工和村干部开一次个案会商，评估帮教进展并调整计划。
        """),
        "outcomes": _md("""
            两年间，社工站共承接检察院委托的社会调查 38 件，对 26 名未成年人开展观护帮教，服务监护人 40 余名。

            | 指标 | 数量 |
            | --- | --- |
            | 社会调查报告 | 38 份 |
            | 观护帮教对象 | 26 人 |
            | 亲职课堂 | 12 期 |
            | 个案会商 | 8 次 |

            观护期间，帮教对象中没有人再次涉案；其中 9 人重返校园，7 人在社工协助下进入职业学校或找到稳定工作。检察官反馈说，调查报告让他们更完整地了解孩子的成长环境，作出处理决定时心里更有底。县检察院已把这一做法推广到另外两个乡镇的社工站。
        """),
        "lessons": _md("""
            - 检察机关与社工站要先把分工讲清楚：检察官负责法律判断，社工负责成长支持，双方各守其位。
            - 社会调查报告要有统一提纲和完成时限，否则很难真正进入司法程序。
            - 帮教的重点不只是孩子本人，监护能力薄弱的家庭同样需要陪伴。
            - **保护隐私是底线**。观护对象的信息只在会商小组内部流转，参与的村干部签署保密承诺，活动中不公开孩子身份。
            - 村里是熟人社会，社工要在争取村干部支持和保护孩子隐私之间把握好分寸。
        """),
        "problems": "",
        "themes": ["司法社工", "未成年人关爱"],
        "tags": ["检察+社工", "社会观护", "亲职教育"],
        "province": "贵州省",
        "city": "黔东南苗族侗族自治州",
        "county": "台江县",
        "community": "柳溪村",
        "community_type": "农村社区",
        "started_on": "2022-03-01",
        "ended_on": "2024-02-29",
        "beneficiaries": 66,
        "partners": "县人民检察院、镇人民政府、县域中小学",
        "funding_source": "检察机关购买服务",
    },
    # ------------------------------------------------------------------ demo-003
    {
        "external_id": "demo-003",
        "org": QDN,
        "status": "published",
        "featured": False,
        "title": "党建引领村寨议事：新寨村的“火塘会”",
        "summary": (
            "新寨村是一个苗族聚居的山区村，过去村务多由少数人拍板，村民参与不多。"
            "村党支部和驻村社工一起，把村民习惯的火塘边闲谈变成按月召开的议事会，"
            "用协商的办法解决了修路占地、环境整治等几件难事。"
        ),
        "background": _md("""
            新寨村有 320 余户，青壮年大多在外打工。脱贫攻坚任务完成后，村里陆续有了产业发展资金和人居环境整治项目，可钱怎么花、先干哪件事，村民看法不一。以往开会，到场的多是老人，愿意表态的更少；项目一旦涉及占地、投工投劳，争执就会冒出来。

            村党支部书记认为，村民并非不关心村里的事，而是缺少一个让大家愿意开口的场合。2020 年春，村支部请我们中心的社工驻村，协助设计一套村民能接受、也能坚持下去的议事办法。
        """),
        "approach": _md("""
            1. 支部把关：议题由村党支部收集汇总，重大事项先经支委会研究，确保方向不偏。
            2. 火塘议事：每月农历十五前后，在村民轮流提供的火塘屋开会，寨老、妇女代表、返乡青年和党员都有固定座位。
            3. 社工协作：社工担任会议协作者，用“议题卡”“举手排序”等简单工具帮大家把意见说清楚，避免少数人包场。
            4. 结果公开：议定事项用苗汉双语写上村口公示栏，并指定党员负责跟进落实。

            考虑到外出务工的村民，社工还建了村务微信群，重要议题会提前在群里征求意见。
        """),
        "outcomes": _md("""
            两年里火塘会共召开 22 次，参会村民累计 1300 余人次，妇女和青年所占比例从起初不到两成提高到四成以上。

            通过协商，几件搁置多年的事情有了着落：

            - 通组路拓宽涉及 11 户占地，经过三轮议事商定了调地方案，全程没有发生纠纷；
            - 村民一起修订了村规民约，增加了垃圾分类和禁止乱倒建筑废料的条款；
            - 产业资金优先投向村民投票选出的茶园提质项目。

            村干部说，从前要挨家挨户上门做工作的事，如今在会上就能商量出结果。
        """),
        "lessons": _md("""
            - 党建引领要落到具体环节上：议题把关、党员包事、结果跟进，每一环都要看得到支部的作用。
            - 议事形式要贴近当地生活。火塘屋比会议室更让村民放松，发言也更踊跃。
            - 社工是协作者而不是拍板的人，要帮助村民自己拿出方案。
            - 双语公示和微信群让不识字的老人和在外的年轻人都能参与进来，这对少数民族村寨尤为重要。
            - 议事会要按时召开，没有大事也可以议一议小事，让村民养成有事商量的习惯。
        """),
        "problems": _md("""
            有些议题需要县级部门审批，村里商定之后还要等很久才能落地，影响了村民的积极性；会议记录整理目前主要靠社工，村里还没有培养出能独立承担记录工作的人。
        """),
        "themes": ["党建引领", "社区协商议事", "乡村振兴"],
        "tags": ["议事会", "村规民约", "少数民族村寨"],
        "province": "贵州省",
        "city": "黔东南苗族侗族自治州",
        "county": "雷山县",
        "community": "新寨村",
        "community_type": "农村社区",
        "started_on": "2020-04-01",
        "ended_on": "2022-03-31",
        "beneficiaries": 1380,
        "partners": "村党支部、村民委员会、镇人民政府",
        "funding_source": "镇人民政府购买服务",
    },
    # ------------------------------------------------------------------ demo-004 (draft)
    {
        "external_id": "demo-004",
        "org": QDN,
        "status": "draft",
        "featured": False,
        "title": "从“看得住”到“陪得好”：山区村儿童之家重新运转起来",
        "summary": (
            "依托镇社工站，我们在一个留守儿童较多的山区村重新启用了闲置多年的儿童之家。"
            "项目通过固定开放时间、志愿者轮值和祖辈家长课堂，尝试给孩子们一个安全、有人陪伴的课余去处。"
        ),
        "background": _md("""
            岩脚村离镇上 20 多公里，全村 6 至 14 岁的孩子有 150 余名，约一半孩子的父母一方或双方在外务工。村里几年前建过儿童之家，但一直没有专人管理，大多数时候锁着门，图书和玩具也很少有人用。

            2024 年初，镇社工站在走访中发现，放学后和周末不少孩子在河边、公路边玩耍，安全隐患不小；祖辈监护人普遍说辅导不了作业，也不清楚孩子心里在想什么。社工站决定以儿童之家为抓手，开展为期两年的陪伴服务。
        """),
        "approach": _md("""
            项目目前按以下安排推进：

            - 固定开放：每周五下午和周末全天开放，由驻站社工和两名村级儿童主任轮流值守；
            - 志愿陪伴：借鉴省内引导志愿者走进学校、走进乡村的做法，招募返乡大学生和镇中心校教师担任志愿者，开展作业辅导和阅读活动；
            - 安全教育：每月一次防溺水、交通安全或防欺凌主题课；
            - 家长课堂：每季度邀请祖辈监护人参加，交流隔代养育中常见的难题。

            志愿者报名和活动咨询请联系驻站社工，联系电话 13800138000。
        """),
        "outcomes": _md("""
            项目启动半年，已经看到一些初步变化：

            - 儿童之家累计开放 48 次，参与儿童 1100 余人次，经常来的孩子有 60 名左右；
            - 组建了 9 人的志愿者队伍，其中 5 人是返乡大学生；
            - 完成 30 户重点家庭的入户走访，对其中 6 名情绪或学业困难较突出的孩子开展个案跟进；
            - 每月的安全教育课都有 40 名左右的孩子参加，家长们说孩子放学后往河边跑的情况少了。

            家长课堂目前只办了两期，来的祖辈不多，效果还有待观察。上述数据将在中期评估后补充完整。
        """),
        "lessons": _md("""
            （草稿，待补充）

            - 儿童之家能不能用起来，关键在于有没有固定的人、固定的时间，硬件反而是其次。
            - 村级儿童主任熟悉每户人家的情况，是社工入户走访的得力帮手。
            - 返乡大学生志愿者流动性大，开学后人手会明显减少，要提前与学校教师志愿者做好衔接。
            - 给祖辈讲课要用方言、多举身边的例子，光讲道理很难吸引他们来参加。
            - 儿童工作要把安全放在第一位，开放期间必须有成年人在场，活动前后都要清点人数。
        """),
        "problems": _md("""
            祖辈监护人参加家长课堂的积极性还不高，有的老人担心耽误农活；儿童之家的图书和活动器材多是早年配置，需要更新补充，社工站正在联系慈善资源。
        """),
        "themes": ["未成年人关爱", "社工站建设", "志愿服务"],
        "tags": ["儿童之家", "留守儿童", "儿童主任"],
        "province": "贵州省",
        "city": "黔东南苗族侗族自治州",
        "county": "从江县",
        "community": "岩脚村",
        "community_type": "农村社区",
        "started_on": "2024-03-01",
        "ended_on": None,
        "beneficiaries": 160,
        "partners": "镇社工站、镇中心校、村民委员会",
        "funding_source": "民政部门购买服务",
    },
    # ------------------------------------------------------------------ demo-005
    {
        "external_id": "demo-005",
        "org": TONGREN,
        "status": "published",
        "featured": True,
        "title": "东西部协作引才入站：东莞督导与乡镇社工站的两年结对",
        "summary": (
            "铜仁市借助东西部协作资源，把东莞的资深社工引进基层社工站。"
            "我们站与两名东莞督导结对两年，经过驻点带教、远程督导和共同设计项目，"
            "本地社工从只会“填表格”成长为能独立开展个案和社区项目的团队。"
        ),
        "background": _md("""
            我们站成立于 2021 年初，当时只有三名驻站社工，其中两人是刚毕业的非社工专业学生。站点挂了牌，但日常工作主要是配合镇里填报表格、走访登记，专业服务做得很少。面对困难老人、留守儿童的复杂情况，社工们常常不知道从何下手。

            那段时间，全省正在加快乡镇（街道）社工站建设，到 2022 年 9 月已建成站点 755 个、驻站社工 1200 余名，约一半乡镇（街道）有了社工站。站点数量上来了，人才留不住、能力跟不上却是各地的共同难题。铜仁市借助东西部协作，从东莞引进优秀社工下沉基层站点，我们站是首批结对的站点之一。
        """),
        "approach": _md("""
            结对按“驻点—远程—自主”三个阶段推进：

            1. 驻点带教（前 6 个月）：东莞督导每季度驻站两周，和本地社工一同入户、一同写记录，现场示范需求评估和个案会谈。
            2. 远程督导（第 7 至 18 个月）：每两周一次线上督导，本地社工汇报个案，督导逐份点评服务记录。
            3. 自主运营（第 19 至 24 个月）：本地社工独立设计和实施社区项目，督导只在关键节点参与评估。

            双方还合编了一本《驻站社工工作手册》，把走访、建档、转介等流程写成本地社工看得懂、用得上的操作步骤。
        """),
        "outcomes": _md("""
            | 指标 | 结对前 | 两年后 |
            | --- | --- | --- |
            | 持证社工人数 | 0 | 3 |
            | 在管个案 | 不足 5 个 | 41 个 |
            | 自主设计的社区项目 | 0 | 4 个 |
            | 年度服务人次 | 约 600 | 2600 余 |

            比数字更重要的是工作方式的变化：社工们开始主动发现需求，而不是等着镇里派任务。2023 年，站里自己设计的独居老人探访项目获得了县民政部门的购买服务支持。东莞督导结束驻点后，站点运转没有出现明显起伏。本地社工已开始带教新入职的同事，结对中积累的做法正在站内传承下去。
        """),
        "lessons": _md("""
            - 外来督导的价值在于**带出人**，而不是替人干活。结对之初就要约定阶段目标和退出时间。
            - 先驻点、后远程的节奏很关键。没有面对面的共同实务，远程督导很难落地。
            - 东部经验需要本地化。东莞的服务以城市社区为主，搬到山区乡镇时要根据交通、语言和村庄结构作调整。
            - 把经验写成手册，可以减少人员流动带来的损失，新入职的社工上手明显更快。
            - 结对双方要定期复盘，把督导中发现的共性问题及时反馈给县里的主管部门。
        """),
        "problems": _md("""
            本地社工的薪酬仍然偏低，两年里有一名骨干离职；远程督导受网络条件和时间安排影响，偶尔会中断。希望今后在薪酬保障和督导经费上能有更稳定的安排。
        """),
        "themes": ["牵手计划与东西部协作", "社工站建设", "专业能力建设"],
        "tags": ["东西部协作", "东莞督导", "驻点带教"],
        "province": "贵州省",
        "city": "铜仁市",
        "county": "江口县",
        "community": "青岗村",
        "community_type": "农村社区",
        "started_on": "2021-06-01",
        "ended_on": "2023-05-31",
        "beneficiaries": 2600,
        "partners": "镇人民政府、县民政局、东莞社工机构",
        "funding_source": "东西部协作资金、民政部门购买服务",
    },
    # ------------------------------------------------------------------ demo-006
    {
        "external_id": "demo-006",
        "org": TONGREN,
        "status": "published",
        "featured": False,
        "title": "邻里守望：山区镇高龄独居老人探访与互助养老",
        "summary": (
            "针对山区村高龄独居老人多、照护人手少的情况，乡镇社工站组织低龄老人和村里的志愿者结成探访小组，"
            "定期上门问候、排查风险。对符合条件的困难老人，社工协助申请救助和照护服务，让“有人看、有人管”真正落地。"
        ),
        "background": _md("""
            我们站所在的镇外出务工人员多，60 岁以上老人约占户籍人口的四分之一，其中不少是子女常年在外的独居或空巢老人。2021 年冬天，镇上一位独居老人在家摔倒，两天后才被邻居发现，这件事在村里引起了很多议论。

            社工站随后开展排查，登记了 186 名 75 岁以上的独居老人。老人们最担心的是“出了事没人知道”，其次是看病拿药不方便，对低保、高龄津贴等政策也不太清楚。镇里养老服务资源有限，单靠村干部和社工很难做到经常性的关照。
        """),
        "approach": _md("""
            1. 结对探访：每个村组建由低龄老人、村医和妇女骨干组成的探访小组，每名组员联系 3 至 5 位独居老人，每周至少上门或电话问候两次。
            2. 分级关照：社工根据健康、居住和经济状况把老人分为三级，对一级老人加密探访，并与其在外子女建立联系群。
            3. 政策链接：协助符合条件的老人申请低保、特困供养、高龄津贴和临时救助，联系镇卫生院上门体检。
            4. 互助活动：在村活动室办“老人茶话会”，组织手工、唱山歌等活动，鼓励老人走出家门。

            探访小组每月和社工碰一次头，交流发现的问题。
        """),
        "outcomes": _md("""
            - 全镇组建探访小组 14 个，探访志愿者 68 人，其中 60 至 70 岁的低龄老人 41 人；
            - 两年累计探访 9200 余次，及时发现并处置跌倒、突发疾病等紧急情况 17 起；
            - 协助 32 名老人新纳入低保或特困供养，为 57 人办理高龄津贴或临时救助；
            - 老人茶话会每月在各村轮流举办，平均每次 30 人左右参加。

            满意度回访中，大多数受访老人表示“心里踏实多了”，在外的子女也能通过联系群及时了解父母的情况。镇卫生院也把探访小组反映的健康问题列为家庭医生随访的重点。
        """),
        "lessons": _md("""
            - 低龄老人照顾高龄老人，既补上了人手，也让参与者找到了被需要的感觉，是山区村行得通的互助办法。
            - 探访不能只是“看一眼”。一张简易观察清单能帮志愿者及时发现身体和情绪上的变化。
            - 养老服务要和社会救助打通。不少老人的困难根子在于该享受的政策没享受到，社工的政策链接作用很关键。
            - 与在外子女保持联系，能把家庭责任重新拉回来，而不是由社区全部包揽。
        """),
        "problems": _md("""
            探访志愿者目前只有少量交通和通讯补贴，长期坚持有难度，希望借鉴遵义市整合多项资金支持社工站的做法，让补贴更稳定；偏远村组居住分散，雨季上门困难，只能更多依靠电话和邻居帮忙。
        """),
        "themes": ["养老服务", "社会救助", "志愿服务"],
        "tags": ["互助养老", "独居老人", "探访小组"],
        "province": "贵州省",
        "city": "铜仁市",
        "county": "江口县",
        "community": "杉木坪村",
        "community_type": "农村社区",
        "started_on": "2021-12-01",
        "ended_on": "2023-11-30",
        "beneficiaries": 420,
        "partners": "镇人民政府、镇卫生院、各村民委员会",
        "funding_source": "民政部门购买服务、养老服务补贴资金",
    },
    # ------------------------------------------------------------------ demo-007 (returned)
    {
        "external_id": "demo-007",
        "org": TONGREN,
        "status": "returned",
        "featured": False,
        "title": "家门口的刺绣工坊：留守妇女就近增收与互助",
        "summary": (
            "社工站联合村集体和爱心企业，在村里开办传统刺绣工坊，组织留守妇女接单加工，照顾家庭之余也能有一份收入。"
            "项目把技能培训和妇女互助小组结合起来，也带动了村里传统手艺的传承。"
        ),
        "background": _md("""
            龙塘村留守妇女较多，她们大多要照顾老人和孩子，没法外出打工，但不少人有家传的刺绣手艺。过去绣品主要自家用，或者赶场时零星卖掉，价钱低、销路也不稳定。

            2023 年初，社工站做了一次妇女需求调查，七成以上的受访妇女希望在家门口增加收入，也希望有机会和别人交流、学点新东西。社工站据此向镇里建议开办手工工坊，得到了村党支部和村集体经济合作社的支持。
        """),
        "approach": _md("""
            - 场地与组织：村集体提供闲置校舍作工坊，妇女自愿报名组成生产小组，推选组长负责排班和质检；
            - 技能提升：邀请县里的刺绣传承人和设计专业志愿者授课，在传统纹样基础上开发香囊、书签等文创小件；
            - 订单对接：社工站通过东西部协作渠道和省内爱心企业联系订单，由合作社统一结算、按件计酬；
            - 互助小组：每周一次工坊茶叙，社工带着妇女们聊育儿、家庭关系等话题，慢慢形成互助网络。
        """),
        "outcomes": _md("""
            工坊开办一年来，参加培训的妇女有 60 多人，稳定接单的有 35 人左右。工坊先后承接了几批企业订单，产品包括香囊、书签和杯垫等。妇女们普遍说，在家门口做手工，既能顾家，又多了一份收入和能说话的伙伴。

            互助小组里，有几位妇女主动承担起带新人的任务，工坊的日常管理也逐步交给组长们。村里在节庆期间办了一次绣品展，周边村寨不少群众专门赶来参观。工坊还成了妇女们议事的固定场所，不少关于村里环境和孩子教育的建议就是在茶叙中提出来的。
        """),
        "lessons": _md("""
            - 增收项目要先弄清妇女们的时间约束，按件计酬、可以带回家做的方式比固定上班更受欢迎。
            - 订单稳不稳定决定了项目能不能持续，不能只靠一两家爱心企业，要尽早探索电商和本地销售渠道。
            - 技能培训和互助小组结合起来，工坊就不只是生产点，也成了妇女交流和相互支持的地方。
            - 传统手艺和市场需求之间要找到平衡，设计志愿者在这方面帮了大忙。
            - 由村集体经济合作社统一结算，收入分配更公开，也增加了村民对工坊的信任。
        """),
        "problems": _md("""
            订单季节性明显，淡季时工坊收入下降，部分妇女的参与热情随之减弱；产品质量标准还不统一，返工较多，需要进一步规范质检流程，并为组长们提供简单的管理培训。
        """),
        "themes": ["乡村振兴", "资源链接与慈善"],
        "tags": ["刺绣工坊", "留守妇女", "就近增收"],
        "province": "贵州省",
        "city": "铜仁市",
        "county": "江口县",
        "community": "龙塘村",
        "community_type": "农村社区",
        "started_on": "2023-03-01",
        "ended_on": "2024-02-29",
        "beneficiaries": 62,
        "partners": "村党支部、村集体经济合作社、爱心企业",
        "funding_source": "乡村振兴衔接资金、企业订单收入",
        "return_reason": (
            "感谢提交。“成效”部分目前以描述为主，请补充可核实的数据，如参与人数、订单金额、"
            "人均增收的变化及统计口径；另请核对正文和附件，确认没有出现参与妇女的姓名、"
            "联系电话或能辨认面部的照片后再重新提交。"
        ),
    },
    # ------------------------------------------------------------------ demo-008 (submitted)
    {
        "external_id": "demo-008",
        "org": TONGREN,
        "status": "submitted",
        "featured": False,
        "title": "一张台账连起需求与服务：集镇社区线上需求台账试点",
        "summary": (
            "社工站与社区居委会合作，把散落在各类纸质登记本里的居民需求整合进一张线上台账。"
            "居民扫码就能提交诉求，社工按类型分派、跟进并回访，试点半年来诉求办结时间明显缩短。"
        ),
        "background": _md("""
            河坝社区是镇政府所在地的集镇社区，常住人口 3000 余人，既有老街上的原住户，也有从周边村组搬来的新居民。过去，社区掌握的居民需求分散在网格员登记本、民政救助台账、志愿者服务记录等好几处，同一户人家常被不同部门重复走访，真正着急的情况却可能被漏掉。

            社工站整理台账时发现，同一位困难老人的信息在三本登记簿里各不相同。2024 年初，镇里决定由社工站牵头，在河坝社区试行把需求登记、分派和回访放进同一张线上台账管理。
        """),
        "approach": _md("""
            1. 统一字段：社工和社区工作人员梳理现有表格，确定需求类型、紧急程度、责任人、办理状态等基本字段，删去与服务无关的个人信息项。
            2. 多渠道收集：居民可扫描楼道和公告栏的二维码提交诉求，行动不便的老人由网格员或志愿者代为录入。
            3. 分派跟进：社工每天查看新增需求，按类型转给社区、物业、志愿者队伍或相关部门，超过七天未办结的自动提醒。
            4. 回访评价：事项办结后由社工电话回访，居民评价记入台账。

            台账用常见的在线表格工具搭建，权限按岗位分级，只有经办人员能看到具体住址。
        """),
        "outcomes": _md("""
            试点运行半年来：

            - 线上台账共登记需求 730 余条，约六成由居民扫码提交，其余由网格员和志愿者代录；
            - 诉求平均办结时间从过去的两周左右缩短到 6 天；
            - 通过数据比对，合并了重复登记的家庭 90 多户，另有 14 户此前没有进入救助视野的困难家庭得到跟进；
            - 回访满意率保持在九成以上。

            社区工作人员说，月底汇总报表花的时间也少了一大半。台账积累的数据还帮社工站找出了独居老人集中的楼院，为下一步上门探访提供了依据。
        """),
        "lessons": _md("""
            - 数字化是为了让服务更及时，而不是多一项填报任务。字段要少而精，能不填的就不填。
            - 线上渠道必须配套线下代录，否则老人和不会用手机的居民就会被挡在门外。
            - 采集个人信息要坚持最少必要原则，并按岗位控制查看权限。
            - 工具不必一开始就追求复杂，先用成熟、低成本的在线表格把流程跑通，再考虑要不要开发专门系统。
            - 台账的价值在于持续更新，社工站每周抽查一次记录，确保办理状态与实际情况一致。
        """),
        "problems": "",
        "themes": ["数字化治理", "需求导向"],
        "tags": ["线上台账", "扫码报事", "个人信息保护"],
        "province": "贵州省",
        "city": "铜仁市",
        "county": "江口县",
        "community": "河坝社区",
        "community_type": "城乡结合部",
        "started_on": "2024-01-15",
        "ended_on": None,
        "beneficiaries": None,
        "partners": "镇人民政府、社区居委会、物业服务企业",
        "funding_source": "镇社区服务经费",
    },
    # ------------------------------------------------------------------ demo-009
    {
        "external_id": "demo-009",
        "org": CHONGQING,
        "status": "published",
        "featured": False,
        "title": "黔渝“牵手计划”：重庆社工机构陪伴黔南乡镇社工站成长",
        "summary": (
            "在黔渝两地社工机构“牵手计划”的框架下，我们与黔南州一个县的三个乡镇社工站结对。"
            "两年里，两地社工通过联合培训、项目共创和驻点督导，把助力乡村振兴落实到留守群体服务和村级人才培养上。"
        ),
        "background": _md("""
            黔渝两地民政和乡村振兴部门联合印发了“牵手计划”实施方案，并配套出台阵地建设、服务指南、评估参考、薪酬指导等标准规范，为两地机构结对提供了依据。全国层面也要求围绕重点地区、重点人群和人才队伍，打造一批群众认可、示范作用强的乡村振兴社工服务项目。

            我们中心受委托与长顺县的三个乡镇社工站结对。前期调研发现，受援站点的场地和设施已经到位，但驻站社工多是新手，服务以办活动为主，缺少项目设计和成效评估的能力；村里留守老人、儿童需求很多，能用的本地人才却很少。
        """),
        "approach": _md("""
            1. 共同调研：两地社工一同入村走访，用一个月完成三个乡镇的需求评估，确定留守儿童课后陪伴和村级骨干培养两个重点。
            2. 分层培训：面向驻站社工开展项目设计、个案管理、成效评估三期集中培训；面向村干部和志愿者开设社区工作入门课。
            3. 项目共创：每个站点在督导陪伴下设计一个本地项目，从写立项书到编预算全程参与。
            4. 驻点加远程：重庆督导每季度赴黔驻点一周，平时每月线上督导两次。

            结对期间，我们还带受援站点社工到福泉市观摩当地的“1+8”社工站建设模式，并与黔南州社会工作促进会建立了交流机制。
        """),
        "outcomes": _md("""
            - 三个受援站点各形成了一个本地化服务项目，其中两个获得县级购买服务支持；
            - 驻站社工参加集中培训 9 期，5 人在结对期间考取社会工作职业资格证书；
            - 培养村级社工骨干和志愿者 86 名，覆盖 21 个行政村；
            - 留守儿童课后陪伴服务惠及 400 余名孩子。

            结项评估时，受援站点负责人说，最大的收获是“学会了写项目、讲成效”，不再只是完成上面交办的活动任务。县民政局已把项目共创的做法写入全县社工站的年度工作要点。
        """),
        "lessons": _md("""
            - 结对帮扶要从受援地的真实需求出发，不能把外地的现成项目原样照搬。
            - 项目共创比单纯上课更管用，社工在做中学，能力提升更扎实。
            - 协作机构要有计划地退场，从第二年起逐步把主导权交给本地社工。
            - 两地统一的标准规范明确了服务内容和评估口径，减少了沟通成本，建议结对一开始就一起学习。
            - 组织新手社工观摩省内成熟站点，比单纯听课更能让他们看清工作的样子，宜在结对早期安排。
        """),
        "problems": "",
        "themes": ["牵手计划与东西部协作", "乡村振兴", "专业能力建设"],
        "tags": ["黔渝协作", "结对帮扶", "项目共创"],
        "province": "贵州省",
        "city": "黔南布依族苗族自治州",
        "county": "长顺县",
        "community": "坪上村",
        "community_type": "农村社区",
        "started_on": "2022-07-01",
        "ended_on": "2024-06-30",
        "beneficiaries": 520,
        "partners": "受援县民政局、乡镇人民政府、黔南州社会工作促进会",
        "funding_source": "“牵手计划”项目资金",
    },
    # ------------------------------------------------------------------ demo-010 (in review)
    {
        "external_id": "demo-010",
        "org": CHONGQING,
        "status": "in_review",
        "featured": False,
        "title": "志愿积分存进“时间银行”：城郊社区新老居民互助实践",
        "summary": (
            "枫林社区地处城郊，原住村民和新迁入的居民混居，社区事务多、志愿者少。"
            "我们协助社区建立志愿服务“时间银行”，居民参与服务可积累积分，日后兑换生活服务或换取他人帮助，带动一批新居民走出了家门。"
        ),
        "background": _md("""
            枫林社区由两个村改居而来，近几年周边新建了几个商品房小区，常住人口增长到 1.2 万人左右。原住居民多是失地农民，年纪偏大；新居民以年轻家庭为主，白天上班，和社区几乎没有交集。社区每次组织活动，来来去去总是那几十张熟面孔。

            2023 年，社区居委会希望改变志愿服务“靠少数热心人撑着”的局面，邀请我们中心帮忙设计一套既能让更多人参与、又能让付出得到回应的激励办法。
        """),
        "approach": _md("""
            - 定规则：经居民议事会讨论，确定服务时长与积分的折算标准，以及可兑换的服务清单，如家电维修、理发、儿童临时托管等；
            - 搭平台：依托社区公众号开设积分查询和服务预约入口，老年居民可以到服务站人工办理；
            - 拆岗位：把社区巡查、楼道清洁、老人陪诊、四点半课堂等工作拆成短时岗位，方便上班族在晚上和周末认领；
            - 链资源：与辖区商户和爱心企业合作，提供部分兑换物资和服务，积分收支每季度公示一次。
        """),
        "outcomes": _md("""
            项目运行一年来，注册志愿者从原来的 80 余人增加到 410 人，其中新居民占一半以上；累计记录服务时长 1.1 万小时，兑换服务 900 余次。四点半课堂、老人陪诊等服务已形成固定的志愿者班组。

            居委会反映，新老居民在一起做服务的过程中慢慢熟络起来，小区业主群里讨论社区事务的人也多了。积分兑换最受欢迎的是儿童临时托管和家电维修；一些原住老人也通过陪诊、巡查等岗位攒下积分，换到了年轻志愿者的手机使用辅导。
        """),
        "lessons": _md("""
            - 积分激励的关键在于“可信”和“可兑”：规则要公开透明，兑换渠道要稳定，否则积分很快就失去吸引力。
            - 志愿岗位要切得足够小、足够灵活，才能吸引时间零碎的上班族。
            - 积分替代不了志愿精神。每季度的表彰会上，我们更多讲服务中的故事，而不只是公布积分排名。
            - 原住居民和新居民的需求不一样，服务清单要兼顾两类人群。
            - 线上平台要给老人保留人工办理渠道，不能让积分制度只属于会用手机的人。
        """),
        "problems": _md("""
            积分兑换目前主要靠少数商户支持，能否持续还有待观察；线上平台的数据由社区公众号后台人工维护，工作量较大，后续需要找到更合适的工具。
        """),
        "themes": ["志愿服务", "资源链接与慈善"],
        "tags": ["时间银行", "志愿积分", "城郊社区"],
        "province": "重庆市",
        "city": "重庆市",
        "county": "江津区",
        "community": "枫林社区",
        "community_type": "城乡结合部",
        "started_on": "2023-04-01",
        "ended_on": None,
        "beneficiaries": 1500,
        "partners": "社区居委会、辖区商户、爱心企业",
        "funding_source": "区民政局社区发展资金、企业捐赠",
    },
    # ------------------------------------------------------------------ demo-011
    {
        "external_id": "demo-011",
        "org": SHANGHAI,
        "status": "published",
        "featured": False,
        "title": "楼道里的议事会：老旧小区加装电梯的协商实践",
        "summary": (
            "梧桐里居民区建于上世纪八十年代，老人多、上下楼难，加装电梯却因低层住户的顾虑迟迟推不动。"
            "居民区党总支牵头搭建门洞议事平台，社工全程协助，两年里推动 9 个门洞完成意见征询，电梯陆续开工。"
        ),
        "background": _md("""
            梧桐里居民区共有 36 个门洞、1100 余户，60 岁以上居民超过四成，不少老人住在五六楼，下楼看病、买菜都成了难事。加装电梯的政策出台后，居民区开过好几次动员会，进展却很慢。

            社工走访后梳理出几类主要分歧：一、二楼住户担心采光、噪音和房子贬值；部分高层住户对费用分摊有意见；还有居民对施工安全和日后维保不放心。由于缺少一个让各方坐下来好好商量的场合，分歧常常在楼道里变成争吵。
        """),
        "approach": _md("""
            居民区党总支确定了“一门一议、先议后建”的工作思路：

            1. 门洞议事：以门洞为单位开议事会，由楼组长和党员骨干主持，社工担任协作者，保证每户都有发言机会。
            2. 信息透明：请设计单位到现场讲解方案，用日照模拟图回应低层住户对采光的担心；费用分摊方案由各楼层代表一起测算。
            3. 个别沟通：对仍有顾虑的住户，社工和邻里骨干上门倾听，必要时请人民调解员参与。
            4. 规则共定：议事会约定发言顺序、表决方式和后续维保责任，形成书面共识后张贴在楼道里。
        """),
        "outcomes": _md("""
            | 指标 | 数量 |
            | --- | --- |
            | 召开门洞议事会 | 47 场 |
            | 完成意见征询的门洞 | 9 个 |
            | 已开工或完工的电梯 | 6 部 |
            | 参与议事的居民 | 600 余人次 |

            电梯之外，议事过程还带来了别的变化：几个门洞在商量电梯的同时，顺带定下了楼道堆物清理和绿地认养的办法；原本关系紧张的邻居，经过几轮商量后建立起了信任。居民区把这套议事规则整理成工作指引，供其他居民区参考。街道也已在另外两个居民区试用这套门洞议事办法。
        """),
        "lessons": _md("""
            - 老旧小区的难事，往往难在人心而不在技术。先把顾虑听完，再谈方案。
            - 党组织牵头能给协商带来公信力，但具体怎么议，要交给居民自己。
            - 日照模拟、费用测算这类专业信息要讲透，能大大减少猜疑。
            - “一门一议”虽然慢，但形成的共识更牢靠，开工后的纠纷明显少了。
            - 社工要保持中立。只有各方都相信社工不偏向任何一方，大家才愿意说出真实想法。
            - 议事记录要及时整理并请参与者确认，避免事后对约定内容产生争议。
        """),
        "problems": _md("""
            仍有几个门洞因个别住户坚持反对而无法推进。协商的边界在哪里、什么时候需要引入其他调解或法律途径，还需要在实践中继续探索，也希望与同行交流经验。
        """),
        "themes": ["社区协商议事", "党建引领"],
        "tags": ["加装电梯", "议事会", "老旧小区"],
        "province": "上海市",
        "city": "上海市",
        "county": "杨浦区",
        "community": "梧桐里居民区",
        "community_type": "城市社区",
        "started_on": "2020-09-01",
        "ended_on": "2022-08-31",
        "beneficiaries": 620,
        "partners": "居民区党总支、居委会、业委会、设计单位",
        "funding_source": "街道社区自治金",
    },
    # ------------------------------------------------------------------ demo-012
    {
        "external_id": "demo-012",
        "org": SHANGHAI,
        "status": "published",
        "featured": False,
        "title": "线上征集、线下协商：社区微更新的议题是怎么来的",
        "summary": (
            "为了让社区微更新项目更贴近居民的真实需求，街道社区服务中心在丹桂居民区试行“线上征集、线下协商”的议题形成办法。"
            "居民通过小程序和楼组群提建议，社工汇总分类后交议事会讨论，最后由居民投票确定年度项目。"
        ),
        "background": _md("""
            丹桂居民区建成于 2000 年前后，有 1600 余户，居民以双职工家庭和退休老人为主。以往社区微更新项目大多由居委会凭经验提出，再开座谈会听取意见。来参加座谈会的多是退休居民，年轻家庭的需求常被忽略；有的项目建成后用的人不多，居民觉得“没问到点子上”。

            2022 年，街道在推进社区微更新时提出，要把问需于民放在议题形成的第一步。社区服务中心选择丹桂居民区先行试点，探索线上线下结合的议题征集办法。
        """),
        "approach": _md("""
            - 线上征集：每年三月开放为期一个月的“金点子”征集，居民可通过街道小程序或楼组微信群提交建议，并附上照片和位置；
            - 分类整理：社工按公共空间、适老化、儿童友好、环境卫生等类别汇总，合并相似建议，标注涉及的楼栋和人群；
            - 线下协商：每类建议由提议居民、楼组长、物业和相关专业人员组成议事小组，讨论可行性和预算；
            - 公开投票：候选项目在线上和居民区公告栏同时公示，居民线上线下都能投票，得票高的项目列入当年计划。

            针对不用智能手机的老人，社工在居民区活动室设了代填点。
        """),
        "outcomes": _md("""
            两年试行中，居民区共收到建议 540 余条，其中 45 岁以下居民提出的约占四成，明显高于以往座谈会。经过协商，共有 7 个微更新项目落地，包括儿童游戏角改造、单元门口休憩座椅、非机动车棚扩容和楼道扶手加装等。

            项目建成后的回访显示，居民对微更新的满意度比往年明显提高。更可喜的是，一些最初的提议人后来成了项目的监督员和维护志愿者。街道计划把这套办法推广到辖区其他居民区，并在小程序上公开每年的建议和办理情况。
        """),
        "lessons": _md("""
            - 线上工具的作用是扩大参与面，让平时没空开会的人也能发声，但决定仍要在协商中形成。
            - 社工的整理工作很关键。把零散建议归类、合并之后，议事会才能讨论得深入。
            - 投票前要把预算和维护责任讲清楚，避免居民只看效果、不算成本。
            - 线下代填点不能少，数字化不能把老人挡在门外。
            - 对没有入选的建议也要逐条说明原因，居民才愿意继续提。
            - 让提议人参与后续监督和维护，能增强居民对公共空间的责任感。
        """),
        "problems": "",
        "themes": ["数字化治理", "需求导向", "社区协商议事"],
        "tags": ["社区微更新", "线上征集", "居民投票"],
        "province": "上海市",
        "city": "上海市",
        "county": "普陀区",
        "community": "丹桂居民区",
        "community_type": "城市社区",
        "started_on": "2022-03-01",
        "ended_on": "2024-02-29",
        "beneficiaries": 4200,
        "partners": "街道办事处、居民区党总支、物业服务企业",
        "funding_source": "街道社区微更新专项经费",
    },
]


# ---------------------------------------------------------------------------------------
# Self-check: python -m portal.cases.demo_cases
# ---------------------------------------------------------------------------------------

VERIFIED_ORGS = (QDN, TONGREN, CHONGQING, SHANGHAI)
PENDING_ORG = "安顺市示例志愿服务协会"
THEME_VOCABULARY = (
    "党建引领", "需求导向", "专业能力建设", "五社联动", "三社联动", "社工站建设", "乡村振兴",
    "牵手计划与东西部协作", "养老服务", "未成年人关爱", "社会救助", "志愿服务", "司法社工",
    "社区协商议事", "资源链接与慈善", "数字化治理",
)
REQUIRED_THEMES = (
    "党建引领", "五社联动", "社工站建设", "乡村振兴", "牵手计划与东西部协作", "司法社工",
    "未成年人关爱", "养老服务", "社区协商议事", "志愿服务", "数字化治理",
)
KEYS = (
    "external_id", "org", "status", "featured", "title", "summary", "background", "approach",
    "outcomes", "lessons", "problems", "themes", "tags", "province", "city", "county", "community",
    "community_type", "started_on", "ended_on", "beneficiaries", "partners", "funding_source",
)
STATUS_COUNTS = {"published": 8, "draft": 1, "submitted": 1, "returned": 1, "in_review": 1}
COMMUNITY_TYPES = ("城市社区", "农村社区", "城乡结合部", "其他")
SECTION_KEYS = ("background", "approach", "outcomes", "lessons")
TEXT_KEYS = ("title", "summary", *SECTION_KEYS, "problems", "partners", "funding_source",
             "city", "county", "community", "return_reason")
#: People named on the seed page; none may appear in the demo data.
SEED_PEOPLE = ("李雪梅", "王铮键", "康鹏", "陈雪梅", "汤后虎", "陈海生", "祝金岳", "戴爱姣",
               "唐忠新", "潘烈青", "杜传宇", "皮磊")
SEED_FILE = "/work/shared/seed/000_8a5136433a6fa638.txt"
MAX_SHARED_RUN = 15  # longest run of characters a field may share verbatim with the seed page


def _cjk(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def _longest_shared_run(text: str, source: str) -> str:
    """Longest substring of *text* that also occurs in *source* (whitespace already removed)."""
    best = ""
    for i in range(len(text)):
        length = len(best) + 1
        while i + length <= len(text) and text[i:i + length] in source:
            best = text[i:i + length]
            length += 1
    return best


def _check() -> list[str]:  # noqa: C901 - a flat list of rules reads best
    import json
    import os
    import re
    from collections import Counter
    from datetime import date

    from portal.regions import PROVINCES

    errors: list[str] = []
    err = errors.append
    mobile_re = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    personal_re = re.compile(r"@|(?<!\d)\d{15,19}(?!\d)|\d{17}[\dXx]")

    if len(DEMO_CASES) != 12:
        err(f"expected 12 cases, got {len(DEMO_CASES)}")
    seed = ""
    if os.path.exists(SEED_FILE):
        with open(SEED_FILE, encoding="utf-8") as fh:
            seed = re.sub(r"\s+", "", fh.read())

    for n, case in enumerate(DEMO_CASES, 1):
        cid = case.get("external_id", f"#{n}")
        expected = set(KEYS) | ({"return_reason"} if case.get("status") == "returned" else set())
        if set(case) != expected:
            err(f"{cid}: keys differ: missing {sorted(expected - set(case))}, extra {sorted(set(case) - expected)}")
            continue
        if cid != f"demo-{n:03d}":
            err(f"{cid}: external_id should be demo-{n:03d}")
        if case["org"] not in VERIFIED_ORGS or case["org"] == PENDING_ORG:
            err(f"{cid}: org {case['org']!r} is not a verified demo org")
        if case["status"] not in STATUS_COUNTS:
            err(f"{cid}: unknown status {case['status']!r}")
        if not isinstance(case["featured"], bool):
            err(f"{cid}: featured must be a bool")
        if case["featured"] and case["status"] != "published":
            err(f"{cid}: only published cases may be featured")
        if case["status"] == "returned" and not (isinstance(case["return_reason"], str) and _cjk(case["return_reason"]) >= 20):
            err(f"{cid}: returned case needs a curator's return_reason")

        for key in TEXT_KEYS:
            if key in case and not isinstance(case[key], str):
                err(f"{cid}: {key} must be a string")
        if not isinstance(case["title"], str) or not 0 < len(case["title"]) <= 60:
            err(f"{cid}: title must be 1–60 chars ({len(case['title'])})")
        summary = case["summary"]
        sentences = len(re.findall(r"[。！？]", summary))
        if len(summary) > 300 or not 2 <= sentences <= 3 or not summary.endswith(("。", "！", "？")):
            err(f"{cid}: summary must be ≤300 chars and 2–3 sentences (len {len(summary)}, {sentences} sentences)")
        for key in SECTION_KEYS:
            text = case[key]
            if _cjk(text) < 150 or len(text) > 450:
                err(f"{cid}: {key} must hold 150–450 Chinese characters (cjk {_cjk(text)}, len {len(text)})")
            if text.count("**") > 2:
                err(f"{cid}: {key} uses bold more than once")
        problems = case["problems"]
        if problems and (_cjk(problems) < 60 or len(problems) > 200):
            err(f"{cid}: problems must be empty or 60–200 chars (cjk {_cjk(problems)}, len {len(problems)})")
        if sum(case[k].count("**") for k in (*SECTION_KEYS, "problems")) > 4:
            err(f"{cid}: too much bold")

        themes = case["themes"]
        if not isinstance(themes, list) or not 1 <= len(themes) <= 3 or len(set(themes)) != len(themes):
            err(f"{cid}: themes must be 1–3 distinct names")
        for theme in themes:
            if theme not in THEME_VOCABULARY:
                err(f"{cid}: theme {theme!r} is not in the vocabulary")
        tags = case["tags"]
        if (not isinstance(tags, list) or not 1 <= len(tags) <= 4 or len(set(tags)) != len(tags)
                or not all(isinstance(t, str) and 0 < len(t) <= 12 for t in tags)):
            err(f"{cid}: tags must be 1–4 distinct short strings")

        if case["province"] not in PROVINCES:
            err(f"{cid}: province {case['province']!r} is not an official name")
        for key in ("city", "county", "community"):
            if not case[key].strip() or "某" in case[key]:
                err(f"{cid}: {key} must be a concrete (fictional) name")
        if case["community_type"] not in COMMUNITY_TYPES:
            err(f"{cid}: bad community_type {case['community_type']!r}")

        try:
            started = date.fromisoformat(case["started_on"])
            if not 2020 <= started.year <= 2024:
                err(f"{cid}: started_on outside 2020–2024")
            if case["ended_on"] is not None:
                ended = date.fromisoformat(case["ended_on"])
                if ended < started or ended.year > 2024:
                    err(f"{cid}: ended_on must be ≥ started_on and within 2020–2024")
        except (TypeError, ValueError) as exc:
            err(f"{cid}: bad date ({exc})")
        ben = case["beneficiaries"]
        if ben is not None and (isinstance(ben, bool) or not isinstance(ben, int) or ben <= 0):
            err(f"{cid}: beneficiaries must be a positive int or None")
        for key in ("partners", "funding_source"):
            if not 0 < len(case[key]) <= 60:
                err(f"{cid}: {key} must be a short non-empty string")

        # privacy: exactly one fake mobile, in the draft's approach; nothing else personal
        for key in TEXT_KEYS:
            text = case.get(key, "")
            mobiles = mobile_re.findall(text)
            wanted = ["13800138000"] if (case["status"] == "draft" and key == "approach") else []
            if mobiles != wanted:
                err(f"{cid}: {key} has mobiles {mobiles}, expected {wanted}")
            if personal_re.search(text):
                err(f"{cid}: {key} contains something that looks like personal data")
            if "某某" in text:
                err(f"{cid}: {key} contains a placeholder 某某")
            for person in SEED_PEOPLE:
                if person in text:
                    err(f"{cid}: {key} names a real person ({person})")
            if seed and key in ("summary", *SECTION_KEYS, "problems", "return_reason"):
                run = _longest_shared_run(re.sub(r"\s+", "", text), seed)
                if len(run) > MAX_SHARED_RUN:
                    err(f"{cid}: {key} copies the seed verbatim: {run!r}")
        try:
            json.dumps(case, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            err(f"{cid}: not JSON-serialisable ({exc})")

    statuses = Counter(c.get("status") for c in DEMO_CASES)
    if dict(statuses) != STATUS_COUNTS:
        err(f"status counts {dict(statuses)} != {STATUS_COUNTS}")
    featured = [c for c in DEMO_CASES if c.get("featured")]
    if len(featured) != 2:
        err(f"expected 2 featured cases, got {len(featured)}")
    if PENDING_ORG in {c.get("org") for c in DEMO_CASES}:
        err("the pending org must not publish cases")
    orgs = Counter(c.get("org") for c in DEMO_CASES)
    if set(orgs) != set(VERIFIED_ORGS):
        err(f"cases should be spread over all four verified orgs: {dict(orgs)}")
    guizhou = sum(1 for c in DEMO_CASES if c.get("province") == "贵州省")
    if guizhou <= len(DEMO_CASES) // 2:
        err("most cases should be in Guizhou")
    if len({c.get("province") for c in DEMO_CASES}) < 3:
        err("cases must cover at least 3 provinces")
    covered = {t for c in DEMO_CASES for t in c.get("themes", [])}
    missing = [t for t in REQUIRED_THEMES if t not in covered]
    if missing:
        err(f"themes not covered: {missing}")
    start_years = {c["started_on"][:4] for c in DEMO_CASES if isinstance(c.get("started_on"), str)}
    if start_years != {"2020", "2021", "2022", "2023", "2024"}:
        err(f"start years should spread over 2020–2024: {sorted(start_years)}")
    empty_problems = sum(1 for c in DEMO_CASES if c.get("problems") == "")
    if not 3 <= empty_problems <= 5:
        err(f"about a third of cases should have empty problems, got {empty_problems}")
    with_list = sum(1 for c in DEMO_CASES
                    if re.search(r"^(?:\d+\.|-) ", c.get("approach", ""), re.MULTILINE))
    if with_list < 10:
        err(f"approach should usually contain a list ({with_list}/12)")
    tables = sum(1 for c in DEMO_CASES if re.search(r"^\|\s*-+", c.get("outcomes", ""), re.MULTILINE))
    if tables < 2:
        err(f"at least two outcomes need a Markdown table ({tables})")
    if len({c.get("title") for c in DEMO_CASES}) != len(DEMO_CASES):
        err("titles must be unique")

    # Markdown must render (tables need the blank line before them) — if the renderer is importable.
    try:
        from portal.text import render_markdown
    except Exception:  # pragma: no cover - optional dependency in the check
        render_markdown = None
    if render_markdown is not None:
        rendered_tables = sum(1 for c in DEMO_CASES if "<table>" in str(render_markdown(c.get("outcomes", ""))))
        if rendered_tables < 2:
            err(f"outcome tables do not render as <table> ({rendered_tables})")
    # The project's own privacy scanner must find exactly the draft's number, if importable.
    try:
        from portal.cases import privacy
    except Exception:  # pragma: no cover
        privacy = None
    if privacy is not None and hasattr(privacy, "scan_text"):
        for c in DEMO_CASES:
            for key in TEXT_KEYS:
                text = c.get(key, "")
                found = [f.value for f in privacy.scan_text(text, key)] if text else []
                wanted = ["13800138000"] if (c["status"] == "draft" and key == "approach") else []
                if found != wanted:
                    err(f"{c['external_id']}: privacy scanner found {found} in {key}, expected {wanted}")
    return errors


if __name__ == "__main__":
    import sys

    problems_found = _check()
    if problems_found:
        print("\n".join(problems_found))
        sys.exit(1)
    print("ok")
