"""The templates Tidings ships, in English and Hebrew (shared/reference/domain.md 3.2-3.3).

Each phase says what customers need at that moment: what is wrong and since when, that the
cause is not known yet, what to do, and when the next update comes. Slots such as ``{cause}``
and ``{data_statement}`` are left for the author on purpose: a resolved message cannot go out
without a sentence about data, and a cause is never guessed by a template.
"""

from __future__ import annotations

from tidings.comms.rules import Template


def _t(key: str, kind: str, status: str, names: tuple[str, str], *texts: str) -> Template:
    en, he = texts
    return Template(
        key=key,
        kind=kind,
        status=status,
        names={"en": names[0], "he": names[1]},
        bodies={"en": en, "he": he},
    )


DEFAULTS: dict[str, Template] = {
    t.key: t
    for t in (
        _t(
            "investigating",
            "incident",
            "investigating",
            ("Investigating", "בבדיקה"),
            "We are investigating a problem: {title}. It affects {components} since {start_time}. "
            "We do not know the cause yet, and there is no workaround yet. "
            "We will post the next update by {next_update_time}, even if nothing has changed. "
            "Live updates: {incident_url}",
            "אנחנו בודקים תקלה: {title}. היא משפיעה על {components} מאז {start_time}. "
            "עדיין איננו יודעים מה הסיבה, ואין עדיין דרך לעקוף אותה. "
            "העדכון הבא יפורסם עד {next_update_time}, גם אם לא יהיה חדש. "
            "עדכונים שוטפים: {incident_url}",
        ),
        _t(
            "identified",
            "incident",
            "identified",
            ("Cause identified", "הסיבה זוהתה"),
            "We have found the cause of the problem with {components}: {cause}. "
            "We are {remediation}. We do not have a reliable time for recovery yet. "
            "Next update by {next_update_time}.",
            "מצאנו את הסיבה לתקלה (רכיבים: {components}): {cause}. "
            "אנחנו {remediation}. עדיין אין לנו זמן אמין לחזרה לשגרה. "
            "העדכון הבא עד {next_update_time}.",
        ),
        _t(
            "still_working",
            "incident",
            "",
            ("Still working, no ETA yet", "עדיין עובדים, אין עדיין זמן משוער"),
            "We are still working to restore {components}. There is no change since our last "
            "update, and we do not yet have a time for full recovery. "
            "Next update by {next_update_time}, even if nothing changes.",
            "אנחנו ממשיכים לעבוד על החזרת {components} לפעולה. אין שינוי מאז העדכון הקודם, "
            "ועדיין אין לנו זמן משוער לחזרה מלאה. "
            "העדכון הבא עד {next_update_time}, גם אם לא יהיה שינוי.",
        ),
        _t(
            "monitoring",
            "incident",
            "monitoring",
            ("Monitoring a fix", "מעקב אחרי תיקון"),
            "A fix was applied at {now_time}. Service is recovering for {components}, and we are "
            "watching it closely. If you still see problems, please contact our support. "
            "Next update by {next_update_time}.",
            "תיקון הותקן ב-{now_time}. השירות חוזר לפעולה (רכיבים: {components}) ואנחנו עוקבים מקרוב. "
            "אם אתם עדיין נתקלים בבעיה, פנו אלינו לתמיכה. "
            "העדכון הבא עד {next_update_time}.",
        ),
        _t(
            "resolved",
            "incident",
            "resolved",
            ("Resolved", "נפתרה"),
            "All affected services ({components}) have been working normally since {end_time}. "
            "Between {start_time} and {end_time}: {title}. {data_statement} "
            "We are sorry for the disruption. "
            "A full report will follow on {incident_url}",
            "כל השירותים שנפגעו ({components}) פועלים כרגיל מאז {end_time}. בין {start_time} ל-{end_time}: {title}. "
            "{data_statement} אנחנו מצטערים על ההפרעה. "
            "דוח מלא יפורסם בכתובת {incident_url}",
        ),
        _t(
            "maintenance_scheduled",
            "maintenance",
            "scheduled",
            ("Maintenance scheduled", "תחזוקה מתוכננת"),
            "We will carry out planned maintenance on {components} from {scheduled_for} to "
            "{scheduled_until}. During this time {components} may be briefly unavailable. "
            "We will post here when it starts and when it is complete.",
            "נבצע תחזוקה מתוכננת (רכיבים: {components}) מ-{scheduled_for} עד {scheduled_until}. "
            "בזמן הזה ייתכנו הפסקות קצרות. נעדכן כאן כשהתחזוקה תתחיל וכשתסתיים.",
        ),
        _t(
            "maintenance_started",
            "maintenance",
            "in_progress",
            ("Maintenance started", "התחזוקה החלה"),
            "The planned maintenance on {components} has started. "
            "It should be complete by {scheduled_until}.",
            "התחזוקה המתוכננת (רכיבים: {components}) החלה. היא צפויה להסתיים עד {scheduled_until}.",
        ),
        _t(
            "maintenance_completed",
            "maintenance",
            "completed",
            ("Maintenance completed", "התחזוקה הסתיימה"),
            "The planned maintenance on {components} is complete, and everything is working "
            "normally.",
            "התחזוקה המתוכננת (רכיבים: {components}) הסתיימה, והכול פועל כרגיל.",
        ),
        _t(
            "maintenance_extended",
            "maintenance",
            "",
            ("Maintenance extended", "התחזוקה הוארכה"),
            "The planned maintenance on {components} is taking longer than planned. "
            "It should now be complete by {scheduled_until}. We will post here when it is done.",
            "התחזוקה המתוכננת (רכיבים: {components}) נמשכת יותר מהמתוכנן. "
            "היא צפויה להסתיים עכשיו עד {scheduled_until}. נעדכן כאן כשתסתיים.",
        ),
        _t(
            "maintenance_cancelled",
            "maintenance",
            "cancelled",
            ("Maintenance cancelled", "התחזוקה בוטלה"),
            "The planned maintenance on {components} scheduled for {scheduled_for} is cancelled. "
            "Nothing changes for you.",
            "התחזוקה המתוכננת (רכיבים: {components}) שנקבעה ל-{scheduled_for} בוטלה. "
            "אצלכם לא משתנה דבר.",
        ),
    )
}
