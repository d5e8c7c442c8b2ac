"""An SMS backend for browser tests: the live server appends each message as a JSON line to $FRONTEND_SMS_FILE."""
import json
import os

from accounts.sms import BaseSmsBackend


class FileSmsBackend(BaseSmsBackend):
    def send(self, *, phone: str, message: str) -> None:
        with open(os.environ["FRONTEND_SMS_FILE"], "a", encoding="utf-8") as outbox:
            outbox.write(json.dumps({"phone": phone, "message": message}, ensure_ascii=False) + "\n")
