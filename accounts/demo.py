"""Demo accounts for the embedded profile: residents, agents, reviewers, an administrator, and a demo station
that is open around the clock so the whole journey can be walked at any hour."""
import datetime

from django.db import transaction

from accounts.models import User
from accounts.validators import id_check_char
from stations.models import Division, OpeningHours, Unit
from stations.services import membership_grant

# The demo station: a township station of 东城街道 (牡丹区), the township of the first demo resident, so her
# township-level cases route to it. Marked `is_demo` and named as a demo unit everywhere it shows.
DEMO_STATION_CODE = "DEMO-24H"
DEMO_STATION_TOWNSHIP = "371702001"
DEMO_AGENT = "demo-agent"
# Open every day from midnight to midnight: slots take a closing time of 23:59 as midnight (a TimeField cannot
# hold 24:00), so the slot of 23:40 is there for a newcomer who starts at 23:30.
DEMO_STATION_HOURS = (datetime.time(0, 0), datetime.time(23, 59))
# Staff receive codes (the seal confirmation) by SMS, as residents do: in the embedded profile the console
# backend prints every SMS, so all demo codes show in the same place. 166 + 8 digits, apart from the residents'.
STAFF_PHONE_PREFIX = "166"

DEMO_RESIDENTS = [
    # phone, name, county code, township code, birth date, scheme
    ("13800000001", "张秀英", "371702", "371702001", "19580312", User.Scheme.URBAN_RURAL),
    ("13800000002", "李建国", "371721", None, "19850726", User.Scheme.EMPLOYEE),
    ("13800000003", "王桂兰", "371722", None, "19530108", User.Scheme.URBAN_RURAL),
    ("13800000004", "赵磊", "371702", "371702002", "19920415", User.Scheme.EMPLOYEE),
    ("13800000005", "刘芳", "371725", None, "19880930", User.Scheme.URBAN_RURAL),
]


def demo_id_number(county_code: str, birth: str, seq: int) -> str:
    first17 = f"{county_code}{birth}{seq:03d}"
    return first17 + id_check_char(first17)


def _user(username: str, password: str, created: list, **fields) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, **fields)
        if user.role == User.Role.RESIDENT:
            user.set_unusable_password()  # residents log in by phone code only
        else:
            user.set_password(password)
        user.save()
        created.append(username)
    return user


def _staff(username: str, password: str, created: list, **fields) -> User:
    """A demo staff account with a phone, so its codes reach the console like a resident's (added if missing)."""
    user = _user(username, password, created, **fields)
    if not user.phone:
        taken = set(User.objects.filter(phone__startswith=STAFF_PHONE_PREFIX).values_list("phone", flat=True))
        user.phone = next(phone for n in range(1, 10**8) if (phone := f"{STAFF_PHONE_PREFIX}{n:08d}") not in taken)
        user.save(update_fields=["phone"])
    return user


def demo_station_create() -> Unit:
    """The around-the-clock demo station (every day 00:00-23:59); its hours are set again on every load."""
    township = Division.objects.select_related("parent").get(code=DEMO_STATION_TOWNSHIP)
    workstation = Unit.objects.get(kind=Unit.Kind.COUNTY_WORKSTATION, county=township.parent)
    neighbour = Unit.objects.filter(township=township, is_demo=False).order_by("code").first()
    station, _created = Unit.objects.update_or_create(code=DEMO_STATION_CODE, defaults={
        "kind": Unit.Kind.TOWNSHIP_STATION, "name": "【演示】全天候演示服务站",
        "name_en": "[DEMO] Around-the-clock demo station", "parent": workstation, "county": township.parent,
        "township": township, "address": f"{township.name}（演示单位，非真实地址）",
        "latitude": neighbour.latitude if neighbour else None, "longitude": neighbour.longitude if neighbour else None,
        "video_lines": 4, "active": True, "is_demo": True, "location_approximate": True,
    })
    opens, closes = DEMO_STATION_HOURS
    if list(station.opening_hours.values_list("weekday", "opens", "closes")) != [(d, opens, closes) for d in range(7)]:
        station.opening_hours.all().delete()
        OpeningHours.objects.bulk_create(OpeningHours(unit=station, weekday=d, opens=opens, closes=closes)
                                         for d in range(7))
    return station


@transaction.atomic
def demo_data_create(*, password: str) -> list[tuple[str, str, str]]:
    """Create the demo accounts that are missing; return (login, role, where) for every demo account."""
    created: list[str] = []
    logins: list[tuple[str, str, str]] = []
    admin = _user("admin", password, created, role=User.Role.ADMINISTRATOR, real_name="系统管理员",
                  is_staff=True, is_superuser=True)
    logins.append((admin.username, "administrator", "Django admin /admin/"))
    for seq, (phone, name, county, township, birth, scheme) in enumerate(DEMO_RESIDENTS, start=1):
        county_division = Division.objects.get(code=county)
        township_division = Division.objects.get(code=township) if township else (
            county_division.children.order_by("code").first())
        resident = _user(f"r{phone}", password, created, role=User.Role.RESIDENT, phone=phone, real_name=name,
                         id_number=demo_id_number(county, birth, seq * 2 + 11), insurance_scheme=scheme,
                         home_county=county_division, home_township=township_division)
        logins.append((resident.phone, "resident (phone + code)", township_division.name))
    for workstation in Unit.objects.filter(kind=Unit.Kind.COUNTY_WORKSTATION).select_related("county"):
        code = workstation.county.code
        agent = _staff(f"ws{code}-agent", password, created, role=User.Role.AGENT,
                       real_name=f"{workstation.county}坐席", is_staff=False)
        membership_grant(user=agent, unit=workstation, is_agent=True)
        reviewer = _staff(f"ws{code}-reviewer", password, created, role=User.Role.REVIEWER,
                          real_name=f"{workstation.county}审核")
        membership_grant(user=reviewer, unit=workstation, is_reviewer=True, is_seal_keeper=True, is_head=True)
        logins += [(agent.username, "agent", workstation.name), (reviewer.username, "reviewer", workstation.name)]
        station = workstation.children.filter(kind=Unit.Kind.TOWNSHIP_STATION, is_demo=False).order_by("code").first()
        station_agent = _staff(f"st{station.code}", password, created, role=User.Role.AGENT,
                               real_name=f"{station.township}坐席")
        membership_grant(user=station_agent, unit=station, is_agent=True, is_reviewer=True, is_seal_keeper=True,
                         is_head=True)
        logins.append((station_agent.username, "agent + reviewer", station.name))
    for department in Unit.objects.filter(kind=Unit.Kind.CITY_DEPARTMENT):
        reviewer = _staff(f"city-{department.code.split('-')[-1].lower()}", password, created,
                          role=User.Role.REVIEWER, real_name=f"{department.name}审核")
        membership_grant(user=reviewer, unit=department, is_reviewer=True, is_seal_keeper=True, is_head=True)
        logins.append((reviewer.username, "reviewer", department.name))
    station = demo_station_create()
    demo_agent = _staff(DEMO_AGENT, password, created, role=User.Role.AGENT, real_name="演示坐席")
    membership_grant(user=demo_agent, unit=station, is_agent=True, is_reviewer=True, is_seal_keeper=True,
                     is_head=True)
    logins.append((demo_agent.username, "agent + reviewer", station.name))
    return logins


def demo_walkthrough(*, base_url: str, password: str) -> str:
    """The short walk-through `make run` prints: which account in which window, in what order."""
    return f"""
The demo journey (about ten minutes, at any hour): every code is printed on this console as "[SMS to …]".
  Window A, a normal window ({base_url}/login/): resident 13800000001 (张秀英) logs in with phone + code,
     picks 参保登记 → 城乡居民基本医疗保险参保登记, the station 【演示】全天候演示服务站 (牡丹区 → 东城街道; open around
     the clock, no minimum notice) and the first free time, then opens My bookings → Join.
  Window B, a private window ({base_url}/console/): agent {DEMO_AGENT} / {password} admits her from the
     waiting list; in the call, invites the unit 牡丹区医疗保障工作站 (its reviewer is ws371702-reviewer).
  Window C, another browser or profile ({base_url}/desk/): ws371702-reviewer / {password} answers the ring
     and joins the same call.
  Window B: the agent takes her ID card from the video (采集材料 → 拍下并保存为材料: the item needs it), fills in
     the case form and submits (建立案件并提交审核); the case is routed to the demo station. On
     {base_url}/desk/ the same agent (also its reviewer and seal keeper) opens it and approves: 获取确认码
     (Get confirmation code), the code appears on this console, then 提交决定 (Submit decision) seals it.
     Window A: the resident downloads the sealed letter from her booking; {base_url}/verify/ checks it.
     Notices (codes, new cases) also show under "通知" on each page.
"""
