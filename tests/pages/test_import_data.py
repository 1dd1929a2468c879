"""The Import page's column mapping (AppTest, Mia the lead manager, on a CRM of the test's own).

Each field is named in the users' words ("External id", "E-mail"); its own name (the API's and a
mapping file's) is in its help only. The guess from the file's header still sets each field,
from the field's name, its words or its usual other names; and the mapping it sets is the one
the dry run checks.
"""

from __future__ import annotations

from crm.ingest.fields import FIELDS
from crm.ingest.files import KINDS
from tests.pages.conftest import metrics

PAGE = "pages/import_data.py"
FAIR = (
    b"Client ID,First name,Surname,E-mail,Mobile,Country\n"
    b"FAIR-1,Ana,Souza,ana.fair1@example.com,+5511987650001,BR\n"
    b"FAIR-2,Ben,Okafor,ben.fair2@example.com,0803 123 4567,NG\n"
    b"FAIR-3,Cara,Lim,not-an-email,+60123456789,MY\n"
)
# A dialer's log whose header uses the page's own words for three fields.
DIALER = (
    b"Call id,AM's e-mail,Started,Duration (s),Disposition,Phone\n"
    b"C-1,alan@b.example,2026-03-10T10:00:00Z,60,NA,+447000000001\n"
)


def mapping_boxes(at, kind: str) -> list:
    """The mapping's select boxes in the fields' order (the page lays them out in 4 columns)."""
    by_key = {box.key: box for box in at.selectbox}
    return [by_key[f"import.map.{kind}.{field.name}"] for field in FIELDS[KINDS[kind]]]


def uploaded(at, name: str, content: bytes):
    at.file_uploader(key="import.file").upload(name, content, "text/csv")
    return at.run()


def test_the_mapping_names_each_field_in_words_and_guesses_from_the_header(open_page, writable_crm):
    at = open_page(PAGE, writable_crm.warehouse)
    at.text_input(key="import.source").input("trade_fair")
    at = uploaded(at, "fair.csv", FAIR)
    assert not at.exception
    boxes = mapping_boxes(at, "leads")
    assert [(box.label, box.value) for box in boxes] == [
        ("External id *", "Client ID"),
        ("Source", "(not in the file)"),
        ("Affiliate", "(not in the file)"),
        ("Campaign", "(not in the file)"),
        ("First name *", "First name"),
        ("Last name *", "Surname"),
        ("E-mail *", "E-mail"),
        ("Phone *", "Mobile"),
        ("Country", "Country"),
        ("Language", "(not in the file)"),
        ("Time zone", "(not in the file)"),
        ("Currency", "(not in the file)"),
        ("Registered", "(not in the file)"),
    ]
    # The field's own name, for whoever writes a mapping file, is in the help.
    assert boxes[0].help == (
        "Your id of the lead; each is registered once per source. In a mapping file and the "
        "API: `external_id`."
    )
    assert boxes[6].help == "Email address. In a mapping file and the API: `email`."

    at.button(key="import.check").click().run()
    assert [message.value for message in at.info] == [
        "fair.csv: dry run of 3 rows: 2 new, 0 duplicate, 1 invalid; nothing was written."
    ]
    assert {label: value for label, (value, _) in metrics(at).items()} == {
        "New": "2",
        "Duplicate": "0",
        "Invalid": "1",
    }


def test_a_header_in_the_pages_words_is_guessed(open_page, writable_crm):
    at = open_page(PAGE, writable_crm.warehouse)
    at.selectbox(key="import.kind").select("calls").run()
    at = uploaded(at, "dialer.csv", DIALER)
    assert not at.exception
    assert [(box.label, box.value) for box in mapping_boxes(at, "calls")] == [
        ("Call id *", "Call id"),
        ("AM's e-mail", "AM's e-mail"),
        ("AM's extension", "(not in the file)"),
        ("Started *", "Started"),
        ("Duration (s) *", "Duration (s)"),
        ("Disposition *", "Disposition"),
        ("Starboard lead #", "(not in the file)"),
        ("Lead's external id", "(not in the file)"),
        ("Lead's source", "(not in the file)"),
        ("Lead's phone", "Phone"),
    ]


def report_reasons(at) -> dict[int, str]:
    (frame,) = [d.value for d in at.dataframe if "reason" in d.value.columns]
    return dict(zip(frame["row"], frame["reason"], strict=True))


def test_the_dry_run_report_names_the_fields_in_the_mappings_words(open_page, writable_crm):
    """The bad e-mail of row 4 (FAIR-3) and a call's bad fields are named as the mapping names
    them, never by the API's names (email, duration_s, agent_email)."""
    at = open_page(PAGE, writable_crm.warehouse)
    at.text_input(key="import.source").input("trade_fair")
    at = uploaded(at, "fair.csv", FAIR)
    at.button(key="import.check").click().run()
    assert report_reasons(at)[4] == "E-mail: is not an email address"

    at = open_page(PAGE, writable_crm.warehouse)
    at.selectbox(key="import.kind").select("calls").run()
    at = uploaded(
        at,
        "dialer.csv",
        b"Call id,AM's e-mail,Started,Duration (s),Disposition,Phone\n"
        b"C-1,,2026-03-10T10:00:00Z,-5,NA,+447000000001\n"
        b"C-2,nobody@b.example,2026-03-10T10:00:00Z,60,NA,+447000000001\n",
    )
    at.button(key="import.check").click().run()
    assert not at.exception
    reasons = report_reasons(at)
    assert reasons[2].startswith(
        "AM's e-mail: is missing: name the AM by AM's e-mail or AM's extension; Duration (s): "
    )
    assert reasons[3] == "AM's e-mail: names no staff member of this CRM"
