//! The text of `partoo-webhooks --help`.

use partoo_webhooks::{PRODUCTION_URL, SANDBOX_URL};

/// What `--help` prints: every command, option and default, and the exit statuses.
pub fn help() -> String {
    format!(
        "\
partoo-webhooks {version}
Lists the webhook configurations of a Partoo account, or compares them with a
desired-state file; verifies the signature of a delivery.

Usage:
  partoo-webhooks list [options]
  partoo-webhooks diff [options] [--] DESIRED.json
{verify_usage}  partoo-webhooks --help | --version

Options of list and diff:
  --sandbox            use the sandbox API, {SANDBOX_URL}
  --base-url URL       the API's base URL, up to /v2
                       [default: $PARTOO_BASE_URL, else {PRODUCTION_URL}]
  --org-id N           the organization to list (needed with a PROVIDER user's key)
  --per-page N         webhooks per request, 1 to 100 [default: 100]
  --timeout SECS       the longest one request may take [default: 30]
  --retries N          retries of a request after HTTP 429 or 5xx, a timeout or a
                       broken connection [default: 3]
  --api-key-file PATH  read the API key from the first line of PATH
  --ca-file PATH       trust only the CA certificates of this PEM file for TLS
                       (a TLS-inspecting proxy, a private CA)
                       [default: $SSL_CERT_FILE, else the TLS library's roots]

Options of list:
  --page N             the first page to list [default: 1]
  --limit N            stop after N webhooks, requesting no page beyond them
  --format FORMAT      table, jsonl, json or csv
                       [default: table on a terminal, jsonl otherwise]
  --prefetch N         request up to N pages ahead, in parallel [default: 0]; Partoo
                       allows 300 requests per minute per organization

Options of diff:
  --format FORMAT      text or json [default: text]
  --max-webhooks N     fail when the account announces more than N webhooks,
                       before holding them in memory [default: 100000]

The API key comes from the environment variable PARTOO_API_KEY, or from
--api-key-file; never from a command-line value, which would show in `ps` and
in the shell's history.

list: output streams, each page is printed before the next one is requested.
jsonl and json use the API's field names; csv has a header row and RFC 4180
quoting, and a ' before a cell that starts with = + - @, a tab or a carriage
return, which a spreadsheet would compute; table is for people.
Exit status: 0 success, 1 the API or the network failed, or the listing ended
with other than the API's count of webhooks (after printing everything
received), 2 a usage or configuration error (nothing was requested).

diff: compares the account with DESIRED.json (- for standard input), read-only,
and prints what to change. DESIRED.json is a JSON array of webhooks, one per
organization and event type:
  [{{\"org_id\": 7, \"event_type\": \"lead_received\",
    \"url\": \"https://crm.example.com/partoo/${{HOOK_PATH_SECRET}}/leads\",
    \"custom_headers\": {{\"X-Auth-Token\": \"${{HOOK_TOKEN}}\"}}}}]
custom_headers is optional. ${{NAME}} anywhere in a url, and a header value that
is exactly ${{NAME}}, are read from the environment variable NAME. With --org-id,
every entry must be for that organization. Only the organizations the file
manages are compared: those its entries name, --org-id, and those listed in
the object form {{\"organizations\": [7, 8], \"webhooks\": [...]}}, whose
webhooks without an entry are deletes even when no entry is left. The
account's webhooks in other organizations are counted as not managed, never
deletes. The file is checked before any request. The account is listed again (3 listings at most) when it changes
during a listing.
Text output: one line per difference, '+' to create, '-' to delete, '~' to
update (saying which fields differ), '!' for several webhooks of one
organization and event type; then a summary on standard error. json: one
object with creates, updates, deletes and conflicts. Header values are never
printed, only their names; nor is a url that uses ${{NAME}}, nor the account's
url it is compared with (json: null), only whether they differ.
Exit status: 0 no difference, 3 differences, 1 the API or the network failed
(or no consistent listing), 2 a usage or file error (nothing was requested).
{verify_help}
Text for people (table, diff, messages) shows control and invisible characters
(Unicode Cc, Cf, Zl, Zp: ESC, bidi overrides, zero-width spaces) as escapes
such as \\u{{202e}}, and every URL query value, URL credentials and value read
from the environment as ***. -- ends the options.
",
        version = env!("CARGO_PKG_VERSION"),
        verify_usage = crate::verify::USAGE,
        verify_help = crate::verify::HELP,
    )
}
