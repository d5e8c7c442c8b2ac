"""Demo accounts for the embedded profile: residents, agents, reviewers and an administrator."""

from django.db import transaction

from accounts.models import User
from accounts.validators import id_check_char
from stations.models import Division, Unit
from stations.services import membership_grant

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
        agent = _user(f"ws{code}-agent", password, created, role=User.Role.AGENT, real_name=f"{workstation.county}坐席",
                      is_staff=False)
        membership_grant(user=agent, unit=workstation, is_agent=True)
        reviewer = _user(f"ws{code}-reviewer", password, created, role=User.Role.REVIEWER,
                         real_name=f"{workstation.county}审核")
        membership_grant(user=reviewer, unit=workstation, is_reviewer=True, is_seal_keeper=True, is_head=True)
        logins += [(agent.username, "agent", workstation.name), (reviewer.username, "reviewer", workstation.name)]
        station = workstation.children.filter(kind=Unit.Kind.TOWNSHIP_STATION, is_demo=False).order_by("code").first()
        station_agent = _user(f"st{station.code}", password, created, role=User.Role.AGENT,
                              real_name=f"{station.township}坐席")
        membership_grant(user=station_agent, unit=station, is_agent=True, is_reviewer=True, is_seal_keeper=True,
                         is_head=True)
        logins.append((station_agent.username, "agent + reviewer", station.name))
    for department in Unit.objects.filter(kind=Unit.Kind.CITY_DEPARTMENT):
        reviewer = _user(f"city-{department.code.split('-')[-1].lower()}", password, created,
                         role=User.Role.REVIEWER, real_name=f"{department.name}审核")
        membership_grant(user=reviewer, unit=department, is_reviewer=True, is_seal_keeper=True, is_head=True)
        logins.append((reviewer.username, "reviewer", department.name))
    return logins
