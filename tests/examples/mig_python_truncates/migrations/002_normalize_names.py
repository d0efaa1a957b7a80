"""Data step with a bug: meant to strip a leading '@' from handles, it strips the first
character of every display name."""


def upgrade(conn):
    conn.exec_driver_sql("UPDATE accounts SET display_name = substr(display_name, 2)")
