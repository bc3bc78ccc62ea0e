"""A deterministic synthetic corpus of community-governance cases for the search benchmark.

Each case is the dict :func:`portal.search.documents.case_document` makes of a case-like object
(title, summary, the five sections, themes, tags, organization, places, year, publication
date, sessions) generated from a seed, without the web app or the database.

The text is not grammatical, but it is made of real words the segmenter knows, with the
statistics that matter for an inverted index:

* a handful of very common words (社区, 服务, 治理, 居民, 社工 …) that occur in every case;
* a few hundred mid-frequency domain words;
* a long Zipf-like tail (≈20,000 entries: rare real words and two-word compounds such as
  邻里食堂 or 楼栋基金), so a tail word occurs in well under 1 % of cases;
* theme-specific words (each case has 1–3 of the 16 themes, and its text leans to them);
* case-local names (community, county, organization), repeated inside the case and rare
  across the corpus;
* numbers and dates (2023年, 120户 …), which the char field indexes as Latin/digit runs.

Facets are skewed like a real library: a few provinces hold most cases, later years have more
cases, most cases are urban or rural communities from social-work agencies.
"""
from __future__ import annotations

import random
from bisect import bisect
from datetime import datetime, timedelta
from itertools import accumulate
from types import SimpleNamespace

from portal.cases.models import SECTIONS
from portal.regions import PROVINCES
from portal.search.analysis import FIELD_SEP

THEMES = (
    "党建引领", "需求导向", "专业能力建设", "五社联动", "三社联动", "社工站建设", "乡村振兴",
    "牵手计划与东西部协作", "养老服务", "未成年人关爱", "社会救助", "志愿服务", "司法社工",
    "社区协商议事", "资源链接与慈善", "数字化治理",
)
COMMUNITY_TYPES = (("城市社区", 50), ("农村社区", 35), ("城乡结合部", 12), ("其他", 3))
ORG_TYPES = (("社工机构", 45), ("街道或社区", 25), ("社区社会组织", 15), ("委员单位", 10), ("其他", 5))
YEARS = ((2019, 5), (2020, 8), (2021, 12), (2022, 18), (2023, 25), (2024, 32))

# Rank 1.. of the background vocabulary: the very common words first.
COMMON = (
    "社区 服务 治理 居民 社工 工作 开展 组织 群众 活动 项目 建设 社会 志愿者 参与 家庭 需求 资源 "
    "机制 发展 街道 村 老人 儿童 党员 平台 提升 推动 专业 共同 基层 问题 能力 形成 通过 团队"
).split()
MID = (
    "帮扶 困难 走访 入户 台账 需求评估 个案 小组 社区活动 督导 培训 骨干 楼栋长 网格 网格员 物业 "
    "业主 业委会 居委会 村委会 党支部 党群服务中心 议事会 协商 公约 积分 积分制 微基金 慈善 捐赠 "
    "爱心企业 公益 创投 购买服务 政府购买 民政 民政局 乡镇 社工站 社会工作站 乡镇社工站 驿站 服务站 "
    "工作站 站点 阵地 空间 场地 日间照料 助餐 助浴 探访 关爱 陪伴 心理 疏导 调解 矛盾 纠纷 "
    "法律 普法 就业 技能 增收 产业 合作社 集体经济 乡村 振兴 易地 搬迁 安置 融入 留守 独居 空巢 "
    "残疾人 低保 特困 救助 临时救助 医疗 健康 义诊 康复 护理 照护 养老 托育 课后 托管 四点半课堂 "
    "阅读 书屋 文化 文艺 队伍 广场 环境 卫生 整治 垃圾 分类 绿化 改造 更新 老旧 小区 停车 安全 "
    "消防 应急 防灾 疫情 防控 数字化 信息化 小程序 微信群 线上 线下 数据 清单 流程 制度 标准 "
    "评估 成效 经验 启示 模式 品牌 复制 推广 可持续 链接 整合 动员 赋能 培育 孵化 社会组织 "
    "志愿服务 志愿队 时间银行 五社联动 三社联动 党建引领 共建共治共享 急难愁盼 获得感 幸福感 "
    "满意度 覆盖 受益 人次 户 名 场 次 期 年度 季度 每月 每周 持续 逐步 有效 明显 显著 "
    "东西部协作 牵手计划 对口 协作 结对 青少年 未成年人 妇女 新市民 流动人口 外来务工 "
    "司法 矫正 社区矫正 戒毒 帮教 检察院 法院 公安 派出所 综治 平安 风险 排查 预警"
).split()
# Rare real words, placed at fixed tail ranks (the benchmark's selective queries use some).
PLACED = {
    "猕猴桃": 6000, "苗绣": 12000, "侗族大歌": 16000, "非遗": 2500, "电梯": 3000, "加装电梯": 7000,
    "高空抛物": 5000, "飞线充电": 9000, "防汛": 1500, "社区食堂": 4000, "流浪猫": 14000,
    "外卖骑手": 8000, "直播带货": 10000, "适老化": 3500, "蓝莓": 11000, "茶园": 4500,
}
RARE = (
    "停车难 噪音 漏水 楼道 杂物 电动车 宠物 广场舞 象棋 书法 太极拳 刺绣 蜡染 银饰 民宿 电商 冷链 "
    "粮仓 水库 台风 地震 山洪 滑坡 燃气 棚户区 城中村 拆迁 安置房 公租房 廉租房 物业费 维修基金 "
    "快递小哥 网约车 家政 月嫂 护工 保洁 保安 环卫工 菜市场 农贸市场 社区医院 卫生室 药店 理发 "
    "老年大学 幼儿园 小学 初中 寄宿制 营养餐 校车 作业辅导 夏令营 研学 足球 篮球 乒乓球 游泳 "
    "防溺水 禁毒 反诈 诈骗 网贷 赌博 家暴 婚姻 离婚 赡养 遗产 房产 邻里纠纷 噪音扰民 违建 "
    "占道 摊贩 夜市 集市 庙会 龙舟 春节 端午 中秋 重阳 敬老 孝亲 家风 家训 乡贤 族老 寨老 "
    "鼓楼 风雨桥 梯田 稻鱼 油茶 辣椒 食用菌 中药材 生猪 肉牛 养蜂 茶叶 刺梨 百香果 脐橙 "
    "光伏 沼气 饮水 厕所 污水 垃圾站 公厕 路灯 监控 门禁 智能 人脸识别 健康码 核酸 隔离 方舱"
).split()
PREFIXES = (
    "社区 楼栋 邻里 村级 街道 老年 儿童 青年 妇女 残疾人 困难 流动 新市民 独居 空巢 留守 网格 物业 "
    "业主 党员 志愿 公益 慈善 文化 健康 心理 法律 环境 安全 应急 就业 教育 养老 托育 助餐 康复 "
    "调解 议事 数字 智慧 平安 红色 绿色 幸福 和谐 美丽 书香 乡村 院落 小区 家庭 亲子 长者 少年 "
    "巾帼 银龄 夕阳 阳光 彩虹 向日葵 蒲公英 红石榴 同心 连心 暖心 爱心 贴心 初心 匠心 民族 "
    "社工 居民 群众 企业 商户 学校 医院 高校 乡贤 能人 达人 骨干 楼长 片区 组团 院坝 田间 "
    "指尖 云端 掌上 线上 移动 流动 微型 迷你 共享 互助 自治 共治 善治 法治 德治"
).split()
NOUNS = (
    "驿站 食堂 课堂 讲堂 基金 台账 清单 热线 小组 联盟 协会 队伍 计划 行动 工程 项目 平台 中心 "
    "之家 书屋 广场 花园 菜园 积分 超市 银行 公约 地图 档案 议事厅 会客厅 客厅 茶馆 茶话会 "
    "夜校 学堂 讲习所 工作室 实验室 服务队 先锋队 巡逻队 宣讲团 合唱团 舞蹈队 读书会 "
    "理事会 监事会 联席会 恳谈会 听证会 评议会 坝坝会 圆桌会 板凳会 民情日记 民情地图 "
    "服务包 资源库 需求库 人才库 项目库 案例库 工具包 手册 指南 规范 标准 认证 评星 榜单 "
    "微心愿 微项目 微治理 微更新 微改造 微空间 微阵地 微基金 微公益 微服务"
).split()
GLUE = "的 了 和 与 在 对 为 把 将 由 从 并 及 也 都 还 又 更 已 正 仍".split()
CONNECT = "通过 围绕 针对 依托 结合 聚焦 坚持 按照 根据 推进 落实 完善 健全 建立 搭建 打造 探索 实现".split()

THEME_WORDS = {
    "党建引领": "党建 党组织 党员 先锋 红色 阵地 支部 书记 党群 引领 组织力",
    "需求导向": "需求 调研 问卷 访谈 需求评估 回应 精准 分类 清单 画像",
    "专业能力建设": "督导 培训 继续教育 实务 伦理 个案管理 专业化 职业化 评估 研讨",
    "五社联动": "五社联动 社区 社会组织 社会工作者 社区志愿者 社会慈善资源 联动 协同 联席会",
    "三社联动": "三社联动 社区 社会组织 社会工作 联动 协同",
    "社工站建设": "社工站 社会工作站 乡镇社工站 社会工作服务站 驻站 站点 阵地 覆盖 全覆盖",
    "乡村振兴": "乡村振兴 产业 增收 合作社 集体经济 乡村 农户 务工 返乡 电商",
    "牵手计划与东西部协作": "牵手计划 东西部协作 对口 帮扶 结对 协作 交流 挂职 东部 西部",
    "养老服务": "养老 老年人 长者 日间照料 助餐 助浴 居家养老 为老服务 失能 照护",
    "未成年人关爱": "未成年人 儿童 留守儿童 困境儿童 青少年 儿童之家 课后 托管 陪伴 成长",
    "社会救助": "社会救助 低保 特困 临时救助 困难群众 兜底 救助 主动发现 转介 资源",
    "志愿服务": "志愿服务 志愿者 志愿队 时间银行 招募 注册 服务时长 激励 星级 志愿",
    "司法社工": "司法社工 社区矫正 帮教 检察院 未成年人 观护 矫正 戒毒 安置帮教 司法",
    "社区协商议事": "议事会 协商 议事 协商议事 居民议事 公约 听证 恳谈 院坝会 自治",
    "资源链接与慈善": "慈善 捐赠 基金会 社区基金 微基金 链接 资源 爱心企业 公益创投 众筹",
    "数字化治理": "数字化治理 数字治理 智慧社区 小程序 数据 信息化 平台 线上 网格化 大数据",
}
TAGS = (
    "搬迁安置 老旧小区 城中村 民族地区 山区 边疆 牧区 海岛 城市更新 加装电梯 垃圾分类 "
    "儿童友好 老年友好 无障碍 困境儿童 留守老人 独居老人 残疾人 退役军人 新就业群体 外卖骑手 "
    "快递小哥 家庭教育 心理健康 禁毒 反诈 防溺水 安全生产 应急救援 疫情防控 防汛救灾 "
    "社区基金 时间银行 积分制 议事协商 楼栋自治 院落自治 网格治理 数字平台 小程序 非遗传承 "
    "文化振兴 产业振兴 人才振兴 组织振兴 生态振兴 东西部协作 对口帮扶 社工站 五社联动 三社联动"
).split()
NAME_CHARS = (
    "青禾丹桂云岭松柏梧桐金银石竹兰梅菊荷杏桃李柳杨枫槐樟桦榕橡桑茶柚杉芦苇溪河江湖海山峰岩"
    "泉林森原田坪坝湾塘洲港桥亭阁楼台园苑庭华安康宁和平顺泰祥瑞福寿喜乐欣盛兴旺昌隆新东西南北中"
)
COUNTY_SUFFIX = ("县", "区", "市", "旗")
COMMUNITY_SUFFIX = ("社区", "村", "居民区", "小区", "新村", "街坊")
ORG_SUFFIX = ("社会工作服务中心", "社工服务社", "社区发展促进会", "志愿服务协会", "街道社区服务中心",
              "乡镇社工站", "社会工作发展中心", "公益服务中心")
SECTION_CHARS = (("background", 390), ("approach", 520), ("outcomes", 350), ("lessons", 290),
                 ("problems", 190))


def _zipf_cum(n: int, s: float = 1.0, q: float = 2.0) -> list[float]:
    return list(accumulate(1.0 / (r + q) ** s for r in range(n)))


class Vocabulary:
    """The ranked background vocabulary and the facet value distributions (built once per seed)."""

    def __init__(self, seed: int, tail_size: int = 20000):
        rng = random.Random(seed)
        words = list(dict.fromkeys(COMMON + MID))
        # Tail: rare real words and prefix+noun compounds, shuffled, then the placed words.
        compounds = [p + n for p in PREFIXES for n in NOUNS if p != n]
        # Programme brands (青禾驿站, 松柏学堂 …): a further tail of two-word compounds.
        brands = set()
        while len(brands) < tail_size - len(compounds) - len(words):
            brands.add(_name(rng) + rng.choice(NOUNS))
        compounds += sorted(brands)
        rng.shuffle(compounds)
        tail = [w for w in dict.fromkeys(RARE + compounds) if w not in words and w not in PLACED]
        rare = [w for w in RARE if w not in words]
        rng.shuffle(rare)
        # Spread rare real words through the tail (every ~40th entry), the rest compounds.
        tail = [w for w in tail if w not in rare]
        merged = []
        for i, w in enumerate(tail):
            if i % 40 == 0 and rare:
                merged.append(rare.pop())
            merged.append(w)
        merged.extend(rare)
        words += merged[: max(0, tail_size - len(words))]
        for word, rank in sorted(PLACED.items(), key=lambda kv: kv[1]):
            words.insert(min(rank - 1, len(words)), word)
        self.words = words
        self.cum = _zipf_cum(len(words))
        self.themes = {t: v.split() for t, v in THEME_WORDS.items()}
        self.theme_cum = {t: _zipf_cum(len(v), s=0.8, q=1.0) for t, v in self.themes.items()}
        provinces = list(PROVINCES)
        rng.shuffle(provinces)
        # A few provinces contribute most cases (贵州省 first: the platform started there).
        provinces.remove("贵州省")
        provinces.insert(0, "贵州省")
        self.provinces = provinces
        self.province_cum = _zipf_cum(len(provinces), s=1.1, q=1.0)
        self.theme_list = list(THEMES)
        rng.shuffle(self.theme_list)
        self.theme_pick_cum = _zipf_cum(len(self.theme_list), s=0.6, q=2.0)
        self.tag_cum = _zipf_cum(len(TAGS), s=0.9, q=2.0)

    def rank_of(self, word: str) -> int:
        return self.words.index(word) + 1


def _pick(rng: random.Random, items, cum) -> str:
    return items[bisect(cum, rng.random() * cum[-1])]


def _weighted(rng: random.Random, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _name(rng: random.Random, n: int = 2) -> str:
    return "".join(rng.choice(NAME_CHARS) for _ in range(n))


class CaseGenerator:
    def __init__(self, seed: int = 20241128):
        self.seed = seed
        self.vocab = Vocabulary(seed)

    def orgs(self, count: int, rng: random.Random) -> list[tuple[str, str, str]]:
        names = set()
        out = []
        while len(out) < count:
            name = _name(rng, 2) + _name(rng, rng.choice((0, 1, 2))) + rng.choice(ORG_SUFFIX)
            if name in names:
                continue
            names.add(name)
            out.append((name, _weighted(rng, ORG_TYPES), _pick(rng, self.vocab.provinces, self.vocab.province_cum)))
        return out

    def cases(self, n: int):
        """Yield n case documents, built by portal.search.documents.case_document from case-like
        objects (so they have exactly the keys and formats the application indexes). Each case
        comes from its own seed: the first 1,000 cases of the 10k corpus are the 1k corpus."""
        from portal.search.documents import case_document

        meta_rng = random.Random(self.seed * 7 + 1)
        orgs = self.orgs(6000, meta_rng)
        # Cases are generated one by one from per-case seeds: the first 1,000 cases of the
        # 10k corpus are the 1k corpus.
        for i in range(n):
            rng = random.Random(f"{self.seed}-{i}")
            yield self.case(i + 1, rng, orgs, case_document)

    def case(self, case_id: int, rng: random.Random, orgs, case_document) -> dict:
        return case_document(self.case_object(case_id, rng, orgs))

    def case_objects(self, n: int):
        """The same n cases as :meth:`cases`, as the case-like objects (for loading a database)."""
        meta_rng = random.Random(self.seed * 7 + 1)
        orgs = self.orgs(6000, meta_rng)
        for i in range(n):
            yield self.case_object(i + 1, random.Random(f"{self.seed}-{i}"), orgs)

    def case_object(self, case_id: int, rng: random.Random, orgs) -> SimpleNamespace:
        v = self.vocab
        org_name, org_type, org_province = orgs[int(len(orgs) * rng.random() ** 1.6)]
        province = org_province if rng.random() < 0.85 else _pick(rng, v.provinces, v.province_cum)
        city = _name(rng) + "市"
        county = _name(rng) + rng.choice(COUNTY_SUFFIX)
        community = _name(rng) + rng.choice(COMMUNITY_SUFFIX)
        community_type = _weighted(rng, COMMUNITY_TYPES)
        year = _weighted(rng, YEARS)
        n_themes = rng.choice((1, 2, 2, 2, 3, 3))
        themes: list[str] = []
        while len(themes) < n_themes:
            t = _pick(rng, v.theme_list, v.theme_pick_cum)
            if t not in themes:
                themes.append(t)
        tags = sorted({_pick(rng, TAGS, v.tag_cum) for _ in range(rng.choice((0, 1, 2, 3, 4)))})
        sessions = []
        if rng.random() < 0.2:
            sessions.append(f"{year}年第{rng.randint(1, 6)}期案例分享会")
        local = [community, county, org_name[:4], community[:2], city]

        def sentence(n_words: int) -> str:
            parts = []
            for k in range(n_words):
                x = rng.random()
                if x < 0.58:
                    w = _pick(rng, v.words, v.cum)
                elif x < 0.80:
                    t = themes[0] if rng.random() < 0.6 else rng.choice(themes)
                    w = _pick(rng, v.themes[t], v.theme_cum[t])
                elif x < 0.86:
                    w = rng.choice(local)
                elif x < 0.90:
                    w = rng.choice(CONNECT)
                elif x < 0.95 and k:
                    w = rng.choice(GLUE)
                else:
                    w = rng.choice((f"{rng.randint(2, 300)}{rng.choice(('户', '名', '人次', '场', '个', '次'))}",
                                    f"{year - rng.randint(0, 2)}年", f"{rng.randint(1, 12)}月",
                                    f"{rng.randint(5, 98)}%", _pick(rng, v.words, v.cum)))
                parts.append(w)
                if k and k < n_words - 1 and rng.random() < 0.12:
                    parts.append("、")
            return "".join(parts) + rng.choice(("，", "，", "。", "；"))

        def paragraph(target: int) -> str:
            out, length = [], 0
            while length < target:
                s = sentence(rng.randint(5, 12))
                out.append(s)
                length += len(s)
            text = "".join(out)
            return text[:-1] + "。"

        title = (rng.choice(local[:1] + [themes[0]]) + rng.choice(("：", "——", "")) +
                 sentence(rng.randint(4, 7))[:-1])[:40]
        summary = paragraph(rng.randint(100, 160))
        sections = []
        for name, chars in SECTION_CHARS:
            if name == "problems" and rng.random() < 0.3:
                sections.append("")
                continue
            target = int(chars * rng.uniform(0.8, 1.2))
            paras = [paragraph(target // 2), paragraph(target - target // 2)]
            sections.append("\n\n".join(paras))
        start = datetime(year, 1, 1) + timedelta(days=rng.randint(0, 364), seconds=rng.randint(0, 86399))
        case = SimpleNamespace(
            id=case_id, title=title, summary=summary, **dict(zip(SECTIONS, sections)),
            themes=[SimpleNamespace(name=t) for t in themes], tags=[SimpleNamespace(name=t) for t in tags],
            org=SimpleNamespace(name=org_name, org_type=org_type), province=province, city=city, county=county,
            community=community, community_type=community_type, year=year, published_at=start,
            session_titles=sessions,
        )
        return case


def text_of(doc: dict) -> str:
    """A case's text once: title, summary, body and meta (`all` holds the title twice)."""
    return "\n".join([doc["title"], doc["summary"], doc["body"], doc["all"].split(FIELD_SEP)[4]])


if __name__ == "__main__":  # a quick look: python -m bench.corpus
    import sys

    gen = CaseGenerator()
    for d in gen.cases(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
        print({k: (v[:300] + "…" if isinstance(v, str) and len(v) > 300 else v) for k, v in d.items()})
        print("chars in text fields:", len(text_of(d)))
