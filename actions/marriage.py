"""Marriage registration actions."""
from __future__ import annotations

from typing import Any

from actions import services
from common.backoffice_client import BackofficeUnavailable
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker


@action("action_list_offices")
def list_offices(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Tell the resident where the registration offices are (of the named district, if any)."""
    district = next(iter(tracker.entity_values("district")), None)
    try:
        offices = services.backoffice().get("/offices")["offices"]
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    if district:
        offices = [o for o in offices if district in o["name"]] or offices
    lines = [f"{o['name']}\n地址：{o['address']}\n电话：{o['phone']}\n办公时间：{o['hours']}" for o in offices]
    dispatcher.utter("婚姻登记处在这里：\n\n" + "\n\n".join(lines))
    return []
