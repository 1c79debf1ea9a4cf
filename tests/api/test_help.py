"""Every sub-command prints its help (a setting's help text with a bare % once broke `learn --help`)."""
from __future__ import annotations

import pytest

from pipeline.cli import build_parser


def _commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _commands())
def test_help_prints(command, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([command, "--help"])
    assert exc.value.code == 0
    assert "usage: pipeline " + command in capsys.readouterr().out
