"""Migration text to statements: sqlglot's tokenizer cuts it (semicolons inside strings,
dollar quotes and comments never split), then each statement is parsed on its own.

A statement sqlglot cannot read is kept, opaque, with the reason (`Statement.unreadable`):
on the dialect it is written in the server judges it; a target that needs it transpiled
refuses it naming file:line. Only a first word that starts no statement at all is an
error here (a typo). Transaction control is recognized by its words, whatever sqlglot
makes of it. A file over `MAX_PARSED_BYTES` is cut by a scanner of quotes and comments
alone, in linear time, and not parsed at all.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.parser import Parser
from sqlglot.tokens import Token, Tokenizer, TokenType

from ..errors import MigrationError
from .model import SqlSource, Statement, canonical_dialect

ROUTINES = frozenset({TokenType.TRIGGER, TokenType.FUNCTION, TokenType.PROCEDURE})
OPENERS = {TokenType.BEGIN, TokenType.CASE}
BLOCK_ENDS = {"IF", "LOOP", "WHILE", "REPEAT"}  # `END IF` closes no BEGIN we counted
_TOKEN_TYPE = attrgetter("token_type")
TRANSACTION = (exp.Transaction, exp.Commit, exp.Rollback)
NOT_STATEMENTS = (exp.Alias, exp.Column, exp.Identifier, exp.Literal, exp.Var, exp.Tuple)

# First words that begin a statement in some dialect we read: a parse error after one of
# these is sqlglot's limit, not necessarily the user's; any other first word is a typo.
STATEMENT_WORDS = frozenset("""
    ABORT ALTER ANALYZE ATTACH BEGIN CALL CHECKPOINT CLOSE CLUSTER COMMENT COMMIT COPY CREATE
    DEALLOCATE DECLARE DELETE DESCRIBE DETACH DISCARD DO DROP END EXECUTE EXPLAIN FETCH FLUSH
    GRANT IMPORT INSERT LISTEN LOAD LOCK MERGE MOVE NOTIFY OPTIMIZE PRAGMA PREPARE REASSIGN
    REFRESH REINDEX RELEASE RENAME REPLACE RESET REVOKE ROLLBACK SAVEPOINT SECURITY SELECT SET
    SHOW START TABLE TRUNCATE UNLISTEN UPDATE UPSERT USE VACUUM VALUES WITH
""".split())
MAX_PARSED_BYTES = 8 * 1024 * 1024  # bigger files are cut, not parsed (sqlglot: ~1 s a MB)
_TRANSACTION_TREES = {"BEGIN": exp.Transaction, "START": exp.Transaction,
                      "COMMIT": exp.Commit, "END": exp.Commit,
                      "ROLLBACK": exp.Rollback, "ABORT": exp.Rollback}
_SCAN = re.compile(r"""(?<!\w)[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*"""
                   r"""|/\*.*?\*/|\$\$.*?\$\$|\$(?P<tag>[A-Za-z_]\w*)\$.*?\$(?P=tag)\$|;""",
                   re.S)
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)
_WORDS = re.compile(r"[A-Za-z_]+")


def split(source: SqlSource, dialect: str) -> list[Statement]:
    """The statements of `source`, parsed in `dialect`, each with its line in the file.

    The file is tokenized once: each statement is parsed from its own slice of the file's
    tokens (`_own_tokens`), never tokenized again. Lines are counted as the cut moves on,
    so a big file costs time in proportion to its size.
    """
    dialect = canonical_dialect(dialect)
    if len(source.text) > MAX_PARSED_BYTES:
        return _split_unparsed(source)
    text = source.text
    tokens = _tokenize(source, dialect)
    statements = []
    line, counted = source.first_line, 0  # lines counted up to offset `counted`
    with quiet_sqlglot(), collector_paused():
        for chunk in _chunks(tokens):
            start, end = chunk[0].start, chunk[-1].end + 1
            line += text.count("\n", counted, start)
            counted = start
            sql = text[start:end]
            words = [t.text.upper() for t in chunk[:3]]
            expression, opaque, unreadable = _parse(
                sql, dialect, f"{source.path}:{line}", words, _own_tokens(chunk, text, dialect))
            statements.append(Statement(sql, source.path, line, sql, opaque,
                                        None if opaque else expression, unreadable))
    return statements


def control(words: list[str]) -> str | None:
    """"transaction" for BEGIN/COMMIT/ROLLBACK and their synonyms (the runner owns the
    transaction), "savepoint" for SAVEPOINT, RELEASE and ROLLBACK TO (they run as written:
    Postgres and SQLite spell them alike), else None. `words`: the first three, upper case."""
    head = words[:1]
    if head in (["SAVEPOINT"], ["RELEASE"]) or (
            head in (["ROLLBACK"], ["ABORT"]) and "TO" in words[1:3]):
        return "savepoint"
    if head == ["START"] and words[1:2] == ["TRANSACTION"]:
        return "transaction"
    if head in (["BEGIN"], ["COMMIT"], ["END"], ["ROLLBACK"], ["ABORT"]):
        return "transaction"
    return None


def _split_unparsed(source: SqlSource) -> list[Statement]:
    """A file too big to parse, cut at the semicolons outside quotes and comments."""
    text = source.text
    size = f"{len(text) / 1e6:.1f} MB, over the {MAX_PARSED_BYTES / 1e6:.1f} MB parsed"
    reason = f"the file is too large to parse ({size})"
    statements: list[Statement] = []
    line, counted, start = source.first_line, 0, 0
    ends = (m.start() for m in _SCAN.finditer(text) if m.group() == ";")
    for end in (*ends, len(text)):
        lead = _LEADING.match(text, start, end)
        begin = lead.end() if lead else start
        if begin < end:
            line += text.count("\n", counted, begin)
            counted = begin
            sql = text[begin:end].rstrip()
            words = [w.upper() for w in _WORDS.findall(sql[:40])[:3]]
            kind = control(words)
            tree = _TRANSACTION_TREES[words[0]]() if kind == "transaction" else None
            statements.append(Statement(sql, source.path, line, sql, tree is None, tree,
                                        None if kind else reason))
        start = end + 1
    return statements


def _dialect(name: str) -> sqlglot.Dialect:
    """One sqlglot Dialect per name (`get_or_raise` builds a new one on every call)."""
    dialect = _DIALECTS.get(name)
    if dialect is None:
        dialect = _DIALECTS[name] = sqlglot.Dialect.get_or_raise(name)
    return dialect


def _tools(name: str) -> tuple[Tokenizer, Parser]:
    """A tokenizer and a parser of dialect `name`, kept per thread: each `tokenize` and
    `parse` starts by resetting them, and building them costs more than a small file does."""
    tools = getattr(_TOOLS, name, None)
    if tools is None:
        dialect = _dialect(name)
        tools = (dialect.tokenizer(), dialect.parser())
        setattr(_TOOLS, name, tools)
    return tools


_DIALECTS: dict[str, sqlglot.Dialect] = {}
_TOOLS = threading.local()


def _tokenize(source: SqlSource, dialect: str) -> list[Token]:
    tokenizer = _tools(dialect)[0]
    try:
        return tokenizer.tokenize(source.text)
    except TokenError as exc:
        done = [t for t in tokenizer.tokens if t.token_type == TokenType.SEMICOLON]
        start = done[-1].end + 1 if done else 0
        start += len(source.text[start:]) - len(source.text[start:].lstrip())
        line = source.first_line + source.text.count("\n", 0, start)
        reason = str(exc.__cause__ or exc).splitlines()[0]
        raise MigrationError(f"{source.path}:{line}: cannot parse statement: "
                             f"{_short(source.text[start:])} ({reason})") from None


def _own_tokens(chunk: list[Token], text: str, dialect: str) -> tuple[list[Token], str]:
    """The tokens of one statement as if its text were tokenized alone, and the text
    their offsets index (the file's, or the statement's own on the fallback below).

    Inside a statement, the file's tokens are those of the statement alone; only a
    comment outside it can differ: sqlglot hangs a comment before a statement on its
    first token and one between its end and the `;` (or the end of the file) on its last,
    where the statement's own text (which starts at its first token and ends at its last)
    has none. So when the first or last token carries comments, each of the two gets the
    comments it has when only it and its neighbour in the statement are tokenized; if that
    pair does not tokenize to the same two tokens (a word sqlglot reads differently at a
    statement's start), the statement's text is tokenized alone, as it always was.
    """
    first, last = chunk[0], chunk[-1]
    if not first.comments and not last.comments:
        return chunk, text
    sql = text[first.start:last.end + 1]
    if len(chunk) > 1:
        tokenizer = _tools(dialect)[0]
        try:
            head = tokenizer.tokenize(text[first.start:chunk[1].end + 1])
            tail = head if len(chunk) == 2 else tokenizer.tokenize(
                text[chunk[-2].start:last.end + 1])
        except TokenError:
            head = tail = []
        if _same(head, chunk[:2]) and _same(tail, chunk[-2:]):
            own = list(chunk)
            own[0] = _with_comments(first, head[0].comments)
            own[-1] = _with_comments(last, tail[-1].comments)
            return own, text
    return _tools(dialect)[0].tokenize(sql), sql


def _same(alone: list[Token], tokens: list[Token]) -> bool:
    return len(alone) == len(tokens) and all(
        a.token_type == t.token_type and a.text == t.text
        for a, t in zip(alone, tokens, strict=True))


def _with_comments(token: Token, comments: list[str]) -> Token:
    if comments == token.comments:
        return token
    return Token(token.token_type, token.text, token.line, token.col, token.start, token.end,
                 list(comments))


def _chunks(tokens: list[Token]) -> Iterator[list[Token]]:
    """Tokens between top-level semicolons; BEGIN...END bodies of routines stay whole."""
    kinds = list(map(_TOKEN_TYPE, tokens))
    if ROUTINES.isdisjoint(kinds):  # no body anywhere: every semicolon ends a statement
        start, size = 0, len(kinds)
        while start < size:
            try:
                end = kinds.index(TokenType.SEMICOLON, start)
            except ValueError:
                end = size
            if end > start:
                yield tokens[start:end]
            start = end + 1
        return
    chunk: list[Token] = []
    depth = 0
    for token in tokens:
        kind = token.token_type
        if kind == TokenType.SEMICOLON and depth == 0:
            if chunk:
                yield chunk
            chunk = []
            continue
        # Only a CREATE of a routine has a body (the test on the kind first: it is cheaper).
        if chunk and chunk[0].token_type == TokenType.CREATE and (
                kind in OPENERS or kind == TokenType.END or token.text.upper() in BLOCK_ENDS):
            routine = any(t.token_type in ROUTINES for t in chunk[:8])
            if routine and kind in OPENERS:
                depth += 1
            elif routine and kind == TokenType.END:
                depth = max(depth - 1, 0)
            elif routine and chunk[-1].token_type == TokenType.END:
                depth += 1  # `END IF`: undo, that END closed an IF
        chunk.append(token)
    if chunk:
        yield chunk


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while statements are parsed (and folded): the
    trees (cyclic through sqlglot's parent pointers) are all kept, so collections find
    little to free and each full one walks them all (~20% of the static check on 1,000
    migrations; a big file's parse time grew faster than its size)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning for every statement it keeps as a command: we report those
    ourselves (opaque statements, folds' notes), so its log would only repeat them."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    if level == logging.ERROR:  # quiet already (an outer block): setLevel clears caches
        yield
        return
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _parse(sql: str, dialect: str, where: str, words: list[str],
           tokens: tuple[list[Token], str]) -> tuple[exp.Expr | None, bool, str | None]:
    """(tree, opaque, why sqlglot could not read it) for one statement.

    MigrationError only when its first word starts no statement (`words`: the first three
    token texts, upper case): a typo. `tokens`: its tokens and the text they index.
    """
    kind = control(words)
    if kind == "transaction":
        return _TRANSACTION_TREES[words[0]](), False, None
    if kind == "savepoint":
        return None, True, None
    try:
        with quiet_sqlglot():
            trees = [t for t in _tools(dialect)[1].parse(*tokens) if t is not None]
    except ParseError as exc:
        if words[0] not in STATEMENT_WORDS:
            raise MigrationError(f"{where}: cannot parse statement: {_short(sql)} "
                                 f"({_reason(exc)})") from None
        return None, True, _reason(exc)
    if len(trees) != 1:  # a routine body sqlglot splits: keep the text whole
        return None, True, None
    tree = trees[0]
    if isinstance(tree, NOT_STATEMENTS) or (
            isinstance(tree, exp.Condition) and not isinstance(tree, exp.Query)):
        if words[0] in STATEMENT_WORDS:
            return None, True, "sqlglot reads it as an expression, not a statement"
        raise MigrationError(f"{where}: cannot parse statement: {_short(sql)} "
                             f"(not a statement; a typo in its first word?)")
    tree = _column_rename(tree)
    kind = str(tree.args.get("kind") or "").upper()
    opaque = isinstance(tree, exp.Command) or (
        isinstance(tree, exp.Create) and kind in ("TRIGGER", "FUNCTION", "PROCEDURE"))
    return tree, opaque, None


def _column_rename(tree: exp.Expr) -> exp.Expr:
    """`ALTER TABLE t RENAME a TO b` (no COLUMN) renames a column in Postgres; sqlglot
    reads a table rename (to `a`) with a stray `TO b` option: make it the column rename."""
    if not isinstance(tree, exp.Alter) or len(tree.args.get("actions") or []) != 1:
        return tree
    action, options = tree.args["actions"][0], tree.args.get("options") or []
    if not isinstance(action, exp.AlterRename) or len(options) != 1 or not isinstance(
            options[0], exp.ToTableProperty):
        return tree
    old, new = action.this.this, options[0].this.this
    tree.set("options", None)
    tree.set("actions", [exp.RenameColumn(this=exp.Column(this=old.copy()),
                                          to=exp.Column(this=new.copy()), exists=False)])
    return tree


def _reason(exc: ParseError) -> str:
    error = exc.errors[0] if exc.errors else {}
    text = str(error.get("description") or exc).splitlines()[0]
    return re.sub(r"<Token token_type: [^,]*, text: (.*?), line: .*?>", r"'\1'", text)


def _short(sql: str, width: int = 80) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"

