"""``bgtasks users``, ``tokens`` and ``audit``: identities and the audit log, from the server's shell.

The CLI acts as the local operator (whoever can read the instance's configuration and key), so it
can bootstrap the first admin before anyone can sign in. Every change is audited as
``local:<os user>``.
"""

from __future__ import annotations

import sys

import click

from bgtasks.cli import context
from bgtasks.cli.output import as_json, json_option, table
from bgtasks.identity.passwords import generate_password
from bgtasks.orchestration.run_identity import local_identity


def _audit(action: str, target: str, **detail) -> None:
    context.services().audit.record(local_identity().name, action, target, via="cli", detail=detail)


@click.group()
def users() -> None:
    """Users and their roles (ADMIN, TASK_EDITOR, or none: view and run)."""


@users.command("create-admin")
@click.argument("name", default="admin")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(name: str, password_stdin: bool) -> None:
    """Create an admin (the first one, typically) and print its password once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
    user = context.services().users.create(name, roles=["ADMIN"], password=password)
    _audit("user.create", f"user:{user.name}", roles=list(user.roles))
    click.echo(f"created admin {user.name}")
    if not password_stdin:
        click.echo(f"password (shown once): {password}")


@users.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, type=click.Choice(["ADMIN", "TASK_EDITOR"]))
@click.option("--password", "with_password", is_flag=True, help="Generate a password and print it once.")
def create_user(name: str, roles: tuple[str, ...], with_password: bool) -> None:
    """Create a user; without --password it signs in with API tokens only."""
    password = generate_password() if with_password else None
    user = context.services().users.create(name, roles=list(roles), password=password)
    _audit("user.create", f"user:{user.name}", roles=list(user.roles))
    click.echo(f"created user {user.name} (roles: {', '.join(user.roles) or 'none'})")
    if password:
        click.echo(f"password (shown once): {password}")


@users.command("list")
@json_option
def list_users(as_json_output: bool) -> None:
    """List users with their roles."""
    found = context.services().users.list()
    if as_json_output:
        as_json([user.to_json() for user in found])
        return
    table(
        ["name", "roles", "active", "password"],
        [
            [u.name, ",".join(u.roles) or "-", "yes" if u.active else "no", "yes" if u.has_password else "no"]
            for u in found
        ],
    )


@users.command("set-roles")
@click.argument("name")
@click.argument("roles", nargs=-1, type=click.Choice(["ADMIN", "TASK_EDITOR"]))
def set_roles(name: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles (none given: view and run only)."""
    user = context.services().users.update(name, roles=list(roles))
    _audit("user.update", f"user:{name}", fields=["roles"], roles=list(user.roles))
    click.echo(f"{name}: roles {', '.join(user.roles) or 'none'}")


@users.command("reset-password")
@click.argument("name")
def reset_password(name: str) -> None:
    """Give a user a new generated password, printed once."""
    password = generate_password()
    context.services().users.update(name, password=password)
    _audit("user.update", f"user:{name}", fields=["password"])
    click.echo(f"password for {name} (shown once): {password}")


@users.command("disable")
@click.argument("name")
def disable_user(name: str) -> None:
    """Disable a user: sessions end and tokens are revoked at once. Their tasks keep their owner."""
    context.services().users.update(name, active=False)
    _audit("user.disable", f"user:{name}")
    click.echo(f"disabled {name}")


@users.command("enable")
@click.argument("name")
def enable_user(name: str) -> None:
    """Enable a disabled user again (their old tokens stay revoked)."""
    context.services().users.update(name, active=True)
    _audit("user.update", f"user:{name}", fields=["active"], active=True)
    click.echo(f"enabled {name}")


@click.group()
def tokens() -> None:
    """API tokens: sent as 'Authorization: Bearer <token>', or as BGTASKS_TOKEN for 'dagster job launch'."""


@tokens.command("create")
@click.argument("user")
@click.argument("name")
@click.option("--expires-in-days", type=float, default=None, help="Default: never expires.")
def create_token(user: str, name: str, expires_in_days: float | None) -> None:
    """Create a token for USER; it is printed once and stored only as a hash."""
    secret, token = context.services().tokens.create(user, name, expires_in_days)
    _audit("token.create", f"user:{user}", token_id=token.id, token_name=token.name)
    click.echo(secret)


@tokens.command("list")
@click.argument("user")
@json_option
def list_tokens(user: str, as_json_output: bool) -> None:
    """List USER's tokens (never their secrets)."""
    found = context.services().tokens.list(user)
    if as_json_output:
        as_json([token.to_json() for token in found])
        return
    table(
        ["id", "name", "prefix", "created", "expires", "last used", "revoked"],
        [
            [t.id, t.name, t.prefix + "...", t.created_at, t.expires_at, t.last_used_at, t.revoked_at]
            for t in found
        ],
    )


@tokens.command("revoke")
@click.argument("user")
@click.argument("token_id", type=int)
def revoke_token(user: str, token_id: int) -> None:
    """Revoke one of USER's tokens; it stops working at once."""
    token = context.services().tokens.revoke(user, token_id)
    _audit("token.revoke", f"user:{user}", token_id=token.id, token_name=token.name)
    click.echo(f"revoked token #{token.id} ({token.name}) of {user}")


@click.command("audit")
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@click.option("--actor")
@click.option("--action")
@click.option("--target")
@json_option
def audit(
    limit: int, actor: str | None, action: str | None, target: str | None, as_json_output: bool
) -> None:
    """The audit log, newest first: who did what, when, through which path."""
    entries = context.services().audit.list(limit=limit, actor=actor, action=action, target=target)
    if as_json_output:
        as_json([entry.to_json() for entry in entries])
        return
    table(
        ["id", "at", "actor", "action", "target", "outcome", "via", "detail"],
        [
            [
                e.id,
                e.at.isoformat(timespec="seconds"),
                e.actor,
                e.action,
                e.target,
                e.outcome,
                e.via,
                e.detail or "",
            ]
            for e in entries
        ],
    )
