#!/usr/bin/env python3
"""Replays recorded ClickHouse statements, in order, on chdb (current ClickHouse, in-process).

Usage: run_chdb.py STATEMENTS.json SESSION_DIR > ANSWERS.json

STATEMENTS.json: {"statements": [{"seq", "kind", "database", "sql", "settings", "format", "body"}]}
  kind is query, command, exec or insert; an insert's sql is "INSERT INTO t FORMAT JSONEachRow"
  and its body the rows, one JSON object a line; an exec with a body sent that data with it.
Prints {"version", "settings", "results": [{"seq", "ok", "text" | "error", "seconds"}]}.
Exit 0 when every statement ran (answers are compared by the caller), 3 when chdb is missing.
Standard library and chdb only.
"""

import json
import re
import sys
import time

try:
    import chdb
    from chdb import session as chdb_session
except ImportError as missing:  # the caller turns this into a clear failure
    print(json.dumps({"missing": str(missing)}))
    sys.exit(3)

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SETTING_VALUE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

# Settings whose defaults differ between 18.16 and current ClickHouse, reported for the docs.
WATCHED = [
    "input_format_skip_unknown_fields",
    "output_format_json_quote_64bit_integers",
    "output_format_json_quote_denormals",
    "allow_experimental_analyzer",
    "enable_analyzer",
    "final",
    "date_time_output_format",
    "session_timezone",
    "join_use_nulls",
    "mutations_sync",
]


def literal(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if SETTING_VALUE.match(text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def settings_clause(settings):
    for name in settings:
        if not IDENTIFIER.match(name):
            raise ValueError("unexpected setting name %r" % name)
    return ", ".join("%s = %s" % (name, literal(value)) for name, value in settings.items())


def run(sess, statement):
    kind = statement["kind"]
    settings = statement.get("settings") or {}
    # An insert, or an exec that sent data (an insert of bytes as they are): the data follows the statement.
    if kind == "insert" or (kind == "exec" and statement.get("body") is not None):
        sql = statement["sql"]
        if settings:
            # INSERT INTO t SETTINGS … FORMAT …: the settings of this insert only.
            sql = sql.replace(" FORMAT ", " SETTINGS %s FORMAT " % settings_clause(settings), 1)
        return sess.query(sql + "\n" + statement["body"]).bytes().decode("utf-8")
    if settings:
        # Settings travel as URL parameters to the server; here they are set for one statement.
        sess.query("SET " + settings_clause(settings))
    try:
        if kind == "query":
            return sess.query(statement["sql"], statement.get("format") or "JSON").bytes().decode("utf-8")
        sess.query(statement["sql"])
        return ""
    finally:
        if settings:
            for name in settings:
                sess.query("SET %s = DEFAULT" % name)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        statements = json.load(f)["statements"]
    sess = chdb_session.Session(sys.argv[2])
    try:
        version = json.loads(sess.query("SELECT version() AS v", "JSONEachRow").bytes().decode("utf-8"))["v"]
        watched = sess.query(
            "SELECT name, value FROM system.settings WHERE name IN (%s) ORDER BY name"
            % ", ".join("'%s'" % n for n in WATCHED),
            "JSONEachRow",
        ).bytes().decode("utf-8")
        defaults = {row["name"]: row["value"] for row in map(json.loads, filter(None, watched.split("\n")))}
        results = []
        current = "default"
        for statement in statements:
            started = time.monotonic()
            result = {"seq": statement["seq"]}
            try:
                database = statement.get("database") or "default"
                if database != current:
                    if not IDENTIFIER.match(database):
                        raise ValueError("unexpected database name %r" % database)
                    sess.query("USE `%s`" % database)
                    current = database
                result["text"] = run(sess, statement)
                result["ok"] = True
            except Exception as err:  # noqa: BLE001 - every refusal is reported, none stops the replay
                result["ok"] = False
                result["error"] = str(err).strip()
            result["seconds"] = round(time.monotonic() - started, 4)
            results.append(result)
        json.dump({"version": version, "chdb": chdb.__version__, "settings": defaults, "results": results}, sys.stdout)
    finally:
        sess.close()


if __name__ == "__main__":
    main()
