import users

from pytest_dualwrite import DualWrite

users_to_profiles = DualWrite(
    old="users",
    new="user_profiles",
    key={"id": "user_id"},
    columns={"name": "display_name"},
    expand=2,
    write=users.create_user,
    update=users.update_user,
    delete=users.delete_user,
    backfill=users.backfill_profiles,
    read=users.get_user,
)
