"""Demo data for Daxing district (大兴区), Beijing: places, organisations, users and cases.

:func:`seed_demo` creates the district's 22 streets and towns (8 街道, 14 镇) and three
industrial bases, grouped into eight zones (片区); the district mediation centre, six town and
street centres and two enterprise committees; a user of every role; and a few hundred cases
driven through the real service (:func:`~mediation.cases.service.register_case`, then
:func:`~mediation.cases.service.advance` for each action), so every state, deadline and audit
event is what the application itself would have produced.

The data is reproducible (a fixed random seed) and dated relative to ``today``: each action is
taken with ``today`` set to the day it happened, so 15-day windows, conversion windows and
instalment due dates hold as they would have. (Timestamps such as ``registered_at`` and the
audit events' ``created_at`` are the service's own clock: the time the seed ran.) Every
identity number is valid: resident ID numbers (GB 11643) for workers — a few registered cases
still wait for the worker's ID card — and unified social credit codes (GB 32100, with a valid
GB 11714 organisation code inside) for employers.

The newest case of a few scenarios (:data:`DOCUMENTED_SCENARIOS`) gets its documents issued
as the web application issues them — agreement, notices, archive bundle — so the case pages,
downloads and the verification page have something to show; rendering every case's PDFs would
take minutes and hundreds of megabytes. So only that one archived-scenario case is archived:
the others stop in their ended state, ready to be archived from their case page.

Seeding is idempotent: when the demo administrator account exists, nothing is written. It is
created together with the places, organisations and users, before the cases: a run that
breaks off half-way leaves fewer cases, and is not repeated.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from mediation import clock
from mediation.audit.chain import Actor
from mediation.cases.enums import Category, Level, Role
from mediation.cases.service import ClaimInput, PartyInput, advance, register_case
from mediation.db import Database
from mediation.issuing.service import ISSUED_ON, issue_document
from mediation.issuing.urls import base_url_from_env
from mediation.people.identity import resident_id_check_digit, uscc_check_character
from mediation.people.service import (
    create_user,
    ensure_organization,
    ensure_town,
    ensure_zone,
    find_user,
)
from mediation.tables import CASE, ORGANIZATION, USER, ZONE
from workflows import deadlines

#: The password of every demo account (it passes the password policy).
DEMO_PASSWORD = "Tiaojie-2026!"

#: The seed of the random generator: the same seed gives the same demo data.
DEMO_SEED = 20260115

#: The account whose existence means the demo data is already there.
MARKER_USERNAME = "dx-admin"

#: Who the audit log says created the places, organisations and users.
DEMO_ACTOR = Actor(None, "seed-demo")

#: Cases are numbered DX-<year>-<serial>.
NUMBER_PREFIX = "DX"

DISTRICT = "大兴区"
DISTRICT_CENTRE = "大兴区劳动争议调解中心"
ARBITRATION_COMMISSION = "北京市大兴区劳动人事争议仲裁委员会"
COURT = "北京市大兴区人民法院"

# --------------------------------------------------------------------------- the district

#: Zones (片区) and their places: (name, kind, weight of disputes arising there). The 22
#: streets and towns are Daxing's divisions since 2020 (8 街道 and 14 镇, five of the towns
#: also 地区); the three industrial bases are where many of the district's employers are.
ZONES: tuple[tuple[str, tuple[tuple[str, str, int], ...]], ...] = (
    (
        "城区片区",
        (
            ("兴丰街道", "street", 4),
            ("林校路街道", "street", 4),
            ("清源街道", "street", 4),
            ("观音寺街道", "street", 3),
            ("黄村镇", "town", 6),
        ),
    ),
    (
        "北部片区",
        (
            ("旧宫镇", "town", 8),
            ("西红门镇", "town", 8),
            ("高米店街道", "street", 3),
            ("国家新媒体产业基地", "base", 2),
        ),
    ),
    (
        "亦庄片区",
        (
            ("亦庄镇", "town", 7),
            ("瀛海镇", "town", 5),
            ("荣华街道", "street", 3),
            ("博兴街道", "street", 3),
        ),
    ),
    ("西部片区", (("北臧村镇", "town", 2), ("庞各庄镇", "town", 2))),
    (
        "中部片区",
        (
            ("魏善庄镇", "town", 2),
            ("天宫院街道", "street", 3),
            ("中关村科技园区大兴生物医药产业基地", "base", 3),
        ),
    ),
    ("东部片区", (("青云店镇", "town", 2), ("长子营镇", "town", 2))),
    ("东南片区", (("采育镇", "town", 2), ("安定镇", "town", 1))),
    (
        "南部片区",
        (("礼贤镇", "town", 1), ("榆垡镇", "town", 2), ("北京大兴国际机场临空经济区", "base", 2)),
    ),
)

#: Town and street mediation centres: (organisation, its town, mediators).
TOWN_CENTRES: tuple[tuple[str, str, int], ...] = (
    ("旧宫镇劳动争议调解中心", "旧宫镇", 2),
    ("西红门镇劳动争议调解中心", "西红门镇", 2),
    ("亦庄镇劳动争议调解中心", "亦庄镇", 2),
    ("林校路街道劳动争议调解中心", "林校路街道", 1),
    ("青云店镇劳动争议调解中心", "青云店镇", 1),
    ("榆垡镇劳动争议调解中心", "榆垡镇", 1),
)


@dataclass(frozen=True)
class _Enterprise:
    name: str
    town: str
    industry: str
    credit_code_area: str
    address: str
    legal_representative: str


#: Enterprise mediation committees (企业劳动争议调解委员会) and their enterprises.
ENTERPRISES: tuple[_Enterprise, ...] = (
    _Enterprise(
        "北京康瑞恒生物制药有限公司",
        "中关村科技园区大兴生物医药产业基地",
        "pharma",
        "110115",
        "北京市大兴区中关村科技园区大兴生物医药产业基地永大路38号",
        "宋立新",
    ),
    _Enterprise(
        "北京京南航港物流有限公司",
        "北京大兴国际机场临空经济区",
        "logistics",
        "110115",
        "北京市大兴区榆垡镇临空经济区航港路6号",
        "冯国强",
    ),
)

DISTRICT_MEDIATORS = 3

# --------------------------------------------------------------------------- people and firms

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
)
MALE_GIVEN = (
    "伟",
    "强",
    "磊",
    "军",
    "勇",
    "杰",
    "涛",
    "斌",
    "超",
    "明",
    "刚",
    "平",
    "辉",
    "鹏",
    "华",
    "飞",
    "鑫",
    "波",
    "宇",
    "浩",
    "凯",
    "健",
    "俊",
    "帆",
    "帅",
    "旭",
    "宁",
    "龙",
    "林",
    "峰",
    "建国",
    "建华",
    "建军",
    "志强",
    "志明",
    "国庆",
    "海涛",
    "海波",
    "永刚",
    "振华",
    "晓东",
    "文博",
    "子豪",
    "浩然",
    "宇航",
    "俊杰",
    "家豪",
    "天宇",
    "明辉",
    "立新",
    "长春",
    "春生",
    "德才",
    "金龙",
    "树林",
    "广志",
    "红军",
    "宏伟",
    "新民",
    "学文",
)
FEMALE_GIVEN = (
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "艳",
    "娟",
    "霞",
    "燕",
    "玲",
    "婷",
    "雪",
    "琳",
    "颖",
    "倩",
    "洁",
    "慧",
    "莉",
    "萍",
    "红",
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "桂兰",
    "淑珍",
    "丽娟",
    "海燕",
    "晓燕",
    "春梅",
    "雪梅",
    "美玲",
    "欣怡",
    "梓涵",
    "思雨",
    "佳怡",
    "雨欣",
    "晓丽",
    "婷婷",
    "丹丹",
    "静怡",
    "文静",
    "秀珍",
    "凤英",
    "翠花",
    "玉梅",
    "小红",
    "丽萍",
)

#: Area codes (GB/T 2260) of resident ID numbers: Beijing's districts, and a few places many
#: of Beijing's migrant workers come from.
BEIJING_AREAS = (
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
    "110112", "110113", "110114", "110115", "110115", "110115", "110115", "110116",
    "110117", "110118", "110119",
)  # fmt: skip
OTHER_AREAS = (
    "130102", "130602", "130682", "410102", "410522", "370102", "371302", "340102",
    "341221", "510104", "420102", "230102", "150102", "140105",
)  # fmt: skip

BRANDS = (
    "兴旺", "鑫达", "宏远", "华泰", "永盛", "金桥", "博瑞", "恒通", "瑞祥", "天润", "京南",
    "亦城", "凯达", "顺通", "万隆", "嘉禾", "盛世", "汇丰源", "通达", "同创", "康泰", "新兴",
    "宏图", "中兴业", "安泰", "龙腾", "福源", "德润", "红星", "东方", "锦华", "利民", "长城",
    "海纳", "天成", "广源", "裕丰", "旭日", "众联", "北辰",
)  # fmt: skip

#: Industries: (company-name ending, jobs, weight).
INDUSTRIES: dict[str, tuple[str, tuple[str, ...], int]] = {
    "construction": ("建筑工程有限公司", ("钢筋工", "木工", "瓦工", "架子工", "电焊工"), 10),
    "decoration": ("装饰工程有限公司", ("油工", "水电工", "装修工人"), 4),
    "logistics": ("物流有限公司", ("快递分拣员", "货车司机", "仓库管理员", "配送员"), 9),
    "catering": ("餐饮管理有限公司", ("厨师", "服务员", "配菜员", "洗碗工"), 8),
    "property": ("物业管理有限公司", ("保洁员", "保安员", "维修工", "客服专员"), 6),
    "security": ("保安服务有限公司", ("保安员", "巡逻队员"), 3),
    "housekeeping": ("家政服务有限公司", ("家政服务员", "育婴员"), 2),
    "trade": ("商贸有限公司", ("销售员", "理货员", "收银员"), 6),
    "ecommerce": ("电子商务有限公司", ("客服专员", "运营专员", "打包员"), 4),
    "tech": ("科技有限公司", ("软件工程师", "测试工程师", "技术支持"), 4),
    "pharma": ("生物科技有限公司", ("实验员", "质检员", "生产操作工"), 4),
    "auto": ("汽车配件有限公司", ("装配工", "质检员", "叉车司机"), 3),
    "garment": ("服装有限公司", ("缝纫工", "裁剪工", "熨烫工"), 2),
    "food": ("食品有限公司", ("包装工", "生产操作工", "配送司机"), 4),
    "hr": ("人力资源有限公司", ("派遣工", "搬运工"), 3),
}

ROADS = (
    "兴华大街", "金星路", "黄村西大街", "兴业大街", "广平大街", "欣宁大街", "福苑路", "科创街",
    "永旺路", "庆丰路", "旧忠路", "南海子路", "新源大街", "京开路", "工业区路", "创业路",
)  # fmt: skip
VILLAGES = ("村", "小区", "家园", "花园", "新村")

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip

#: Categories of disputes and how often they come (wage arrears most of all).
CATEGORY_WEIGHTS: tuple[tuple[Category, int], ...] = (
    (Category.WAGES, 40),
    (Category.COMPENSATION, 15),
    (Category.OVERTIME, 10),
    (Category.DAMAGES, 8),
    (Category.SOCIAL_INSURANCE, 8),
    (Category.INJURY, 7),
    (Category.CONTRACT, 7),
    (Category.OTHER, 5),
)

#: Claims that often come together with the case's own category.
COMPANION_CLAIMS: dict[Category, tuple[tuple[Category, float], ...]] = {
    Category.WAGES: ((Category.OVERTIME, 0.3), (Category.COMPENSATION, 0.15)),
    Category.COMPENSATION: ((Category.WAGES, 0.4), (Category.OTHER, 0.15)),
    Category.DAMAGES: ((Category.WAGES, 0.3),),
    Category.OVERTIME: ((Category.WAGES, 0.35),),
    Category.CONTRACT: ((Category.COMPENSATION, 0.25), (Category.WAGES, 0.2)),
    Category.INJURY: ((Category.WAGES, 0.2),),
    Category.SOCIAL_INSURANCE: ((Category.COMPENSATION, 0.2),),
    Category.OTHER: (),
}

CRUX: dict[Category, tuple[str, ...]] = {
    Category.WAGES: (
        "双方对拖欠工资的月份和金额存在争议，用人单位以资金周转困难为由拖延支付",
        "用人单位对工资标准有异议，称约定的月工资包含加班费，劳动者不认可",
        "包工头（不具备用工主体资格）欠薪，总承包单位与劳动者对支付责任有分歧",
    ),
    Category.OVERTIME: (
        "加班事实和加班时长的认定有分歧，考勤记录由用人单位掌握",
        "双方对加班费计算基数及是否已包含在工资中存在争议",
    ),
    Category.COMPENSATION: (
        "解除劳动合同的原因及经济补偿金的计算基数、工作年限存在争议",
        "用人单位搬迁后劳动者不同意变更工作地点，双方对是否应支付经济补偿有分歧",
    ),
    Category.DAMAGES: (
        "用人单位以严重违纪为由解除劳动合同，劳动者认为属违法解除并主张赔偿金",
        "用人单位未提前通知即解除劳动合同，双方对赔偿金数额分歧较大",
    ),
    Category.SOCIAL_INSURANCE: (
        "用人单位未足额缴纳社会保险费，双方对补缴基数和期间有分歧",
        "劳动者入职时签署了放弃缴纳社保的声明，用人单位据此拒绝补偿",
    ),
    Category.INJURY: (
        "工伤认定已作出，双方对停工留薪期工资及一次性伤残就业补助金数额有争议",
        "用人单位未缴纳工伤保险，双方对应由单位承担的工伤待遇范围有分歧",
    ),
    Category.CONTRACT: (
        "用人单位未与劳动者签订书面劳动合同，双方对二倍工资差额的计算期间有争议",
        "劳动合同到期后用人单位未续签也未终止，双方对劳动关系状态有分歧",
    ),
    Category.OTHER: (
        "双方对未休年休假工资报酬的天数和计算标准有争议",
        "用人单位扣押劳动者押金及工服费用，双方对应否返还有分歧",
    ),
}

PLANS = (
    "先分别做双方工作，核对工资表、考勤记录和银行流水，再组织面对面调解，引导用人单位分期支付",
    "请律师志愿者向双方释明法律规定，纠正劳动者过高预期，争取一次性解决",
    "联系用人单位负责人到场，先就事实部分达成一致，再协商金额和支付期限",
    "邀请镇劳动保障所共同参与，核实用工主体和欠薪金额，督促总包单位先行垫付",
    "先稳定劳动者情绪，收集证据材料，再以计算表为基础组织双方协商",
)

FAILURE_REASONS = (
    "双方对经济补偿金数额分歧较大，经多次调解未能达成一致，已告知申请人可依法申请劳动仲裁",
    "用人单位经两次通知拒不到场参加调解，调解不成，已告知申请人可依法申请劳动仲裁",
    "用人单位否认存在劳动关系，双方事实分歧较大，调解不成，已告知申请人仲裁权利",
)
OVERDUE_FAILURE_REASON = (
    "自收到调解申请之日起十五日内未达成调解协议，申请人不同意延长调解期限"
    "（劳动争议调解仲裁法第十四条），已告知申请人可依法申请劳动仲裁"
)
WITHDRAWAL_REASONS = (
    "用人单位已自行支付拖欠款项，申请人撤回调解申请",
    "申请人决定直接向劳动人事争议仲裁委员会申请仲裁，撤回调解申请",
    "双方已自行和解，申请人撤回调解申请",
    "申请人因返乡不再主张，书面撤回调解申请",
)
REJECTION_REASONS = (
    "申请人与被申请人之间为承揽关系，不属于劳动争议，不予受理",
    "该争议已由北京市大兴区劳动人事争议仲裁委员会立案受理，不予受理",
    "该争议已经人民法院作出生效判决，不予受理",
    "被申请人不在本调解组织辖区内，已告知申请人向用人单位所在地调解组织申请",
)


def _weighted(rng: random.Random, items: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([item for item, _ in items], weights=[w for _, w in items])[0]


def _person_name(rng: random.Random, male: bool) -> str:
    return rng.choice(SURNAMES) + rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def resident_id(rng: random.Random, *, male: bool, born: date, area: str) -> str:
    """Return a resident ID number with a valid check digit (GB 11643-1999)."""
    sequence = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_digit(first17)


_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def organization_code_check(body: str) -> str:
    """Return the check character of an 8-character organisation code (GB 11714-1997)."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def credit_code(rng: random.Random, *, area: str = "110115") -> str:
    """Return a company's unified social credit code with valid check characters.

    9 (registered by market regulation) 1 (enterprise), the area code, the 9-character
    organisation code with its GB 11714 check character, and the GB 32100 check character.
    """
    if rng.random() < 0.6:
        # Companies registered since 2015 in Beijing: MA0… codes.
        body = "MA0" + "".join(rng.choice(_USCC_BODY) for _ in range(5))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = f"91{area}{body}{organization_code_check(body)}"
    return first17 + uscc_check_character(first17)


# --------------------------------------------------------------------------- the summary


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`seed_demo` did: whether it created data, the cases, the demo logins."""

    created: bool
    cases: int
    users: list[tuple[str, str, str]]
    password: str

    @property
    def message(self) -> str:
        """Say in one line what happened."""
        if self.created:
            return f"demo data created: {self.cases} cases, {len(self.users)} users"
        return f"demo data is already there ({self.cases} cases): nothing was changed"


# --------------------------------------------------------------------------- the setup


@dataclass(frozen=True)
class _Place:
    id: int
    name: str
    kind: str
    zone: str
    weight: int


@dataclass(frozen=True)
class _Org:
    id: int
    name: str
    level: str
    town: _Place | None
    mediators: tuple[Actor, ...]
    enterprise: _Enterprise | None = None


@dataclass
class _Setup:
    places: dict[str, _Place] = field(default_factory=dict)
    orgs: list[_Org] = field(default_factory=list)
    lawyers: dict[str, str] = field(default_factory=dict)
    users: list[tuple[str, str, str]] = field(default_factory=list)


def _create_setup(session: Session, rng: random.Random) -> _Setup:
    setup = _Setup()
    for zone_name, towns in ZONES:
        zone = ensure_zone(session, name=zone_name, actor=DEMO_ACTOR)
        for town_name, kind, weight in towns:
            town = ensure_town(
                session, name=town_name, kind=kind, zone_id=zone.id, actor=DEMO_ACTOR
            )
            assert town.id is not None
            setup.places[town_name] = _Place(town.id, town_name, kind, zone_name, weight)

    prefixes = {
        Role.MEDIATOR: "dx-tiaojie",
        Role.LAWYER: "dx-lvshi",
        Role.SUPERVISOR: "dx-duda",
    }

    def add_user(
        role: Role, where: str, organization_id: int | None = None, zone_id: int | None = None
    ) -> Actor:
        if role is Role.ADMIN:
            username = MARKER_USERNAME
        else:
            count = sum(1 for u in setup.users if u[1] == role.value) + 1
            username = f"{prefixes[role]}{count:02d}"
        name = _person_name(rng, rng.random() < 0.5)
        user = create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role.value,
            display_name=name,
            organization_id=organization_id,
            zone_id=zone_id,
            actor=DEMO_ACTOR,
        )
        assert user.id is not None
        setup.users.append((username, role.value, where))
        return Actor(user.id, name)

    def add_org(
        name: str, level: Level, town: _Place | None, mediators: int, enterprise: _Enterprise | None
    ) -> None:
        org = ensure_organization(
            session,
            name=name,
            level=level.value,
            town_id=town.id if town else None,
            actor=DEMO_ACTOR,
        )
        assert org.id is not None
        actors = tuple(
            add_user(Role.MEDIATOR, name, organization_id=org.id) for _ in range(mediators)
        )
        setup.orgs.append(_Org(org.id, name, level.value, town, actors, enterprise))

    add_org(DISTRICT_CENTRE, Level.DISTRICT, None, DISTRICT_MEDIATORS, None)
    for name, town_name, mediators in TOWN_CENTRES:
        add_org(name, Level.TOWN, setup.places[town_name], mediators, None)
    for enterprise in ENTERPRISES:
        add_org(
            f"{enterprise.name}劳动争议调解委员会",
            Level.ENTERPRISE,
            setup.places[enterprise.town],
            1,
            enterprise,
        )
    for zone_name, _ in ZONES:
        zone = ensure_zone(session, name=zone_name, actor=DEMO_ACTOR)
        lawyer = add_user(Role.LAWYER, zone_name, zone_id=zone.id)
        setup.lawyers[zone_name] = lawyer.name
    add_user(Role.SUPERVISOR, DISTRICT)
    add_user(Role.SUPERVISOR, DISTRICT)
    # The marker (it commits together with everything above).
    add_user(Role.ADMIN, DISTRICT)
    return setup


# --------------------------------------------------------------------------- case plans

Step = tuple[date, str, dict[str, Any]]


@dataclass
class _Plan:
    """Everything about one demo case, decided before anything is written."""

    scenario: str
    org: _Org
    town: _Place
    mediator: Actor
    category: Category
    received_on: date
    knew_on: date
    source: str
    summary: str
    worker: PartyInput
    employer: PartyInput
    claims: list[ClaimInput]
    registered_claims: int = 0
    steps: list[Step] = field(default_factory=list)

    def shift(self, days: int) -> None:
        """Move the whole case earlier by ``days`` days."""
        delta = timedelta(days=days)
        self.received_on -= delta
        self.knew_on -= delta
        moved: list[Step] = []
        for day, action, data in self.steps:
            data = {
                key: value - delta if isinstance(value, date) else value
                for key, value in data.items()
            }
            if "instalments" in data:
                data["instalments"] = [
                    {**i, "due_on": i["due_on"] - delta} for i in data["instalments"]
                ]
            moved.append((day - delta, action, data))
        self.steps = moved


#: (scenario, weight in 300 cases): the state each demo case ends in.
SCENARIOS: tuple[tuple[str, int], ...] = (
    ("performed", 45),
    ("archived", 113),
    ("failed", 36),
    ("withdrawn", 16),
    ("rejected", 8),
    ("registered", 8),
    ("finding_crux", 12),
    ("seizing_opening", 14),
    ("ensuring_performance", 18),
    ("awaiting_conversion", 7),
    ("converted", 15),
    ("referred", 8),
)


def allocate(cases: int) -> list[str]:
    """Return the scenario of each case: every scenario once, the rest by weight."""
    if cases <= len(SCENARIOS):
        return [name for name, _ in SCENARIOS[:cases]]
    total = sum(w for _, w in SCENARIOS)
    rest = cases - len(SCENARIOS)
    shares = [(name, rest * w / total) for name, w in SCENARIOS]
    counts = {name: 1 + int(share) for name, share in shares}
    left = cases - sum(counts.values())
    for name, _ in sorted(shares, key=lambda s: s[1] - int(s[1]), reverse=True)[:left]:
        counts[name] += 1
    return [name for name, _ in SCENARIOS for _ in range(counts[name])]


def _yuan(rng: random.Random, low: int, high: int, *, step: int = 100) -> int:
    """Return an amount in fen between low and high yuan, mostly round, sometimes with jiao."""
    amount = rng.randrange(low, high + 1, step) * 100
    if rng.random() < 0.15:
        amount += rng.choice((50, 150, 250, 820, 1_070, 4_590))
    return amount


def _claim(rng: random.Random, category: Category, monthly: int) -> ClaimInput:
    """Return a claim item of the category, its amount in fen and a short description."""
    if category is Category.WAGES:
        months = rng.randint(1, 5)
        amount = min(monthly * months, 60_000)
        amount = max(amount, 3_000)
        return ClaimInput(category, amount * 100, f"拖欠{months}个月工资（月工资{monthly}元）")
    if category is Category.OVERTIME:
        return ClaimInput(category, _yuan(rng, 2_000, 30_000), "延时加班及休息日加班工资")
    if category is Category.COMPENSATION:
        years = rng.randint(1, 10)
        return ClaimInput(
            category,
            min(monthly * years, 120_000) * 100,
            f"解除劳动合同经济补偿金（工作{years}年）",
        )
    if category is Category.DAMAGES:
        years = rng.randint(1, 8)
        return ClaimInput(
            category,
            max(10_000, min(2 * monthly * years, 200_000)) * 100,
            f"违法解除劳动合同赔偿金（2倍×{years}个月）",
        )
    if category is Category.SOCIAL_INSURANCE:
        return ClaimInput(category, _yuan(rng, 2_000, 50_000), "未缴社会保险造成的损失")
    if category is Category.INJURY:
        return ClaimInput(
            category,
            _yuan(rng, 10_000, 300_000, step=500),
            rng.choice(("停工留薪期工资及医疗费", "一次性伤残就业补助金", "工伤医疗费及护理费")),
        )
    if category is Category.CONTRACT:
        months = rng.randint(1, 11)
        return ClaimInput(
            category,
            max(5_000, min(monthly * months, 80_000)) * 100,
            f"未签书面劳动合同二倍工资差额（{months}个月）",
        )
    return ClaimInput(
        category,
        _yuan(rng, 1_000, 20_000),
        rng.choice(("未休年休假工资报酬", "返还押金及工服费", "报销垫付的差旅费")),
    )


def _yuan_text(amount_fen: int) -> str:
    """Render fen as yuan for prose: 892250 -> 8922.50, 1200000 -> 12000."""
    yuan, fen = divmod(amount_fen, 100)
    return f"{yuan}.{fen:02d}" if fen else str(yuan)


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split an amount in fen into ``parts`` positive parts, all but the last in whole yuan."""
    if parts == 1 or total < parts * 100:
        return [total]
    amounts: list[int] = []
    left = total
    for index in range(parts - 1):
        share = left * rng.uniform(0.35, 0.6) if index == 0 else left / (parts - index)
        amount = max(100, int(share) // 100 * 100)
        amounts.append(amount)
        left -= amount
    amounts.append(left)
    return amounts


def _terms(rng: random.Random, claims: Sequence[ClaimInput]) -> list[dict[str, Any]]:
    """Return agreed terms: each claim settled for 60–100 %, in whole yuan."""
    ratio = rng.choice((1.0, 1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6))
    terms = []
    for claim in claims:
        amount = max(100, int(claim.amount_fen * ratio) // 100 * 100)
        if ratio == 1.0:
            amount = claim.amount_fen
        terms.append(
            {"category": claim.category, "amount_fen": amount, "description": claim.description}
        )
    return terms


class _Timeline:
    """Build a case's steps day by day, taking the 15-day window into account."""

    def __init__(self, plan: _Plan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.day = plan.received_on
        self.consented = False
        self.method = "bank_transfer"
        self.receipts = 0

    @property
    def steps(self) -> list[Step]:
        return self.plan.steps

    def at(self, gap: int, action: str, data: dict[str, Any] | None = None) -> None:
        self.day += timedelta(days=gap)
        self.steps.append((self.day, action, data or {}))

    def gap(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    @property
    def overdue(self) -> bool:
        return deadlines.is_mediation_overdue(self.plan.received_on, self.day)

    def consent_if_overdue(self) -> None:
        """Record both parties' consent to go on past the 15-day window (Art. 14)."""
        if self.overdue and not self.consented:
            self.at(0, "record_overdue_consent", {"party_role": "worker"})
            self.at(0, "record_overdue_consent", {"party_role": "employer"})
            self.consented = True

    # -- step 1: find the crux

    def accept(self) -> None:
        self.at(self.rng.choice((0, 0, 1, 1, 1, 2, 3)), "accept")

    def interviews(self) -> None:
        worker = self.plan.worker.name
        employer = self.plan.employer.legal_representative or "人事负责人"
        self.at(
            self.gap(0, 2),
            "record_interview",
            {
                "party_role": "worker",
                "notes": self.rng.choice(
                    (
                        f"单独约谈申请人{worker}，了解入职时间、工资标准及欠付情况，"
                        "申请人情绪激动，经疏导后同意调解",
                        f"单独约谈申请人{worker}，核对其提供的工资条、考勤截图和聊天记录",
                        f"电话及当面约谈申请人{worker}，明确其调解诉求和可接受的底线",
                    )
                ),
            },
        )
        self.at(
            self.gap(0, 3),
            "record_interview",
            {
                "party_role": "employer",
                "notes": self.rng.choice(
                    (
                        f"约谈被申请人负责人{employer}，核实考勤及工资发放记录，单位承认部分欠付",
                        f"到被申请人处走访，约谈{employer}，了解单位经营状况和支付能力",
                        "约谈被申请人委托的人事经理，单位对申请人主张的金额有异议",
                    )
                ),
            },
        )
        if self.rng.random() < 0.1:
            extra = _claim(self.rng, Category.OTHER, 6_000)
            self.at(
                0,
                "add_claim_item",
                {
                    "category": extra.category,
                    "amount_fen": extra.amount_fen,
                    "description": extra.description,
                },
            )
            self.plan.claims.append(extra)

    def find_crux(self) -> None:
        self.at(self.gap(0, 1), "record_crux", {"text": self.rng.choice(CRUX[self.plan.category])})
        self.at(0, "record_plan", {"text": self.rng.choice(PLANS)})

    def open_mediation(self) -> None:
        self.day += timedelta(days=self.gap(0, 1))
        self.consent_if_overdue()
        self.at(0, "open_mediation")

    # -- step 2: seize the opening

    def joint_session(self, zone_lawyer: str) -> None:
        plan = self.plan
        attendees = (
            f"{plan.worker.name}、{plan.employer.legal_representative}、调解员{plan.mediator.name}"
        )
        if self.rng.random() < 0.4:
            attendees += f"、律师志愿者{zone_lawyer}"
        self.at(
            self.gap(0, 2),
            "record_joint_session",
            {
                "attendees": attendees,
                "notes": self.rng.choice(
                    (
                        "双方到场，调解员释明相关法律规定，纠正申请人过高预期，双方各自让步",
                        "背对背与面对面相结合，先平复申请人情绪，再引导单位正视欠付事实",
                        "律师志愿者现场解答法律问题，双方就支付金额初步达成一致",
                    )
                ),
            },
        )

    def offers(self, claimed: int) -> None:
        asked = max(100, claimed * self.rng.randint(85, 100) // 10_000 * 100)
        offered = max(100, claimed * self.rng.randint(40, 70) // 10_000 * 100)
        self.at(0, "log_offer", {"by_role": "worker", "amount_fen": asked, "notes": "申请人让步"})
        self.at(0, "log_offer", {"by_role": "employer", "amount_fen": offered, "notes": "单位报价"})

    def sign(self, terms: list[dict[str, Any]], instalments: list[tuple[int, int]]) -> date:
        """Draft, sign and seal the agreement; instalments are (days after signing, fen)."""
        self.at(self.gap(0, 2), "record_joint_session", {"notes": "双方确认调解方案"})
        self.consent_if_overdue()
        signed_on = self.day
        method = _weighted(
            self.rng, (("bank_transfer", 75), ("cash", 15), ("cheque", 5), ("other", 5))
        )
        self.method = method
        self.at(
            0,
            "draft_agreement",
            {
                "method": method,
                "notes": "双方就本争议一次性了结，履行完毕后再无其他劳动争议。",
                "terms": terms,
                "instalments": [
                    {"due_on": signed_on + timedelta(days=d), "amount_fen": a}
                    for d, a in instalments
                ],
            },
        )
        for signer in ("worker", "employer", "mediator", "organization"):
            self.at(0, "record_signature", {"signer": signer})
        self.at(0, "sign_agreement")
        return signed_on

    # -- step 3: ensure performance

    def pay(self, paid_on: date, amount: int) -> None:
        self.receipts += 1
        if self.method == "bank_transfer":
            receipt = f"网银回单{paid_on:%Y%m%d}{self.rng.randrange(10**6):06d}"
        elif self.method == "cash":
            receipt = "现场支付，申请人出具收条"
        else:
            receipt = f"付款凭证{self.receipts}"
        self.day = max(self.day, paid_on)
        self.steps.append(
            (
                self.day,
                "record_payment",
                {
                    "amount_fen": amount,
                    "paid_on": paid_on,
                    "method": self.method,
                    "receipt_ref": receipt,
                },
            )
        )

    def end(self, gap: int, action: str, reason: str) -> None:
        self.at(gap, action, {"reason": reason})

    def archive(self) -> None:
        self.at(self.gap(7, 45), "produce_archive_bundle")
        self.at(0, "archive")


class _Planner:
    """Turn scenarios into case plans; all randomness comes from one seeded generator."""

    def __init__(self, rng: random.Random, setup: _Setup, today: date) -> None:
        self.rng = rng
        self.setup = setup
        self.today = today
        self.places = list(setup.places.values())
        district = [o for o in setup.orgs if o.level == Level.DISTRICT]
        towns = [o for o in setup.orgs if o.level == Level.TOWN]
        enterprises = [o for o in setup.orgs if o.level == Level.ENTERPRISE]
        self.org_weights = [(o, 45 // len(district)) for o in district] + [(o, 9) for o in towns]
        self.org_weights += [(o, 4) for o in enterprises]

    # -- parties

    def _employer(self, org: _Org, place: _Place) -> tuple[PartyInput, str]:
        rng = self.rng
        if org.enterprise is not None:
            e = org.enterprise
            rng_code = random.Random(e.name)
            return (
                PartyInput(
                    name=e.name,
                    id_number=credit_code(rng_code, area=e.credit_code_area),
                    phone=f"010-{rng_code.randrange(60_000_000, 69_999_999)}",
                    address=e.address,
                    legal_representative=e.legal_representative,
                ),
                rng.choice(INDUSTRIES[e.industry][1]),
            )
        industry = _weighted(rng, [(k, v[2]) for k, v in INDUSTRIES.items()])
        if place.kind == "base" and "生物医药" in place.name:
            industry = rng.choice(("pharma", "pharma", "food", "logistics"))
        if place.kind == "base" and "临空" in place.name:
            industry = rng.choice(("logistics", "logistics", "catering", "property"))
        suffix, jobs, _ = INDUSTRIES[industry]
        name = f"北京{rng.choice(BRANDS)}{suffix}"
        area = _weighted(rng, (("110115", 8), ("110106", 1), ("110105", 1)))
        road = rng.choice(ROADS)
        return (
            PartyInput(
                name=name,
                id_number=credit_code(rng, area=area),
                phone=rng.choice(
                    (f"010-{rng.randrange(60_200_000, 69_999_999)}", _mobile(rng), "")
                ),
                address=f"北京市大兴区{place.name}{road}{rng.randint(1, 188)}号",
                legal_representative=_person_name(rng, rng.random() < 0.8),
            ),
            rng.choice(jobs),
        )

    def _worker(self, *, complete: bool = True) -> PartyInput:
        rng = self.rng
        male = rng.random() < 0.62
        born = date(rng.randint(1960, 2004), 1, 1) + timedelta(days=rng.randrange(365))
        area = rng.choice(BEIJING_AREAS) if rng.random() < 0.6 else rng.choice(OTHER_AREAS)
        name = _person_name(rng, male)
        place = rng.choice(self.places)
        agent = rng.random() < 0.1
        return PartyInput(
            name=name,
            id_number=resident_id(rng, male=male, born=born, area=area) if complete else "",
            phone=_mobile(rng),
            address=f"北京市大兴区{place.name}{rng.choice(BRANDS)}{rng.choice(VILLAGES)}"
            f"{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元"
            f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}",
            agent_name=_person_name(rng, not male) if agent else "",
            agent_phone=_mobile(rng) if agent else "",
        )

    # -- one case

    def plan(self, scenario: str, index: int) -> _Plan:
        rng = self.rng
        org: _Org = _weighted(rng, self.org_weights)
        if org.town is not None and (org.level == Level.ENTERPRISE or rng.random() < 0.85):
            town = org.town
        elif org.town is not None:
            town = rng.choice([p for p in self.places if p.zone == org.town.zone])
        else:
            town = _weighted(rng, [(p, p.weight) for p in self.places])
        category: Category = _weighted(rng, CATEGORY_WEIGHTS)
        monthly = rng.randrange(4_500, 12_001, 100)
        claims = [_claim(rng, category, monthly)]
        for companion, chance in COMPANION_CLAIMS[category]:
            if rng.random() < chance:
                claims.append(_claim(rng, companion, monthly))
        received_on = self._received_on(scenario, index)
        employer, job = self._employer(org, town)
        incomplete = scenario == "registered" and index % 2 == 1
        worker = self._worker(complete=not incomplete)
        started = received_on - timedelta(days=rng.randint(90, 2_500))
        knew_on = received_on - timedelta(days=rng.randint(3, 200))
        claim_text = "、".join(f"{c.description}{_yuan_text(c.amount_fen)}元" for c in claims)
        summary = (
            f"申请人{worker.name}于{started.year}年{started.month}月入职被申请人{employer.name}，"
            f"从事{job}工作。{rng.choice(CRUX[category])}。申请人请求：{claim_text}。"
        )
        source = _weighted(
            rng, (("walk_in", 55), ("hotline", 15), ("referral", 20), ("circuit", 10))
        )
        plan = _Plan(
            scenario=scenario,
            org=org,
            town=town,
            mediator=rng.choice(org.mediators),
            category=category,
            received_on=received_on,
            knew_on=knew_on,
            source=source,
            summary=summary,
            worker=worker,
            employer=employer,
            claims=claims,
            registered_claims=len(claims),
        )
        self._steps(plan, scenario, index)
        last = max((day for day, _, _ in plan.steps), default=plan.received_on)
        if last > self.today:
            plan.shift((last - self.today).days)
        return plan

    def _received_on(self, scenario: str, index: int) -> date:
        rng = self.rng
        back = {
            "registered": (16, 25) if index % 4 == 3 else (0, 2),
            "finding_crux": (16, 40) if index % 3 == 0 else (1, 8),
            "seizing_opening": (16, 35) if index % 3 == 0 else (3, 10),
            "ensuring_performance": (10, 60),
            "awaiting_conversion": (8, 40),
            "archived": (120, 455),
        }.get(scenario, (20, 450))
        return self.today - timedelta(days=rng.randint(*back))

    def _instalments(self, total: int, *, spot: bool) -> list[tuple[int, int]]:
        if spot:
            return [(0, total)]
        parts = self.rng.choice((2, 2, 3))
        first = self.rng.choice((0, 3, 7, 10, 15))
        return [(first + 30 * n, amount) for n, amount in enumerate(_split(self.rng, total, parts))]

    def _through_crux(self, t: _Timeline) -> None:
        t.accept()
        t.interviews()
        t.find_crux()

    def _through_opening(self, t: _Timeline) -> None:
        self._through_crux(t)
        t.open_mediation()
        t.joint_session(self.setup.lawyers[t.plan.town.zone])
        t.offers(sum(c.amount_fen for c in t.plan.claims))

    def _signed(
        self, t: _Timeline, *, spot: bool, extended: bool = False
    ) -> list[tuple[date, int]]:
        """Take the case to a signed agreement; return the instalments (due date, fen)."""
        self._through_opening(t)
        if extended:
            # The parties agreed to go on past the 15-day window (Art. 14).
            t.day = max(t.day, deadlines.mediation_deadline(t.plan.received_on))
            t.at(1, "record_joint_session", {"notes": "调解期满，双方书面同意延长调解期限"})
        terms = _terms(self.rng, t.plan.claims)
        instalments = self._instalments(sum(x["amount_fen"] for x in terms), spot=spot)
        signed_on = t.sign(terms, instalments)
        return [(signed_on + timedelta(days=d), a) for d, a in instalments]

    def _steps(self, plan: _Plan, scenario: str, index: int) -> None:
        rng = self.rng
        t = _Timeline(plan, rng)
        if scenario == "archived":
            scenario = _weighted(
                rng,
                (
                    ("performed", 50),
                    ("failed", 20),
                    ("withdrawn", 10),
                    ("converted", 10),
                    ("referred", 5),
                    ("rejected", 5),
                ),
            )
            self._ended(t, scenario, index)
            t.archive()
            return
        if scenario == "registered":
            return
        if scenario == "finding_crux":
            t.accept()
            if index % 2 == 0:
                t.at(
                    t.gap(0, 2),
                    "record_interview",
                    {"party_role": "worker", "notes": "首次约谈申请人"},
                )
            return
        if scenario == "seizing_opening":
            self._through_opening(t)
            if index % 6 == 0:
                t.day = max(t.day, deadlines.mediation_deadline(plan.received_on))
                t.at(1, "record_joint_session", {"notes": "调解期满，双方同意继续调解"})
                t.consent_if_overdue()
            return
        if scenario == "ensuring_performance":
            dues = self._signed(t, spot=False)
            if index % 5 == 4:
                # The first instalment is past due and unpaid: a breach may be declared.
                first_due = dues[0][0]
                late = (first_due - self.today).days + rng.randint(2, 12)
                if late > 0:
                    plan.shift(late)
            elif index % 5 in (0, 2):
                # Partly performed: the first instalment paid, the rest not yet due.
                t.pay(min(dues[0][0], t.day + timedelta(days=t.gap(0, 3))), dues[0][1])
            else:
                for due, amount in dues[:-1]:
                    if due <= self.today:
                        t.pay(due, amount)
            return
        if scenario == "awaiting_conversion":
            self._signed(t, spot=False)
            kind = rng.choice(("judicial_confirmation", "judicial_confirmation", "arbitral_review"))
            t.at(t.gap(1, 5), "apply_conversion", {"conversion_kind": kind})
            return
        self._ended(t, scenario, index)

    def _ended(self, t: _Timeline, scenario: str, index: int) -> None:
        rng = self.rng
        if scenario == "rejected":
            t.end(rng.randint(0, 3), "reject", rng.choice(REJECTION_REASONS))
        elif scenario == "withdrawn":
            where = index % 3
            if where >= 1:
                t.accept()
            if where == 2:
                t.interviews()
                t.find_crux()
                t.open_mediation()
            t.end(t.gap(1, 6), "withdraw", rng.choice(WITHDRAWAL_REASONS))
        elif scenario == "failed":
            self._through_opening(t)
            if index % 4 == 3:
                t.day = max(t.day, deadlines.mediation_deadline(t.plan.received_on))
                t.end(t.gap(1, 5), "declare_failure", OVERDUE_FAILURE_REASON)
            else:
                t.end(t.gap(1, 4), "declare_failure", rng.choice(FAILURE_REASONS))
        elif scenario == "performed":
            dues = self._signed(t, spot=rng.random() < 0.55, extended=index % 10 == 9)
            for due, amount in dues:
                early = timedelta(days=rng.choice((0, 0, 0, 1, 2)))
                t.pay(max(due - early, t.day), amount)
            t.at(0, "confirm_performance")
        elif scenario == "converted":
            self._converted(t, index)
        elif scenario == "referred":
            dues = self._signed(t, spot=False)
            paid = dues[: rng.randint(0, len(dues) - 1)]
            for due, amount in paid:
                t.pay(due, amount)
            missed = dues[len(paid)][0]
            t.day = max(t.day, missed)
            unpaid = sum(a for _, a in dues) - sum(a for _, a in paid)
            t.end(
                t.gap(3, 20),
                "declare_breach",
                f"被申请人未按调解协议于{missed:%Y年%m月%d日}前履行，尚欠{_yuan_text(unpaid)}元，"
                "经催告仍未履行；已告知申请人依法申请劳动仲裁（劳动争议调解仲裁法第十五条）",
            )
        else:  # pragma: no cover - every scenario is listed in SCENARIOS
            raise ValueError(scenario)

    def _converted(self, t: _Timeline, index: int) -> None:
        rng = self.rng
        dues = self._signed(t, spot=False)
        eligible = all(deadlines.is_payment_order_eligible(c.category) for c in t.plan.claims)
        serial = rng.randint(100, 3_999)
        if index % 5 == 4 and eligible:
            # Not paid on time: the worker asks the court for a payment order (Art. 16).
            t.day = max(t.day, dues[0][0])
            t.at(rng.randint(3, 10), "apply_conversion", {"conversion_kind": "payment_order"})
            number = "（{year}）京0115民督{serial}号"
            body = COURT
        elif index % 5 == 1:
            # Arbitral review refused for incomplete papers, then judicial confirmation.
            t.at(t.gap(1, 3), "apply_conversion", {"conversion_kind": "arbitral_review"})
            t.at(
                t.gap(4, 7),
                "conversion_refused",
                {"reason": "申请材料不齐全，仲裁委员会不予审查确认"},
            )
            t.at(t.gap(1, 4), "apply_conversion", {"conversion_kind": "judicial_confirmation"})
            number = "（{year}）京0115民特{serial}号"
            body = COURT
        elif rng.random() < 0.4:
            t.at(t.gap(1, 10), "apply_conversion", {"conversion_kind": "arbitral_review"})
            number = "京兴劳人仲字[{year}]第{serial}号"
            body = ARBITRATION_COMMISSION
        else:
            t.at(t.gap(1, 20), "apply_conversion", {"conversion_kind": "judicial_confirmation"})
            number = "（{year}）京0115民特{serial}号"
            body = COURT
        due, amount = dues[0]
        if "民督" not in number and due <= t.day and rng.random() < 0.5:
            t.pay(due, amount)
        # The document is numbered in the year it is issued.
        decided_on = t.day + timedelta(days=t.gap(7, 25))
        number = number.format(year=decided_on.year, serial=serial)
        t.at(
            (decided_on - t.day).days,
            "record_conversion",
            {"document_number": number, "issuing_body": body},
        )


# --------------------------------------------------------------------------- seeding


def _register(session: Session, plan: _Plan) -> int:
    case_id, _ = register_case(
        session,
        actor=plan.mediator,
        organization_id=plan.org.id,
        town_id=plan.town.id,
        category=plan.category.value,
        received_on=plan.received_on,
        worker=plan.worker,
        employer=plan.employer,
        claims=plan.claims[: plan.registered_claims],
        source=plan.source,
        summary=plan.summary,
        knew_on=plan.knew_on,
        mediator_id=plan.mediator.id,
        number_prefix=NUMBER_PREFIX,
    )
    return case_id


def _run(database: Database, plan: _Plan, *, documents: bool = False) -> int:
    """Register the planned case and take every planned action through the service.

    Without ``documents`` the case is written in one transaction, and a plan that ends in
    archiving stops in its ended state (archiving needs the archive bundle). With them, each
    document a trigger calls for is issued right after the trigger's transaction commits, and
    the archive bundle before archiving, through :mod:`mediation.issuing` — rendered outside
    any transaction, as the web application does.
    """
    steps = plan.steps if documents else [s for s in plan.steps if s[1] not in _ARCHIVING]
    case_id: int | None = None
    version = 1
    index = 0
    while True:
        kind: str | None = None
        with database.writing() as session:
            if case_id is None:
                case_id = _register(session, plan)
            while index < len(steps) and kind is None:
                day, action, data = steps[index]
                index += 1
                if action == "produce_archive_bundle":
                    kind = "archive_bundle"
                    break
                advance(
                    session,
                    case_id=case_id,
                    action=action,
                    expected_version=version,
                    actor=plan.mediator,
                    data=data,
                    today=day,
                )
                version += 1
                if documents:
                    kind = ISSUED_ON.get(action)
        if kind is None:
            return case_id
        issue_document(
            database, case_id, kind, plan.mediator, base_url=base_url_from_env(), today=day
        )
        version += 1


#: The actions that archive a case (left out of plans whose documents are not issued).
_ARCHIVING = frozenset({"produce_archive_bundle", "archive"})

#: The scenarios whose most recent case gets its documents issued (and, if archived, its
#: archive bundle). Each Chinese PDF takes a fifth of a second to render and a third of a
#: megabyte to store, so the other cases show their documents as not yet issued, with the
#: case page's button to issue them.
DOCUMENTED_SCENARIOS = ("archived", "ensuring_performance", "failed", "rejected")


def _documented(plans: Sequence[_Plan]) -> set[int]:
    """Return the ids of the plans whose documents are issued: the newest of each scenario."""
    newest: dict[str, _Plan] = {}
    for plan in sorted(plans, key=lambda p: p.received_on):
        if plan.scenario in DOCUMENTED_SCENARIOS:
            newest[plan.scenario] = plan
    return {id(plan) for plan in newest.values()}


def _existing(session: Session) -> DemoSummary:
    """Describe the demo data that is already there."""
    organizations = {
        row.id: row.name for row in session.execute(select(ORGANIZATION.c.id, ORGANIZATION.c.name))
    }
    zones = {row.id: row.name for row in session.execute(select(ZONE.c.id, ZONE.c.name))}
    users = []
    rows = session.execute(
        select(USER.c.username, USER.c.role, USER.c.organization_id, USER.c.zone_id)
        .where(USER.c.username.like("dx-%"))
        .order_by(USER.c.id)
    )
    for row in rows:
        if row.organization_id is not None:
            where = organizations.get(row.organization_id, "")
        elif row.zone_id is not None:
            where = zones.get(row.zone_id, "")
        else:
            where = DISTRICT
        users.append((row.username, row.role, where))
    names = [DISTRICT_CENTRE, *(name for name, _, _ in TOWN_CENTRES)]
    names += [f"{e.name}劳动争议调解委员会" for e in ENTERPRISES]
    demo_organizations = select(ORGANIZATION.c.id).where(ORGANIZATION.c.name.in_(names))
    cases = session.execute(
        select(func.count())
        .select_from(CASE)
        .where(CASE.c.organization_id.in_(demo_organizations.scalar_subquery()))
    ).scalar_one()
    return DemoSummary(created=False, cases=int(cases), users=users, password=DEMO_PASSWORD)


def plan_cases(setup: _Setup, cases: int, today: date, seed: int = DEMO_SEED) -> list[_Plan]:
    """Plan ``cases`` cases, oldest first, so that case numbers follow the date received."""
    rng = random.Random(seed)
    planner = _Planner(rng, setup, today)
    seen: dict[str, int] = {}
    plans = []
    for scenario in allocate(cases):
        index = seen.get(scenario, 0)
        seen[scenario] = index + 1
        plans.append(planner.plan(scenario, index))
    plans.sort(key=lambda p: p.received_on)
    return plans


def seed_demo(
    database: Database, *, cases: int = 300, today: date | None = None, seed: int = DEMO_SEED
) -> DemoSummary:
    """Load Daxing's demo data: places, organisations, users and ``cases`` cases.

    Idempotent: when the demo administrator exists nothing is written and the summary says
    so (``created`` is False). Places, organisations and users are written in one
    transaction, each case with all its actions in one more.
    """
    if cases < 0:
        raise ValueError("cases must not be negative")
    today = today or clock.today()
    with database.writing() as session:
        if find_user(session, MARKER_USERNAME) is not None:
            return _existing(session)
        setup = _create_setup(session, random.Random(seed))
    plans = plan_cases(setup, cases, today, seed)
    documented = _documented(plans)
    for plan in plans:
        _run(database, plan, documents=id(plan) in documented)
    _seed_legal_help(database, today, seed)
    _seed_supervision(database, today, seed)
    return DemoSummary(created=True, cases=cases, users=setup.users, password=DEMO_PASSWORD)


def _seed_supervision(database: Database, today: date, seed: int) -> None:
    """Add a reviewed audit sample and a pending correction request (issue 6)."""
    from mediation.supervision.demo import seed_supervision

    seed_supervision(database, today=today, seed=seed)


def _seed_legal_help(database: Database, today: date, seed: int) -> None:
    """Add law firms, the zone lawyers' profiles and legal help in every state (issue 5)."""
    from mediation.assignments.demo import seed_legal_help

    seed_legal_help(database, today=today, seed=seed, actor=DEMO_ACTOR)
