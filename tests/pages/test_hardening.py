"""Issue 26 (items 6, 9-12) in the dashboard's own code, without a server: the address rule,
text shown as text, safe exports, the role form of the Staff page, the websocket filter."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from dashboard import formats, server
from dashboard.connection import LOOPBACK, address_of, trusted_proxies
from dashboard.exports import csv_bytes

PROXY = trusted_proxies("10.0.0.5")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        # A browser on this machine over IPv4, as the dual-stack server sees it.
        ("::ffff:127.0.0.1", [], (), "127.0.0.1"),
        # X-Forwarded-For from anyone not trusted is not read.
        ("::1", ["10.9.9.9"], (), "::1"),
        ("203.0.113.9", ["10.9.9.9"], PROXY, "203.0.113.9"),
        # From the trusted proxy: the hop it added, not what the client wrote before it.
        ("10.0.0.5", ["10.9.9.9, 198.51.100.4"], PROXY, "198.51.100.4"),
        ("::ffff:10.0.0.5", ["10.9.9.9", "198.51.100.4"], PROXY, "198.51.100.4"),
        # A chain of trusted proxies is skipped; a hop that is no address stops the walk.
        ("10.0.0.5", ["198.51.100.4, 10.0.0.5"], PROXY, "198.51.100.4"),
        ("10.0.0.5", ["198.51.100.4, nonsense"], PROXY, "10.0.0.5"),
        # The proxy's own request (no hop).
        ("127.0.0.1", [], LOOPBACK, "127.0.0.1"),
        ("[::1]", ["::ffff:203.0.113.9"], LOOPBACK, "203.0.113.9"),
        (None, [], (), "unknown"),
    ],
)
def test_the_address_a_sign_in_is_counted_under(peer, forwarded, trusted, expected):
    assert address_of(peer, forwarded, trusted) == expected


def test_the_trusted_proxies_setting():
    assert trusted_proxies("") == () and trusted_proxies("0") == ()
    assert trusted_proxies("1") == LOOPBACK
    assert [str(n) for n in trusted_proxies("10.0.0.5, 10.1.0.0/24")] == [
        "10.0.0.5/32", "10.1.0.0/24",
    ]  # fmt: skip
    with pytest.raises(Exception, match="'proxy' is not an address or a network"):
        trusted_proxies("10.0.0.5,proxy")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("![x](http://203.0.113.9/p.png)", r"!\[x\](http\://203.0.113.9/p.png)"),
        ("[login](https://evil.example)", r"\[login\](https\://evil.example)"),
        ("**Ana** _Lima_ ~~x~~ `y` $z$", r"\*\*Ana\*\* \_Lima\_ \~\~x\~\~ \`y\` \$z\$"),
        (":red[Ana] :smile:", r"\:red\[Ana\] \:smile:"),
        ("<img src=x> &lt;", r"\<img src=x\> \&lt;"),
        ("# Ana\n- Ben", r"\# Ana - Ben"),
        ("1. Ana", r"1\. Ana"),
        ("- Ana", r"\- Ana"),
        ("200.00 USD recorded", "200.00 USD recorded"),
        ("-5 leads", "-5 leads"),
        ("www.evil.example", r"www\.evil.example"),
        # What needs no escape is left as it is: messages read the same.
        ("1 lead assigned to Alan Ames (new lead).", "1 lead assigned to Alan Ames (new lead)."),
        ("declined: insufficient funds at 10:30", "declined: insufficient funds at 10:30"),
    ],
)
def test_data_in_markdown_elements_is_shown_as_its_characters(text, shown):
    assert formats.plain(text) == shown


FORMULAS = pd.DataFrame(
    {
        "lead_name": [
            '=HYPERLINK("https://evil.example","x")',
            "@SUM(1)",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "Ana\r=1+1",
            "Ben\r\n@SUM(2)",
            "\t=1",
            "Cara Diaz",
        ],
        "amount": [1.5, 2, 3, 4, 5, 6, 7, 8],
    }
)


def test_the_csv_export_holds_no_formula_a_spreadsheet_would_run():
    """Item 9: every cell of every row, read back as a spreadsheet reads a CSV (a bare CR also
    ends a line), starts with no formula sign; the names are all there."""
    text = csv_bytes(FORMULAS).decode("utf-8")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    assert len(rows) == 1 + len(FORMULAS)  # the header and one row per lead, none split
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert [row[0] for row in rows[1:]] == [
        "'=HYPERLINK(\"https://evil.example\",\"x\")", "'@SUM(1)", "'+cmd|' /C calc'!A0",
        "'-2+3", "Ana =1+1", "Ben @SUM(2)", "'\t=1", "Cara Diaz",
    ]  # fmt: skip


def test_streamlit_s_own_table_download_is_off():
    """Item 9: the table toolbar's "Download as CSV" (and copy) wrote cells as they are."""
    import tomllib

    from tests.pages.conftest import REPO_ROOT

    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True


def test_the_websocket_filter_drops_what_a_viewer_never_sends():
    """Item 12: clear_cache (every user's caches), run-on-save, git information, the skills
    installer; a rerun passes."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    clear, git = BackMsg(), BackMsg()
    clear.clear_cache = True
    git.load_git_info = True
    rerun = BackMsg()
    rerun.rerun_script.query_string = ""
    assert server.blocked(clear.SerializeToString()) == "clear_cache"
    assert server.blocked(git.SerializeToString()) == "load_git_info"
    assert server.blocked(rerun.SerializeToString()) is None
    assert server.blocked(b"not a message") is None  # Streamlit answers garbage itself


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/star_board", "/star_board"),
        ("/all_leads?x=1", "/all_leads?x=1"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        (None, "/"),
    ],
)
def test_after_sign_in_the_browser_goes_to_a_page_of_this_site_only(target, safe):
    assert server.safe_next(target) == safe


# Item 10 in the pages: a lead's name and a decline reason written as Markdown -------------------

BEN_FIRST, BEN_LAST = "![Ben](http://203.0.113.9/pixel.png)", "[login](https://evil.example)"
REASON = "**urgent** [verify here](https://evil.example)"


def markdown_in_names(engine) -> None:
    import sqlalchemy as sa

    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE leads SET first_name = :first, last_name = :last WHERE id = 2"),
            {"first": BEN_FIRST, "last": BEN_LAST},
        )
        connection.execute(
            sa.text("UPDATE deposit_attempts SET decline_reason = :reason WHERE id = 5"),
            {"reason": REASON},
        )


@pytest.fixture(scope="module")
def markdown_warehouse(migrated_sqlite_template, tmp_path_factory):
    from tests.pages.conftest import build_warehouse

    folder = tmp_path_factory.mktemp("markdown")
    return build_warehouse(migrated_sqlite_template, folder, True, prepare=markdown_in_names)


def select(at, table_key: str, *rows: int) -> None:
    at.session_state[table_key] = {"selection": {"rows": list(rows)}}
    at.run()


def test_a_lead_s_name_in_the_selected_caption_is_text(open_page, markdown_warehouse):
    at = open_page("pages/all_leads.py", markdown_warehouse)
    select(at, "all_leads.table", 0)  # Ben
    caption = next(c.value for c in at.caption if c.value.startswith("Selected"))
    assert caption == formats.plain(f"Selected: {BEN_FIRST} {BEN_LAST}")
    assert "\\[login\\](https\\://evil.example)" in caption


def test_a_decline_reason_in_the_review_caption_is_text(open_page, markdown_warehouse):
    at = open_page("pages/failed_deposits.py", markdown_warehouse)
    select(at, "failed_deposits.table", 0)  # deposit 5, Ben's
    caption = next(c.value for c in at.caption if "declined:" in c.value)
    assert caption == formats.plain(f"The note states the decline first: declined: {REASON}.")
    assert "\\*\\*urgent\\*\\* \\[verify here\\]" in caption
