"""The ``proximite`` command line (Typer + Rich), one module per command group.

Every user error ends in one red line naming the file, line and field (or the option),
exit code 2, never a traceback. A new command group: a module with a ``COMMANDS`` mapping,
added to :func:`register`. Typer's own help chrome is set in French here, once.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
import typer.rich_utils as rich_utils
from typer.core import TyperCommand, TyperGroup

HELP_OPTION_TEXT = "Afficher cette aide et quitter."

rich_utils.DEFAULT_STRING = "[défaut : {}]"
rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"
rich_utils.ENVVAR_STRING = "[variable d'environnement : {}]"
rich_utils.DEPRECATED_STRING = "(obsolète) "
rich_utils.ARGUMENTS_PANEL_TITLE = "Arguments"
rich_utils.OPTIONS_PANEL_TITLE = "Options"
rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
rich_utils.ERRORS_PANEL_TITLE = "Erreur"
rich_utils.ABORTED_TEXT = "Interrompu."
rich_utils.RICH_HELP = "Aide : [blue]'{command_path} {help_option}'[/]."


class FrenchCommand(TyperCommand):
    """A command whose ``--help`` option is described in French."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option


class FrenchGroup(TyperGroup):
    """The command group, same French ``--help``."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option


app = typer.Typer(cls=FrenchGroup, add_completion=False, no_args_is_help=True,
                  help="Proximité : accessibilité des services au public (SDAASP).",
                  rich_markup_mode="rich")


def register() -> None:
    from proximite.cli import copil, diagnostic, plan, reference, scenario, serve

    for module in (diagnostic, scenario, plan, copil, serve, reference):
        for name, command in module.COMMANDS.items():
            app.command(name, cls=FrenchCommand)(command)
    # The network commands (calibrate, distancier) live in their own module.
    from proximite.cli.common import console, fail, out_console
    from proximite.cli_network import register as register_network_commands

    register_network_commands(app, fail, out_console, console)
    # Command groups: the store's database and its accounts.
    from proximite.cli.store import store_app, users_app

    app.add_typer(store_app, name="store")
    from proximite.cli.suivi import suivi_app

    app.add_typer(suivi_app, name="suivi")
    app.add_typer(users_app, name="users")


register()


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
