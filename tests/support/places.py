"""The shipped organisation's units and items that tests name by code (load_organisation, load_catalog)."""
from bookings.models import ServiceItem
from stations.models import Unit

STATION = "371702001"  # 东城街道医疗保障服务站 (牡丹区): the factory resident's own township
WORKSTATION = "371702000"  # 牡丹区医疗保障工作站
OTHER_STATION = "371703001"  # 定陶区
OTHER_WORKSTATION = "371703000"  # 定陶区医疗保障工作站
TOWNSHIP_ITEM = "C01-01"  # township level; mandatory: id_card


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def item(code: str) -> ServiceItem:
    return ServiceItem.objects.get(code=code)
