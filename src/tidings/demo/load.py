"""A realistic demo company: components in groups, 90 days of incident history, a finished and
an upcoming maintenance, and one incident in progress. Everything goes through the same services
staff use, with the clock set back, so the event log and uptime bars are genuine."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction

from tidings.components import services as components
from tidings.components.models import Component
from tidings.core import clock
from tidings.demo.customers import load_customers
from tidings.incidents import content, maintenances
from tidings.incidents import services as incidents
from tidings.incidents.models import Incident

GROUPS = {
    "Platform": ["API", "Web dashboard", "Authentication", "Webhooks"],
    "Data": ["Databases", "Object storage", "Backups", "Search"],
    "Messaging": ["Email delivery", "SMS gateway", "Mobile push", "Billing"],
}

#: Hebrew for every name and title the demo writes in English.
HEBREW = {
    "Platform": "פלטפורמה",
    "Data": "נתונים",
    "Messaging": "הודעות",
    "API": "API",
    "Web dashboard": "לוח הבקרה",
    "Authentication": "הזדהות",
    "Webhooks": "Webhooks",
    "Databases": "מסדי נתונים",
    "Object storage": "אחסון קבצים",
    "Backups": "גיבויים",
    "Search": "חיפוש",
    "Email delivery": "שליחת דוא״ל",
    "SMS gateway": "שער SMS",
    "Mobile push": "התראות לנייד",
    "Billing": "חיובים",
    "Slow dashboard loading": "טעינה איטית של לוח הבקרה",
    "API errors for some customers": "שגיאות API אצל חלק מהלקוחות",
    "Delayed email delivery": "עיכוב בשליחת דוא״ל",
    "Login failures": "כשלים בהתחברות",
    "Search results out of date": "תוצאות חיפוש לא מעודכנות",
    "SMS messages not delivered": "הודעות SMS לא נמסרו",
    "Webhook delivery delays": "עיכובים במסירת Webhooks",
    "Object storage unavailable": "אחסון הקבצים אינו זמין",
    "Billing page errors": "שגיאות בדף החיובים",
    "Push notifications delayed": "עיכוב בהתראות לנייד",
    "Elevated database latency": "השהיה גבוהה במסדי הנתונים",
    "Dashboard unavailable": "לוח הבקרה אינו זמין",
    "Database version upgrade": "שדרוג גרסת מסד הנתונים",
    "Network equipment replacement": "החלפת ציוד רשת",
    "Elevated error rates on the API": "שיעור שגיאות גבוה ב-API",
}


def both(english: str) -> dict[str, str]:
    return {"en": english, "he": HEBREW[english]}


# (title, components, worst status, severity, minutes to resolve, en cause, he cause)
HISTORY = [
    (
        "Slow dashboard loading",
        ["Web dashboard"],
        "degraded_performance",
        "SEV3",
        45,
        "A slow database query after a release.",
        "שאילתה איטית במסד הנתונים אחרי עדכון גרסה.",
    ),
    (
        "API errors for some customers",
        ["API"],
        "partial_outage",
        "SEV2",
        80,
        "A faulty load balancer node.",
        "שרת איזון עומסים תקול.",
    ),
    (
        "Delayed email delivery",
        ["Email delivery"],
        "degraded_performance",
        "SEV3",
        120,
        "A backlog at an upstream provider.",
        "עומס אצל ספק חיצוני.",
    ),
    (
        "Login failures",
        ["Authentication", "Web dashboard"],
        "major_outage",
        "SEV1",
        55,
        "An expired certificate on the identity service.",
        "תעודת אבטחה שפג תוקפה בשירות הזיהוי.",
    ),
    (
        "Search results out of date",
        ["Search"],
        "degraded_performance",
        "SEV4",
        240,
        "The indexing job stalled.",
        "תהליך האינדוקס נתקע.",
    ),
    (
        "SMS messages not delivered",
        ["SMS gateway"],
        "partial_outage",
        "SEV2",
        95,
        "A carrier outage in one region.",
        "תקלה אצל מפעיל סלולר באזור אחד.",
    ),
    (
        "Webhook delivery delays",
        ["Webhooks"],
        "degraded_performance",
        "SEV3",
        60,
        "A queue worker ran out of memory.",
        "תהליך עיבוד התור נגמר לו הזיכרון.",
    ),
    (
        "Object storage unavailable",
        ["Object storage", "Backups"],
        "major_outage",
        "SEV1",
        70,
        "A storage cluster lost quorum.",
        "אשכול האחסון איבד קוורום.",
    ),
    (
        "Billing page errors",
        ["Billing"],
        "partial_outage",
        "SEV3",
        35,
        "A bug in a new release, rolled back.",
        "באג בגרסה חדשה, שהוחזרה לאחור.",
    ),
    (
        "Push notifications delayed",
        ["Mobile push"],
        "degraded_performance",
        "SEV4",
        50,
        "Rate limiting by the push provider.",
        "הגבלת קצב אצל ספק ההתראות.",
    ),
    (
        "Elevated database latency",
        ["Databases", "API"],
        "degraded_performance",
        "SEV2",
        110,
        "A noisy neighbour on shared storage.",
        "עומס משכן על אחסון משותף.",
    ),
    (
        "Dashboard unavailable",
        ["Web dashboard"],
        "major_outage",
        "SEV2",
        25,
        "A bad configuration push.",
        "שינוי תצורה שגוי.",
    ),
]

#: The active incident's questions and answers, in both languages.
_FAQ = [
    (
        {"en": "Is my data safe?", "he": "האם המידע שלי בטוח?"},
        {
            "en": "Yes. No data has been lost; failed requests can be retried safely.",
            "he": "כן. לא אבד מידע; אפשר לנסות שוב בקשות שנכשלו.",
        },
    ),
    (
        {"en": "Should I retry failed requests?", "he": "האם לנסות שוב בקשות שנכשלו?"},
        {
            "en": "Yes, with backoff. Most retries succeed within a minute.",
            "he": "כן, עם המתנה בין ניסיונות. רוב הניסיונות החוזרים מצליחים בתוך דקה.",
        },
    ),
]


def _update(
    incident: Incident, status: str, en: str, he: str, comps: dict[str, str] | None = None
) -> None:
    incidents.post_update(
        audience="none",
        actor="demo",
        incident=incident,
        status=status,  # type: ignore[arg-type]
        body={"en": en, "he": he},
        components=comps,
    )


def _history(now: datetime, ids: dict[str, str], rng: random.Random) -> None:
    days = sorted(rng.sample(range(3, 88), len(HISTORY)), reverse=True)
    for (title, names, worst, sev, minutes, cause_en, cause_he), ago in zip(
        HISTORY, days, strict=True
    ):
        start = (now - timedelta(days=ago)).replace(
            hour=rng.randint(1, 20), minute=rng.choice([5, 20, 35, 50])
        )
        comps = {ids[n]: worst for n in names}
        with clock.frozen(start):
            inc = incidents.create_incident(
                audience="none",
                actor="demo",
                title=both(title),
                severity=sev,
                components=comps,
                body={
                    "en": "We are investigating reports of problems. We will post an update within 30 minutes.",
                    "he": "אנחנו בודקים דיווחים על תקלה. נעדכן בתוך 30 דקות.",
                },
            )
        with clock.frozen(start + timedelta(minutes=minutes * 0.4)):
            _update(
                inc,
                "identified",
                f"We found the cause: {cause_en} A fix is being rolled out.",
                f"מצאנו את הסיבה: {cause_he} תיקון נפרס כעת.",
            )
        with clock.frozen(start + timedelta(minutes=minutes * 0.8)):
            _update(
                inc,
                "monitoring",
                "The fix is in place and we are watching the results.",
                "התיקון הותקן ואנחנו עוקבים אחר התוצאות.",
                {cid: "operational" for cid in comps},
            )
        with clock.frozen(start + timedelta(minutes=minutes)):
            _update(
                inc,
                "resolved",
                "This incident has been resolved. No data was lost.",
                "התקלה נפתרה. לא אבד מידע.",
            )


def _maintenances(now: datetime, ids: dict[str, str]) -> None:
    past = (now - timedelta(days=20)).replace(hour=2, minute=0, second=0, microsecond=0)
    with clock.frozen(past - timedelta(days=7)):
        m = maintenances.create_maintenance(
            audience="none",
            actor="demo",
            title=both("Database version upgrade"),
            scheduled_for=past,
            scheduled_until=past + timedelta(hours=2),
            components={ids["Databases"]: "under_maintenance"},
            body={
                "en": "We will upgrade our database servers. Short pauses of a few seconds are expected.",
                "he": "נשדרג את שרתי מסדי הנתונים. צפויות הפסקות קצרות של שניות ספורות.",
            },
        )
    with clock.frozen(past):
        maintenances.run_due_maintenances(now=past, audience="none")
    with clock.frozen(past + timedelta(hours=2)):
        maintenances.run_due_maintenances(now=past + timedelta(hours=2), audience="none")
    soon = (now + timedelta(days=5)).replace(hour=1, minute=0, second=0, microsecond=0)
    maintenances.create_maintenance(
        audience="none",
        actor="demo",
        title=both("Network equipment replacement"),
        scheduled_for=soon,
        scheduled_until=soon + timedelta(hours=3),
        components={ids["API"]: "under_maintenance", ids["Webhooks"]: "under_maintenance"},
        body={
            "en": "We are replacing network equipment in our main data centre. The API may answer slowly.",
            "he": "נחליף ציוד רשת במרכז הנתונים הראשי. ה-API עשוי להגיב לאט.",
        },
    )
    del m


def _active(now: datetime, ids: dict[str, str]) -> None:
    start = now - timedelta(minutes=42)
    with clock.frozen(start):
        inc = incidents.create_incident(
            audience="none",
            actor="demo",
            title=both("Elevated error rates on the API"),
            severity="SEV2",
            components={ids["API"]: "partial_outage", ids["Webhooks"]: "degraded_performance"},
            body={
                "en": "Some API requests are failing with errors. We are investigating and will update "
                "within 30 minutes, even if we have nothing new.",
                "he": "חלק מהבקשות ל-API נכשלות. אנחנו בודקים ונעדכן בתוך 30 דקות, גם אם לא יהיה חדש.",
            },
        )
    with clock.frozen(now - timedelta(minutes=12)):
        _update(
            inc,
            "identified",
            "We identified a failing storage node behind the API and are moving traffic away from it. "
            "We do not have a reliable time to recovery yet.",
            "זיהינו שרת אחסון תקול מאחורי ה-API ואנחנו מעבירים ממנו את התעבורה. "
            "עדיין אין לנו זמן משוער אמין לחזרה לשגרה.",
        )
        for question, answer in _FAQ:
            content.add_faq(actor="demo", incident=inc, question=question, answer=answer)
        content.add_resource(
            actor="demo",
            incident=inc,
            kind="workaround",
            title={"en": "Use the secondary endpoint", "he": "השתמשו בנקודת הקצה המשנית"},
            body={
                "en": "Point clients at `api-eu2.example.com`; it is not affected.",
                "he": "כוונו את הלקוחות אל `api-eu2.example.com`; היא לא מושפעת.",
            },
        )


def load_demo(*, quiet: bool = True) -> str:
    """Load the demo into an empty database; return what a person needs to log in, or ''."""
    if Component.objects.exists():
        return ""
    rng = random.Random(20261123)  # noqa: S311 - demo data, not security
    now = clock.now()
    with transaction.atomic():
        ids: dict[str, str] = {}
        with clock.frozen(now - timedelta(days=120)):
            for group_name, names in GROUPS.items():
                group = components.create_group(actor="demo", name=both(group_name))
                for name in names:
                    ids[name] = components.create_component(
                        actor="demo", name=both(name), group_id=group.public_id
                    ).public_id
        _history(now, ids, rng)
        _maintenances(now, ids)
        _active(now, ids)
        password = secrets.token_urlsafe(9)
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", password)
            login = f"Staff login: admin / {password}"
        else:
            login = "Staff login: your existing admin user"
        customers = load_customers(ids)
    return (
        f"Loaded the demo company ({len(ids)} components, {customers} customers, "
        f"{len(HISTORY)} past incidents, one active). {login}"
    )
